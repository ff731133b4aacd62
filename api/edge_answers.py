"""The refusals every operation can give because of what it depends on, added to OpenAPI.

Routes list the refusals of their own rules (403, 404, 409…). Some answers come from what a
route is built on instead, and those are derived here from its dependencies, so that the
document cannot forget one when a route changes:

- a request body: 400 (not JSON, a broken form or multipart), 408 (a body that keeps arriving,
  EdgeGuard), 413 (a body past MAX_BODY_BYTES, EdgeGuard) and 422 (a body that does not validate);
- any parameter or body: 422 (EdgeGuard refuses NUL bytes and unstorable text; FastAPI refuses
  what does not validate);
- the sign-in (bearer token or cookie): 401;
- the per-client limit on public calls: 429;
- PostgreSQL or Temporal: 503 naming the one that is down (`database_unavailable`,
  `temporal_unavailable`), with Retry-After.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from fastapi.security.base import SecurityBase

from api.deps import get_pool, get_temporal
from api.errors import ErrorOut, error_responses
from api.ratelimit import rate_limited

_DEPENDENCIES = (get_pool, get_temporal)


def _calls(dependant: Dependant) -> list[Callable[..., Any]]:
    """Every callable the route depends on, however deep."""
    calls: list[Callable[..., Any]] = []
    stack = [dependant]
    while stack:
        item = stack.pop()
        if item.call is not None:
            calls.append(item.call)
        stack.extend(item.dependencies)
    return calls


def _signs_in(calls: list[Callable[..., Any]]) -> bool:
    """A dependency reads a credential (bearer token, intake key): a bad one is refused."""
    return any(isinstance(call, SecurityBase) for call in calls)


def edge_statuses(route: APIRoute | RouteContext) -> set[int]:
    """The statuses `route` can answer because of its body, sign-in, limits and dependencies."""
    calls = _calls(route.dependant)
    statuses: set[int] = set()
    dependant = route.dependant
    if dependant.body_params:
        statuses |= {400, 408, 413, 422}
    if dependant.query_params or dependant.path_params or dependant.body_params:
        statuses.add(422)
    if _signs_in(calls):
        statuses.add(401)
    if rate_limited in calls:
        statuses.add(429)
    if any(call in _DEPENDENCIES for call in calls):
        statuses.add(503)
    return statuses


def document_edge_answers(app: FastAPI) -> None:
    """Make `app.openapi()` list each operation's edge answers with the error body."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        spec = build()
        # Routers are included lazily; their routes are reached through their contexts.
        for route in iter_route_contexts(app.routes):
            if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
                continue
            statuses = sorted(edge_statuses(route))
            answers = _as_openapi(error_responses(*statuses), spec)
            for method in route.methods or ():
                operation = spec["paths"][route.path_format].get(method.lower())
                if operation is None:
                    continue
                for status, answer in answers.items():
                    operation["responses"].setdefault(status, answer)
        return spec

    app.openapi = openapi  # type: ignore[method-assign]


def _as_openapi(responses: dict[int | str, dict[str, Any]], spec: dict[str, Any]) -> dict[str, Any]:
    """FastAPI's `responses=` entries in the document's own form (the error body by reference)."""
    spec.setdefault("components", {}).setdefault("schemas", {}).setdefault(
        "ErrorOut", ErrorOut.model_json_schema()
    )
    reference = {"$ref": "#/components/schemas/ErrorOut"}
    return {
        str(status): {
            "description": answer["description"],
            "content": {"application/json": {"schema": reference}},
        }
        for status, answer in responses.items()
    }
