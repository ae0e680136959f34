"""The entry points: the ``faceforge`` command (Typer), which runs Core and the HTTP server.

The outermost layer: it may import the adapters and ``faceforge_http``; nothing imports it.
"""
