"""GET /metrics (Prometheus text, no login) and OpenTelemetry tracing of the app.

The app has a registry of its own, so any number of apps in one process (the tests) do not
collide: HTTP metrics by route template (api/http_metrics.py; a tracking code in a path never
becomes a label), and the domain metrics of service/metrics.py, read from PostgreSQL and
Temporal at each scrape.
"""

from __future__ import annotations

from typing import Any, cast

import asyncpg
from fastapi import APIRouter, FastAPI, Request, Response
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.trace import Span
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from temporalio.client import Client

from api.http_metrics import HttpMetrics, HttpMetricsMiddleware
from core.settings import Settings
from core.telemetry import tracer_provider
from service.metrics import DomainMetrics

METRICS_PATH = "/metrics"
# Probes and scrapes every few seconds would bury the traces of real requests.
UNTRACED = "metrics,healthz,readyz,static"

router = APIRouter(include_in_schema=False)


@router.get(METRICS_PATH)
async def metrics(request: Request) -> Response:
    """Every metric of this replica; a database that does not answer gives metrics_domain_up 0
    with the HTTP metrics, never an error."""
    domain = cast(DomainMetrics, request.app.state.domain_metrics)
    await domain.refresh()
    registry = cast(CollectorRegistry, request.app.state.metrics_registry)
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


def install(app: FastAPI, settings: Settings) -> None:
    """The HTTP metrics, the /metrics route, and tracing when OTEL_EXPORTER_OTLP_ENDPOINT is set."""
    registry = CollectorRegistry()
    app.state.metrics_registry = registry
    app.add_middleware(
        HttpMetricsMiddleware,
        metrics=HttpMetrics(registry),
        router=app.router,
        excluded=METRICS_PATH,
    )
    app.include_router(router)
    provider = tracer_provider(settings)
    if provider is not None:
        FastAPIInstrumentor.instrument_app(
            app,
            tracer_provider=provider,
            excluded_urls=UNTRACED,
            server_request_hook=_without_query,
        )


def _without_query(span: Span, scope: dict[str, Any]) -> None:
    """Spans keep the path, not the query string: a query can hold personal data (the phone
    intake page searches by `?phone=`). The span's name is the route template already."""
    attributes = getattr(span, "attributes", None) or {}
    url = attributes.get("http.url")
    if isinstance(url, str):
        span.set_attribute("http.url", url.split("?", 1)[0])
    if "url.query" in attributes:
        span.set_attribute("url.query", "")


def attach_domain_metrics(
    app: FastAPI, settings: Settings, *, pool: asyncpg.Pool, temporal: Client
) -> DomainMetrics:
    """The collector of the domain metrics, once the lifespan has the pool and the client."""
    collector = DomainMetrics(
        pool,
        temporal,
        task_queue=settings.task_queue,
        stuck_ttl=settings.metrics_stuck_cache_seconds,
    )
    cast(CollectorRegistry, app.state.metrics_registry).register(collector)
    app.state.domain_metrics = collector
    return collector


def detach_domain_metrics(app: FastAPI) -> None:
    cast(CollectorRegistry, app.state.metrics_registry).unregister(app.state.domain_metrics)
