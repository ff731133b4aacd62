"""TEMPORAL_TLS_* and TEMPORAL_API_KEY: the service's client reaches a cluster that wants mTLS.

The cluster is the test's Temporal dev server behind a TLS-terminating proxy (tests/core/
tls_proxy.py) with certificates made for the test, so the handshake is the real one the SDK does
with Temporal Cloud or a self-hosted frontend with TLS.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import ValidationError
from temporalio.testing import WorkflowEnvironment

from core.settings import Settings
from core.temporal import connect_temporal, tls_config
from tests.core.tls_proxy import Authority, TlsProxy

REFUSED = "Failed client connect"  # what Client.connect raises when the handshake fails


@pytest.fixture
def authority(tmp_path: Path) -> Authority:
    return Authority.create(tmp_path / "pki", "test-ca")


@pytest.fixture
async def mtls_proxy(
    temporal_env: WorkflowEnvironment, authority: Authority
) -> AsyncIterator[TlsProxy]:
    proxy = TlsProxy(temporal_env.client.service_client.config.target_host, authority)
    await proxy.start()
    yield proxy
    await proxy.stop()


def settings_for(address: str, **tls: object) -> Settings:
    return Settings(
        environment="test",
        temporal_address=address,
        payload_keys=os.environ["PAYLOAD_KEYS"],
        **tls,  # type: ignore[arg-type]
    )


async def test_the_client_certificate_opens_an_mtls_cluster(
    mtls_proxy: TlsProxy, authority: Authority
) -> None:
    cert, key = authority.issue("inquiry-worker", server=False)
    settings = settings_for(
        mtls_proxy.address,
        temporal_tls_cert=cert,
        temporal_tls_key=key,
        temporal_tls_ca=authority.path("test-ca"),
    )

    client = await connect_temporal(settings)

    assert await client.service_client.check_health()
    assert mtls_proxy.clients and set(mtls_proxy.clients) == {"inquiry-worker"}


async def test_without_a_client_certificate_the_cluster_refuses(
    mtls_proxy: TlsProxy, authority: Authority
) -> None:
    settings = settings_for(mtls_proxy.address, temporal_tls_ca=authority.path("test-ca"))

    with pytest.raises(RuntimeError, match=REFUSED):
        await connect_temporal(settings)
    assert mtls_proxy.clients == []


async def test_a_certificate_from_another_authority_is_refused(
    mtls_proxy: TlsProxy, authority: Authority, tmp_path: Path
) -> None:
    stranger = Authority.create(tmp_path / "other", "other-ca")
    cert, key = stranger.issue("intruder", server=False)
    settings = settings_for(
        mtls_proxy.address,
        temporal_tls_cert=cert,
        temporal_tls_key=key,
        temporal_tls_ca=authority.path("test-ca"),
    )

    with pytest.raises(RuntimeError, match=REFUSED):
        await connect_temporal(settings)
    assert mtls_proxy.clients == []


async def test_the_server_is_checked_against_temporal_tls_ca(
    mtls_proxy: TlsProxy, authority: Authority, tmp_path: Path
) -> None:
    """A frontend whose certificate the configured CA did not sign is not trusted."""
    cert, key = authority.issue("inquiry-worker", server=False)
    other = Authority.create(tmp_path / "other", "other-ca")
    settings = settings_for(
        mtls_proxy.address,
        temporal_tls_cert=cert,
        temporal_tls_key=key,
        temporal_tls_ca=other.path("other-ca"),
    )

    with pytest.raises(RuntimeError, match=REFUSED):
        await connect_temporal(settings)


async def test_an_api_key_is_sent_over_tls(
    temporal_env: WorkflowEnvironment, authority: Authority
) -> None:
    """Temporal Cloud with an API key: TLS without a client certificate, the key as bearer."""
    proxy = TlsProxy(
        temporal_env.client.service_client.config.target_host,
        authority,
        require_client_cert=False,
    )
    await proxy.start()
    try:
        settings = settings_for(
            proxy.address, temporal_tls_ca=authority.path("test-ca"), temporal_api_key="k-123"
        )
        client = await connect_temporal(settings)
        assert await client.service_client.check_health()
        assert client.api_key == "k-123"
    finally:
        await proxy.stop()


def test_no_tls_settings_mean_plain_grpc_and_the_sdk_default_with_an_api_key() -> None:
    assert tls_config(settings_for("127.0.0.1:7233")) is None
    # None lets Client.connect turn TLS on by itself when an API key is given.
    assert tls_config(settings_for("x.tmprl.cloud:7233", temporal_api_key="k")) is None


def test_the_files_are_read_into_the_tls_config(authority: Authority) -> None:
    cert, key = authority.issue("inquiry-api", server=False)
    config = tls_config(
        settings_for(
            "127.0.0.1:7233",
            temporal_tls_cert=cert,
            temporal_tls_key=key,
            temporal_tls_ca=authority.path("test-ca"),
            temporal_tls_server_name="frontend.internal",
        )
    )

    assert config is not None
    assert config.client_cert == cert.read_bytes()
    assert config.client_private_key == key.read_bytes()
    assert config.server_root_ca_cert == authority.path("test-ca").read_bytes()
    assert config.domain == "frontend.internal"


def test_a_certificate_without_its_key_is_refused_at_start(authority: Authority) -> None:
    cert, _ = authority.issue("inquiry-api", server=False)
    with pytest.raises(ValidationError, match="TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY"):
        settings_for("127.0.0.1:7233", temporal_tls_cert=cert)


def test_empty_variables_leave_tls_off(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CERT", "KEY", "CA", "SERVER_NAME"):
        monkeypatch.setenv(f"TEMPORAL_TLS_{name}", "")
    monkeypatch.setenv("TEMPORAL_API_KEY", "")
    settings = Settings(environment="test", payload_keys=os.environ["PAYLOAD_KEYS"])

    assert tls_config(settings) is None
    assert settings.temporal_api_key is None
