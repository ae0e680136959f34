"""Handlers name the parts of Core they use: no route handler receives the whole Core."""

from __future__ import annotations

from litestar.routes import HTTPRoute

from faceforge_adapters.bootstrap import Core
from faceforge_http.app import create_app


def test_no_handler_takes_the_whole_core() -> None:
    app = create_app()
    handlers = [
        handler
        for route in app.routes
        if isinstance(route, HTTPRoute)
        for handler, _ in route.route_handler_map.values()
    ]
    assert len(handlers) > 50
    for handler in handlers:
        for name, parameter in handler.parsed_fn_signature.parameters.items():
            types = (parameter.annotation, *(inner.annotation for inner in parameter.inner_types))
            assert Core not in types, (handler.handler_name, name)
            assert name != "core", handler.handler_name
