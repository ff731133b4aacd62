"""Metrics and traces of a process: the worker's Temporal SDK metrics in Prometheus format, and
OpenTelemetry traces over OTLP/HTTP when a collector is configured (README "Metrics and traces")."""

from __future__ import annotations

from functools import lru_cache

import structlog
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from core.settings import Settings

log = structlog.get_logger(__name__)


def worker_runtime(settings: Settings) -> Runtime | None:
    """A Temporal runtime serving the SDK's metrics at WORKER_METRICS_ADDRESS; None when empty.

    A runtime binds its address when it is made, so a process makes at most one: only the
    worker's (and the embedded stack's) connection asks for it, never the API's."""
    address = settings.worker_metrics_address.strip()
    if not address:
        return None
    try:
        return _runtime(address)
    except ValueError as error:
        # Taken by another process (a second worker on the host): the worker still runs; the
        # log says why its metrics are missing. A malformed address fails the same way; the
        # message tells which.
        log.warning("worker_metrics_unavailable", address=address, error=str(error))
        return None


@lru_cache
def _runtime(address: str) -> Runtime:
    return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=address)))


def tracer_provider(settings: Settings) -> TracerProvider | None:
    """The process's tracer provider exporting to OTEL_EXPORTER_OTLP_ENDPOINT; None when unset.

    Kept out of OpenTelemetry's global provider: the app and the Temporal client are handed it,
    so one process (or one test run) can hold a traced and an untraced stack side by side."""
    if not settings.otel_exporter_otlp_endpoint:
        return None
    return _provider(settings.otel_exporter_otlp_endpoint, settings.otel_service_name)


@lru_cache
def _provider(endpoint: str, service_name: str) -> TracerProvider:
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service_name}))
    # The base endpoint gets the signal's path, as the OTLP exporters do with the variable.
    exporter = OTLPSpanExporter(endpoint=f"{endpoint.rstrip('/')}/v1/traces")
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def flush_traces(settings: Settings) -> None:
    """Send the spans still batched; the `inquiry` commands leave without running atexit."""
    provider = tracer_provider(settings)
    if provider is not None:
        provider.shutdown()


def temporal_interceptors(settings: Settings) -> list[TracingInterceptor]:
    """Spans for client calls, workflows and activities (a worker inherits its client's
    interceptors; the contrib interceptor ends workflow spans outside the sandbox)."""
    provider = tracer_provider(settings)
    if provider is None:
        return []
    return [TracingInterceptor(provider.get_tracer("temporalio"))]
