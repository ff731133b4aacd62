"""Connecting to Temporal with the service's settings: every client encrypts its payloads."""

from __future__ import annotations

import asyncio
import dataclasses

import temporalio.converter
from temporalio.client import Client

from core.codec import EncryptionCodec, install_key, parse_keys
from core.settings import Settings
from core.telemetry import temporal_interceptors, worker_runtime


def payload_codec(settings: Settings) -> EncryptionCodec:
    """The codec of PAYLOAD_KEYS; without them (never in production: Settings refuses) the
    install's own key under VAR_DIR, made on first use."""
    if settings.payload_keys is not None:
        return EncryptionCodec(parse_keys(settings.payload_keys, settings.payload_key_id))
    return EncryptionCodec(install_key(settings.var_dir))


def data_converter(codec: EncryptionCodec) -> temporalio.converter.DataConverter:
    """Payloads through the codec; failure messages and stack traces too, since an error can
    quote the data it failed on (they travel as an encoded attribute of the failure)."""
    return dataclasses.replace(
        temporalio.converter.default(),
        payload_codec=codec,
        failure_converter_class=temporalio.converter.DefaultFailureConverterWithEncodedAttributes,
    )


async def connect_temporal(settings: Settings, *, worker_metrics: bool = False) -> Client:
    """A client with the payload codec, traced when OTEL_EXPORTER_OTLP_ENDPOINT is set; with
    worker_metrics (the worker's process only) its runtime serves WORKER_METRICS_ADDRESS."""
    codec = await asyncio.to_thread(payload_codec, settings)  # may read or make the key file
    runtime = worker_runtime(settings) if worker_metrics else None
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=data_converter(codec),
        interceptors=temporal_interceptors(settings),
        runtime=runtime,
    )
