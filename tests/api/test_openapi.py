"""/docs says what comes back: each operation of these routers declares its 2xx and 4xx bodies."""

from __future__ import annotations

from typing import Any

from api.app import create_app
from core.settings import Settings

# (method, path) of the intake, list, detail, admin, calendar, auth and health operations.
OPERATIONS = [
    ("post", "/api/v1/inquiries"),
    ("get", "/api/v1/inquiries"),
    ("get", "/api/v1/inquiries/{inquiry_id}"),
    ("post", "/api/v1/auth/token"),
    ("get", "/api/v1/admin/units"),
    ("post", "/api/v1/admin/units"),
    ("patch", "/api/v1/admin/units/{code}"),
    ("get", "/api/v1/admin/categories"),
    ("post", "/api/v1/admin/categories"),
    ("patch", "/api/v1/admin/categories/{code}"),
    ("get", "/api/v1/admin/routing-rules"),
    ("post", "/api/v1/admin/routing-rules"),
    ("patch", "/api/v1/admin/routing-rules/{rule_id}"),
    ("get", "/api/v1/admin/categories/{code}/priorities"),
    ("put", "/api/v1/admin/categories/{code}/priorities/{priority}"),
    ("get", "/api/v1/admin/calendar"),
    ("put", "/api/v1/admin/calendar"),
    ("delete", "/api/v1/admin/calendar"),
    ("get", "/healthz"),
    ("get", "/readyz"),
]


def test_the_check_tells_a_bare_object_from_a_model() -> None:
    bare = {"content": {"application/json": {"schema": {"type": "object"}}}}
    listed = {"content": {"application/json": {"schema": {"items": {"$ref": "#/c/s/UnitOut"}}}}}
    assert _model(bare) is None
    assert _model(listed) == "UnitOut"


def _model(response: dict[str, Any]) -> str | None:
    """The named model of a JSON answer (or of its items), None for a bare object or none."""
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    ref = schema.get("$ref") or schema.get("items", {}).get("$ref")
    return None if ref is None else str(ref).rsplit("/", 1)[-1]


def test_each_operation_declares_its_answers() -> None:
    spec = create_app(Settings(environment="test")).openapi()
    problems = []
    for method, path in OPERATIONS:
        operation = spec["paths"][path][method]
        answers = operation["responses"]
        ok = [code for code in answers if code.startswith("2")]
        if not any(_model(answers[code]) for code in ok):
            problems.append(f"{method.upper()} {path}: no 2xx model (has {ok})")
        errors = [c for c in answers if c[0] in "45" and _model(answers[c]) == "ErrorBody"]
        if path not in ("/healthz", "/readyz") and not errors:
            problems.append(f"{method.upper()} {path}: no 4xx answer declared as ErrorBody")
    assert problems == [], "\n".join(problems)
