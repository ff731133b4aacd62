"""/openapi.json tells clients what each case operation answers: a declared 2xx schema, and the
error body for the 4xx it gives."""

from __future__ import annotations

from typing import Any

from fastapi.routing import APIRoute

from api.app import create_app
from api.routes import cases, inquiries, public, work
from infra.settings import Settings

# The case service's routers; of the inquiries router only the reply is a case action.
CASE_ROUTES = [
    *cases.router.routes,
    *work.router.routes,
    *public.router.routes,
    *(r for r in inquiries.router.routes if isinstance(r, APIRoute) and r.name == "reply"),
]


def _spec() -> dict[str, Any]:
    app = create_app(Settings(environment="test", database_url="postgresql://unused/unused"))
    return app.openapi()


def _declared(schema: dict[str, Any], spec: dict[str, Any]) -> bool:
    """A named model, or a typed list of one; a bare object (`dict[str, Any]`) declares nothing."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return bool(spec["components"]["schemas"][name].get("properties"))
    if schema.get("type") == "array":
        return _declared(schema.get("items", {}), spec)
    return False


def operations_missing_a_2xx_schema(spec: dict[str, Any], routes: list[Any]) -> list[str]:
    """`METHOD path` of each operation whose 2xx answers declare no response model."""
    missing = []
    for route in routes:
        assert isinstance(route, APIRoute), route
        for method in sorted(route.methods):
            operation = spec["paths"][route.path][method.lower()]
            schemas = [
                answer.get("content", {}).get("application/json", {}).get("schema", {})
                for status, answer in operation["responses"].items()
                if status.startswith("2")
            ]
            if not schemas or not all(_declared(s, spec) for s in schemas):
                missing.append(f"{method} {route.path}")
    return missing


def operations_missing_error_bodies(spec: dict[str, Any], routes: list[Any]) -> list[str]:
    """`METHOD path status` of each declared 4xx answer that does not show the error body."""
    missing = []
    for route in routes:
        for method in sorted(route.methods):
            operation = spec["paths"][route.path][method.lower()]
            for status, answer in operation["responses"].items():
                if not status.startswith("4") or status == "422":  # 422: FastAPI's own model
                    continue
                schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
                if schema.get("$ref", "").rsplit("/", 1)[-1] != "ErrorOut":
                    missing.append(f"{method} {route.path} {status}")
    return missing


def test_every_case_operation_declares_its_2xx_response() -> None:
    assert len(CASE_ROUTES) == 22
    assert operations_missing_a_2xx_schema(_spec(), CASE_ROUTES) == []


def test_every_case_operation_lists_its_refusals_with_the_error_body() -> None:
    spec = _spec()
    assert operations_missing_error_bodies(spec, CASE_ROUTES) == []
    acknowledge = spec["paths"]["/api/v1/inquiries/{inquiry_id}/acknowledge"]["post"]
    assert {"403", "404", "409", "503"} <= set(acknowledge["responses"])
    reply = spec["paths"]["/api/v1/inquiries/{inquiry_id}/reply"]["post"]
    assert {"200", "202", "403", "409"} <= set(reply["responses"])


def test_the_helper_names_an_operation_without_a_model() -> None:
    spec = _spec()
    # The staff detail view is another router's; today it answers a bare object.
    detail = [
        r for r in inquiries.router.routes if isinstance(r, APIRoute) and r.name == "get_inquiry"
    ]
    untyped = {"type": "object", "additionalProperties": True}
    operation = spec["paths"]["/api/v1/inquiries/{inquiry_id}"]["get"]
    operation["responses"]["200"]["content"]["application/json"]["schema"] = untyped
    assert operations_missing_a_2xx_schema(spec, detail) == ["GET /api/v1/inquiries/{inquiry_id}"]
