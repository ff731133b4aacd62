"""/openapi.json (and so /docs) tells clients what every operation answers: a declared 2xx
schema, and the one error body for each 4xx it lists."""

from __future__ import annotations

from typing import Any

from api.app import create_app
from core.settings import Settings

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


def _app_and_spec() -> tuple[list[tuple[str, str]], dict[str, Any]]:
    """Every (METHOD, path) the app documents, and its OpenAPI document."""
    app = create_app(Settings(environment="test", database_url="postgresql://unused/unused"))
    spec = app.openapi()
    operations = [
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method in item
        if method in HTTP_METHODS
    ]
    return operations, spec


def _declared(schema: dict[str, Any], spec: dict[str, Any]) -> bool:
    """A named model with fields, or a typed list of one; a bare object declares nothing."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return bool(spec["components"]["schemas"][name].get("properties"))
    if schema.get("type") == "array":
        return _declared(schema.get("items", {}), spec)
    return False


# Answers that are documents, not JSON: declared by their media type with a string schema.
FILE_TYPES = ("text/html", "text/csv", "application/pdf", "application/vnd.openxmlformats")


def _declared_answer(answer: dict[str, Any], spec: dict[str, Any]) -> bool:
    content = answer.get("content", {})
    if "application/json" in content:
        return _declared(content["application/json"].get("schema", {}), spec)
    files = [m for m in content if m.startswith(FILE_TYPES)]
    return bool(files) and all(content[m].get("schema", {}).get("type") == "string" for m in files)


def operations_missing_a_2xx_schema(
    spec: dict[str, Any], operations: list[tuple[str, str]]
) -> list[str]:
    """`METHOD path` of each operation whose 2xx answers declare no response model."""
    missing = []
    for method, path in operations:
        operation = spec["paths"][path][method.lower()]
        answers = [a for status, a in operation["responses"].items() if status.startswith("2")]
        if not answers or not all(_declared_answer(a, spec) for a in answers):
            missing.append(f"{method} {path}")
    return missing


def operations_missing_error_bodies(
    spec: dict[str, Any], operations: list[tuple[str, str]]
) -> list[str]:
    """`METHOD path status` of each declared 4xx answer that does not show the error body."""
    missing = []
    for method, path in operations:
        operation = spec["paths"][path][method.lower()]
        for status, answer in operation["responses"].items():
            if not status.startswith("4"):
                continue
            schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
            name = schema.get("$ref", "").rsplit("/", 1)[-1]
            if path.startswith("/open311/") and _open311_errors(schema):
                continue  # the GeoReport v2 spec's own error list, [{code, description}]
            # FastAPI adds its own 422 model to operations with a body; ours answers ErrorOut.
            if name != "ErrorOut" and not (status == "422" and name == "HTTPValidationError"):
                missing.append(f"{method} {path} {status}")
    return missing


def _open311_errors(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "array" and schema.get("items", {}).get("$ref", "").endswith(
        "/Open311Error"
    )


def test_every_operation_declares_its_2xx_response() -> None:
    operations, spec = _app_and_spec()
    assert len(operations) >= 40, (
        f"only {len(operations)} operations found: the app lost its routers?"
    )
    assert operations_missing_a_2xx_schema(spec, operations) == []


def test_every_operation_lists_its_refusals_with_the_error_body() -> None:
    operations, spec = _app_and_spec()
    assert operations_missing_error_bodies(spec, operations) == []
    acknowledge = spec["paths"]["/api/v1/inquiries/{inquiry_id}/acknowledge"]["post"]
    assert {"403", "404", "409", "503"} <= set(acknowledge["responses"])
    reply = spec["paths"]["/api/v1/inquiries/{inquiry_id}/reply"]["post"]
    assert {"200", "202", "403", "409"} <= set(reply["responses"])
    intake = spec["paths"]["/api/v1/inquiries"]["post"]
    assert {"200", "201", "409", "422", "503"} <= set(intake["responses"])


def test_the_helper_names_an_operation_without_a_model() -> None:
    _, spec = _app_and_spec()
    detail = [("GET", "/api/v1/inquiries/{inquiry_id}")]
    untyped = {"type": "object", "additionalProperties": True}
    operation = spec["paths"]["/api/v1/inquiries/{inquiry_id}"]["get"]
    operation["responses"]["200"]["content"]["application/json"]["schema"] = untyped
    assert operations_missing_a_2xx_schema(spec, detail) == ["GET /api/v1/inquiries/{inquiry_id}"]


def test_answers_that_come_from_a_routes_dependencies_are_listed() -> None:
    """Body, sign-in, public limit and dependencies each add their refusals (api.edge_answers)."""
    _, spec = _app_and_spec()

    def statuses(method: str, path: str) -> set[str]:
        return set(spec["paths"][path][method]["responses"])

    body = {"400", "408", "413", "422"}
    # An intake form or an operator, with a body, on PostgreSQL and Temporal.
    assert body | {"401", "503"} <= statuses("post", "/api/v1/inquiries")
    # The citizen's lookup: no sign-in, a per-client limit, no body.
    lookup = statuses("get", "/api/v1/public/inquiries/{tracking_code}")
    assert {"429", "503", "422"} <= lookup
    assert not ({"401", "413"} & lookup)
    # A staff list: signed in, no body.
    tasks = statuses("get", "/api/v1/tasks")
    assert {"401", "503"} <= tasks
    assert "413" not in tasks
    # Open311 refusals are the spec's error list; what EdgeGuard refuses stays ErrorOut.
    create = spec["paths"]["/open311/v2/requests.{format}"]["post"]["responses"]
    assert _open311_errors(create["403"]["content"]["application/json"]["schema"])
    assert "text/xml" in create["201"]["content"]
    assert create["413"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorOut")
    # Liveness depends on nothing and refuses nothing.
    assert statuses("get", "/healthz") == {"200"}
