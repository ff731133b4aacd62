"""Payload keys: rotation (old ids still decrypt), the per-install key of development, the
refusal in production, and a running case that carries on across a rotation."""

from __future__ import annotations

import os
import stat
import uuid
from pathlib import Path

import pytest
from pydantic import ValidationError
from temporalio.api.common.v1 import Payload
from temporalio.client import Client

from core.codec import KEY_ID, CodecError, EncryptionCodec, install_key, new_key_entry, parse_keys
from core.settings import Settings
from core.temporal import data_converter
from domain.ids import case_workflow_id
from tests.conftest import Service, inquiry_body
from tests.workflows.test_codec import payloads_in, raw_client
from worker import build_worker

ID1, ID2 = new_key_entry("id1"), new_key_entry("id2")


def _plain(text: str) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=f'"{text}"'.encode())


async def test_a_payload_under_an_old_key_decrypts_after_rotation() -> None:
    before = EncryptionCodec(parse_keys(ID1))
    [sealed] = await before.encode([_plain("张三 13812345678")])
    assert sealed.metadata[KEY_ID] == b"id1" and b"13812345678" not in sealed.data

    after = EncryptionCodec(parse_keys(f"{ID1},{ID2}", "id2"))
    assert await after.decode([sealed]) == [_plain("张三 13812345678")]
    [fresh] = await after.encode([_plain("李四")])
    assert fresh.metadata[KEY_ID] == b"id2"
    assert await before.decode([_plain("not ours")]) == [_plain("not ours")]  # passes through

    with pytest.raises(CodecError, match="'id1'"):  # id1 dropped too early: named, not garbage
        await EncryptionCodec(parse_keys(ID2)).decode([sealed])
    tampered = Payload(metadata=dict(sealed.metadata), data=sealed.data[:-1] + b"\0")
    with pytest.raises(CodecError, match="does not decrypt"):
        await after.decode([tampered])


@pytest.mark.parametrize(
    ("keys", "current", "message"),
    [
        ("id1", None, "id:base64key"),
        ("id1:not-base64!", None, "not base64"),
        ("id1:c2hvcnQ=", None, "16, 24 or 32 bytes"),
        (f"{ID1},{ID1}", None, "twice"),
        (ID1, "id9", "not one of the ids"),
    ],
)
def test_unusable_keys_are_refused_at_start(keys: str, current: str | None, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings(environment="test", payload_keys=keys, payload_key_id=current)


def test_production_refuses_to_start_without_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAYLOAD_KEYS")
    secret = "s" * 40
    with pytest.raises(ValidationError, match="PAYLOAD_KEYS is not set"):
        Settings(environment="production", jwt_secret=secret)
    Settings(environment="production", jwt_secret=secret, payload_keys=ID1)


def test_development_makes_one_key_per_install(tmp_path: Path) -> None:
    first = install_key(tmp_path / "var")
    path = tmp_path / "var" / "payload-keys"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert install_key(tmp_path / "var") == first  # the next start reads the same key
    assert install_key(tmp_path / "other") != first
    assert [p.name for p in (tmp_path / "var").iterdir()] == ["payload-keys"]


async def test_a_running_case_carries_on_after_the_key_rotates(service: Service) -> None:
    """Filed under the test key; the worker is restarted with a new current key (the old one
    still listed) and takes the case on: its history then holds payloads under both ids."""
    await service.stop_worker()
    key = await service.intake_key("web")
    created = await service.http.post("/api/v1/inquiries", json=inquiry_body("outage"), headers=key)
    assert created.status_code == 201, created.text
    inquiry_id = created.json()["id"]

    rotated = new_key_entry(f"r{uuid.uuid4().hex[:6]}")
    keys = f"{os.environ['PAYLOAD_KEYS']},{rotated}"
    ring = parse_keys(keys, rotated.split(":")[0])
    client = Client(
        **{**service.client.config(), "data_converter": data_converter(EncryptionCodec(ring))}
    )
    worker = build_worker(client, service.pool, task_queue=service.settings.task_queue)
    async with worker:
        await service.wait_for(
            "SELECT 1 FROM inquiries WHERE id = $1::uuid AND status = 'dispatched'", inquiry_id
        )
    history = (
        await (await raw_client(service))
        .get_workflow_handle(case_workflow_id(inquiry_id))
        .fetch_history()
    )
    ids = {p.metadata[KEY_ID] for e in history.events for p in payloads_in(e)}
    assert ids == {b"test", ring.current.encode()}
