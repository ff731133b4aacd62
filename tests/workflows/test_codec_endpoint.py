"""/codec/decode and /codec/encode, the Temporal UI's remote codec: supervisors and admins read
a case's payloads in the UI; nobody else does, and only the UI's origin gets a CORS grant."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from temporalio.api.common.v1 import Payload

from core.codec import ENCODING, KEY_ID
from tests.conftest import Service

UI = "http://127.0.0.1:8233"  # Settings.ui_origins by default


def _wire(payload: Payload) -> dict[str, Any]:
    return {
        "metadata": {k: base64.b64encode(v).decode() for k, v in payload.metadata.items()},
        "data": base64.b64encode(payload.data).decode(),
    }


def _unwire(item: dict[str, Any]) -> Payload:
    return Payload(
        metadata={k: base64.b64decode(v) for k, v in item["metadata"].items()},
        data=base64.b64decode(item["data"]),
    )


async def _sealed(service: Service, text: str) -> Payload:
    [payload] = await service.client.data_converter.encode([text])
    assert payload.metadata["encoding"] == ENCODING
    return payload


async def test_supervisors_and_admins_decode_in_the_ui(service: Service) -> None:
    sealed = await _sealed(service, "张三 13812345678")
    body = {"payloads": [_wire(sealed)]}
    for role in ("supervisor", "admin"):
        answer = await service.http.post(
            "/codec/decode", json=body, headers={**await service.staff(role), "Origin": UI}
        )
        assert answer.status_code == 200, answer.text
        [decoded] = [_unwire(p) for p in answer.json()["payloads"]]
        assert json.loads(decoded.data) == "张三 13812345678"
        assert answer.headers["access-control-allow-origin"] == UI
        assert answer.headers["access-control-allow-credentials"] == "true"


async def test_the_console_session_cookie_is_enough(service: Service) -> None:
    """The UI sends the browser's cookies ("Include cross-origin credentials")."""
    token = (await service.staff("supervisor"))["Authorization"].removeprefix("Bearer ")
    sealed = await _sealed(service, "李四")
    answer = await service.http.post(
        "/codec/decode",
        json={"payloads": [_wire(sealed)]},
        headers={"Origin": UI, "Cookie": f"session={token}"},
    )
    assert answer.status_code == 200, answer.text
    assert json.loads(_unwire(answer.json()["payloads"][0]).data) == "李四"


@pytest.mark.parametrize("role", ["handler", "unit_head", "operator"])
async def test_other_staff_are_refused(service: Service, role: str) -> None:
    unit = "pipe_repair" if role in ("handler", "unit_head") else None
    sealed = await _sealed(service, "张三")
    for operation in ("decode", "encode"):
        answer = await service.http.post(
            f"/codec/{operation}",
            json={"payloads": [_wire(sealed)]},
            headers={**await service.staff(role, unit), "Origin": UI},
        )
        assert answer.status_code == 403, answer.text
        assert answer.json()["code"] == "forbidden"
        assert "张三".encode() not in answer.content
        assert answer.headers["access-control-allow-origin"] == UI  # the UI can show why


async def test_anonymous_and_forged_callers_are_refused(service: Service) -> None:
    sealed = await _sealed(service, "张三")
    body = {"payloads": [_wire(sealed)]}
    anonymous = await service.http.post("/codec/decode", json=body)
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "unauthenticated"
    forged = await service.http.post(
        "/codec/decode", json=body, headers={"Authorization": "Bearer not.a.token"}
    )
    assert forged.status_code == 401


async def test_encode_round_trips_under_the_current_key(service: Service) -> None:
    plain = Payload(metadata={"encoding": b"json/plain"}, data=b'"from the UI"')
    headers = await service.staff("admin")
    encoded = await service.http.post(
        "/codec/encode", json={"payloads": [_wire(plain)]}, headers=headers
    )
    assert encoded.status_code == 200, encoded.text
    sealed = _unwire(encoded.json()["payloads"][0])
    assert sealed.metadata[KEY_ID] == b"test" and b"from the UI" not in sealed.data
    assert await service.client.data_converter.decode([sealed]) == ["from the UI"]

    # A payload the codec did not make comes back as it was.
    decoded = await service.http.post(
        "/codec/decode", json={"payloads": [_wire(plain)]}, headers=headers
    )
    assert _unwire(decoded.json()["payloads"][0]) == plain


async def test_cors_grants_the_ui_origin_only(service: Service) -> None:
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type,x-namespace",
    }
    allowed = await service.http.options("/codec/decode", headers={**preflight, "Origin": UI})
    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == UI
    assert "X-Namespace" in allowed.headers["access-control-allow-headers"]
    other = await service.http.options(
        "/codec/decode", headers={**preflight, "Origin": "https://evil.example"}
    )
    assert "access-control-allow-origin" not in other.headers

    sealed = await _sealed(service, "张三")
    answer = await service.http.post(
        "/codec/decode",
        json={"payloads": [_wire(sealed)]},
        headers={**await service.staff("supervisor"), "Origin": "https://evil.example"},
    )
    assert "access-control-allow-origin" not in answer.headers  # the browser hides the answer


async def test_undecodable_payloads_are_refused(service: Service) -> None:
    foreign = Payload(metadata={"encoding": ENCODING, KEY_ID: b"gone"}, data=b"\0" * 40)
    answer = await service.http.post(
        "/codec/decode",
        json={"payloads": [_wire(foreign)]},
        headers=await service.staff("supervisor"),
    )
    assert answer.status_code == 422 and answer.json()["code"] == "undecodable"
    bad = await service.http.post(
        "/codec/decode",
        json={"payloads": [{"metadata": {}, "data": "%%%"}]},
        headers=await service.staff("supervisor"),
    )
    assert bad.status_code == 422
