"""Sign-in links: how someone without a terminal gets into the web UI of the server just started.

``faceforge serve`` and ``faceforge open`` print a link to the login page carrying a single-use code
(``faceforge_domain.sessions``); ``faceforge open`` also opens it in the default browser once the
server answers; ``faceforge token link`` prints a fresh one for a server already running.
"""

from __future__ import annotations

import socket
import threading
import time
import webbrowser

import typer

from faceforge_adapters.bootstrap import Core
from faceforge_adapters.config import NetworkConfig
from faceforge_http.ui.session import sign_in_link

# Where a server bound to every address is reached from this computer.
_ANY_ADDRESS = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}  # noqa: S104  (names, not binds)
_BROWSER_WAIT_SECONDS = 60.0


def base_url(network: NetworkConfig) -> str:
    """The server's address as a browser on this computer reaches it."""
    host = _ANY_ADDRESS.get(network.bind_host, network.bind_host)
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{network.core_port}/"


async def new_link(core: Core) -> tuple[str, str]:
    """A fresh sign-in link to ``core``'s server and the words that say how long it works."""
    issued = await core.sessions.issue_code(core.install_token)
    until = issued.expires_at.strftime("%H:%M UTC")
    return sign_in_link(base_url(core.config.network), issued.code), f"works once, until {until}"


def announce(link: str, lifetime: str) -> None:
    typer.echo(f"Sign in: {link}")
    typer.echo(f"  (open it in a browser on this computer; it {lifetime})")


def open_when_listening(link: str, network: NetworkConfig) -> None:
    """Open ``link`` in the default browser as soon as the server accepts connections (uvicorn starts
    listening only after Core has started, so the browser would otherwise find nothing)."""

    def wait_then_open() -> None:
        host = _ANY_ADDRESS.get(network.bind_host, network.bind_host)
        deadline = time.monotonic() + _BROWSER_WAIT_SECONDS
        while time.monotonic() < deadline:
            try:
                socket.create_connection((host, network.core_port), timeout=1).close()
            except OSError:
                time.sleep(0.1)
                continue
            if not webbrowser.open(link):
                typer.echo("No browser could be opened: open the sign-in link above yourself.", err=True)
            return
        typer.echo("The server did not start listening: no browser opened.", err=True)

    threading.Thread(target=wait_then_open, name="open-browser", daemon=True).start()
