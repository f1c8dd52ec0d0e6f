"""The OpenAPI 3.1 document: valid (openapi-spec-validator) and exactly the routes the server registers."""

from __future__ import annotations

from aiohttp import web
from openapi_spec_validator import validate

from adapters.api import PREFIX, setup
from adapters.api.openapi import document


def registered(app: web.Application) -> set[tuple[str, str]]:
    [api] = [r.get_info()["app"] for r in app.router.resources() if "app" in r.get_info()]
    routes = set()
    for route in api.router.routes():
        if route.method != "HEAD":
            routes.add((route.method.lower(), route.resource.canonical.removeprefix(PREFIX)))
    return routes


def test_the_document_is_valid_openapi_3_1():
    spec = document(PREFIX)
    assert spec["openapi"] == "3.1.0"
    validate(spec)


async def test_the_document_lists_exactly_the_registered_routes(api):
    ctx, client = api
    served = await (await client.get("/api/v1/openapi.json", headers={"Authorization": ""})).json()
    assert served == document(PREFIX)
    documented = {(method, path) for path, item in served["paths"].items() for method in item}
    assert documented == registered(client.server.app)
    # Every documented operation's path parameters are the route's.
    for path, item in served["paths"].items():
        names = {part[1:-1] for part in path.split("/") if part.startswith("{")}
        for operation in item.values():
            assert names == {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}, path


def test_setup_needs_nothing_but_the_context():
    assert callable(setup)
