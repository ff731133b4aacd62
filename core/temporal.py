"""Connecting to Temporal with the service's settings: every client encrypts its payloads."""

from __future__ import annotations

import asyncio
import dataclasses

import temporalio.converter
from temporalio.client import Client
from temporalio.service import TLSConfig

from core.codec import EncryptionCodec, install_key, parse_keys
from core.converter import PayloadConverter
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
    quote the data it failed on (they travel as an encoded attribute of the failure). JSON
    decodes to dataclasses with their type hints read once per class (core/converter.py)."""
    return dataclasses.replace(
        temporalio.converter.default(),
        payload_converter_class=PayloadConverter,
        payload_codec=codec,
        failure_converter_class=temporalio.converter.DefaultFailureConverterWithEncodedAttributes,
    )


def tls_config(settings: Settings) -> TLSConfig | None:
    """The TLS of TEMPORAL_TLS_*, the PEM files read; None when none is set (plain gRPC, or the
    SDK's default TLS when TEMPORAL_API_KEY is set, as Temporal Cloud's API keys need)."""
    cert, key, ca = settings.temporal_tls_cert, settings.temporal_tls_key, settings.temporal_tls_ca
    if cert is None and key is None and ca is None and settings.temporal_tls_server_name is None:
        return None
    return TLSConfig(
        client_cert=cert.read_bytes() if cert is not None else None,
        client_private_key=key.read_bytes() if key is not None else None,
        server_root_ca_cert=ca.read_bytes() if ca is not None else None,
        domain=settings.temporal_tls_server_name,
    )


async def connect_temporal(settings: Settings, *, worker_metrics: bool = False) -> Client:
    """A client with the payload codec and TEMPORAL_TLS_*/TEMPORAL_API_KEY, traced when
    OTEL_EXPORTER_OTLP_ENDPOINT is set; with worker_metrics (the worker's process only) its
    runtime serves WORKER_METRICS_ADDRESS."""
    codec = await asyncio.to_thread(payload_codec, settings)  # may read or make the key file
    tls = await asyncio.to_thread(tls_config, settings)
    runtime = worker_runtime(settings) if worker_metrics else None
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=data_converter(codec),
        tls=tls,
        api_key=settings.temporal_api_key,
        interceptors=temporal_interceptors(settings),
        runtime=runtime,
    )
