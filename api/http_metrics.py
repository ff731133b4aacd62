"""The API's HTTP metrics: requests, durations and sizes, by route template.

The same five metrics, names, labels and buckets as prometheus-fastapi-instrumentator's
defaults, which the dashboards and the README name. That package found each request's
template by matching the request against every route of the app again, before the app ran
(40-117 µs per request of the benchmark's closed loop, docs/levers/api.md). Here the template
is read after the app has run, from the route the router chose (`scope["route"]`), through a
table of every route's full template built once, at the app's startup (its lifespan), or at the
first request where no lifespan runs. Building it makes FastAPI resolve every route's
dependencies and body model: 0.17 s on an idle machine, 0.4-0.6 s under load, during which the
event loop serves nothing, so not at the first request when a lifespan runs.

A path no route matches counts as `none`, a tracking code or an id in a path never becomes a
label, and requests for the metrics themselves are not counted.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, Summary
from starlette.routing import BaseRoute, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNMATCHED = "none"
HIGHR_BUCKETS = (
    *(0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5),
    *(5, 7.5, 10, 30, 60),
)
LOWR_BUCKETS = (0.1, 0.5, 1)


class HttpMetrics:
    """The five HTTP metrics, registered in one registry (one per app, so tests' apps do not
    collide)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.total = Counter(
            "http_requests_total",
            "Total number of requests by method, status and handler.",
            ("method", "status", "handler"),
            registry=registry,
        )
        self.request_size = Summary(
            "http_request_size_bytes",
            "Content length of incoming requests by handler (the header's value).",
            ("handler",),
            registry=registry,
        )
        self.response_size = Summary(
            "http_response_size_bytes",
            "Content length of outgoing responses by handler (the header's value).",
            ("handler",),
            registry=registry,
        )
        self.duration_highr = Histogram(
            "http_request_duration_highr_seconds",
            "Latency with many buckets but no labels, for percentiles over all requests.",
            buckets=HIGHR_BUCKETS,
            registry=registry,
        )
        self.duration = Histogram(
            "http_request_duration_seconds",
            "Latency with few buckets, by handler and method.",
            ("method", "handler"),
            buckets=LOWR_BUCKETS,
            registry=registry,
        )

    def observe(
        self, method: str, status: int, handler: str, seconds: float, sizes: tuple[int, int]
    ) -> None:
        self.total.labels(method, f"{status // 100}xx", handler).inc()
        self.request_size.labels(handler).observe(sizes[0])
        self.response_size.labels(handler).observe(sizes[1])
        self.duration_highr.observe(seconds)
        self.duration.labels(method, handler).observe(seconds)


class HttpMetricsMiddleware:
    """Times each HTTP request and counts it under the template of the route that served it."""

    def __init__(self, app: ASGIApp, *, metrics: HttpMetrics, router: Any, excluded: str) -> None:
        self.app = app
        self.metrics = metrics
        self._router = router  # the app's; its routes are read once it has them all
        self._templates: dict[int, str] | None = None
        self._mounts: list[str] = []
        self.excluded = excluded

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                self._table()  # before the server takes its first request
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        response_size = 0

        async def sending(message: Message) -> None:
            nonlocal status, response_size
            if message["type"] == "http.response.start":
                status = message["status"]
                response_size = _content_length(message.get("headers", ()))
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            handler = self._template(scope.get("route"), scope["path"])
            if handler != self.excluded:
                request_size = _content_length(scope["headers"])
                self.metrics.observe(
                    scope["method"],
                    status,
                    handler,
                    max(time.perf_counter() - started, 0.0),
                    (request_size, response_size),
                )

    def _table(self) -> dict[int, str]:
        if self._templates is None:
            routes = self._router.routes
            self._templates = dict(_templates(routes))
            self._mounts = [r.path for r in routes if isinstance(r, Mount)]
        return self._templates

    def _template(self, route: object, path: str) -> str:
        templates = self._table()
        if route is not None:
            return templates.get(id(route), UNMATCHED)
        # FastAPI's router names no route in the scope for a mounted app.
        return next((m for m in self._mounts if path.startswith(m + "/")), UNMATCHED)


def _templates(routes: Iterable[BaseRoute]) -> Iterator[tuple[int, str]]:
    """(id of a route, its full path template) for every route, through included routers.

    FastAPI keeps an included router's routes as they were declared and resolves their
    prefixed paths in "effective route contexts"; the route it puts in the scope is the
    declared one.
    """
    for route in routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if callable(contexts):
            for context in contexts():
                original = getattr(context, "original_route", None)
                path = getattr(context, "path_format", None)
                if original is not None and path is not None:
                    yield id(original), path
        elif not isinstance(route, Mount):  # a mounted app is one handler, found by its path
            path = getattr(route, "path_format", None)
            if path is not None:
                yield id(route), path


def _content_length(headers: Iterable[tuple[bytes, bytes]]) -> int:
    for key, value in headers:
        if key.lower() == b"content-length":
            return int(value) if value.isdigit() else 0
    return 0
