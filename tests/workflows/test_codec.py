"""Personal data never reaches Temporal's history in plain text (core/codec.py): a case filed and
answered through the API leaves no name, phone, email, address or content in the raw history
the server keeps, while a client with the codec still reads all of it."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import temporalio.converter
from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload, SearchAttributes
from temporalio.api.failure.v1 import Failure
from temporalio.api.history.v1 import MarkerRecordedEventAttributes
from temporalio.client import Client, WorkflowHistory
from temporalio.exceptions import ApplicationError
from temporalio.worker import Replayer

from core.codec import ENCODING, KEY_ID, EncryptionCodec
from domain.ids import case_workflow_id
from tests.cases import row
from tests.conftest import Service, inquiry_body
from worker import WORKFLOWS
from workflows.case import CaseWorkflow
from workflows.cohandling import CoHandlingWorkflow

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


# The detail the SDK core writes itself into its markers, not through the data converter: a
# patch's id, a local activity's type, attempt and times (its result is under "result"). No data
# of a case is there, and the byte scan of the whole history still covers it.
CORE_MARKER_DETAIL = {"core_patch": "patch-data", "core_local_activity": "data"}


def payloads_in(message: Message) -> Iterator[Payload]:
    """Every Payload anywhere in a protobuf message (inputs, results, memo, headers, failures),
    except search attributes: Temporal indexes those in plain form, and the case workflow's hold
    only status (before revision 2), unit, due time, level and overdue
    (workflows/search_attributes.py); and except the core's own marker detail
    (CORE_MARKER_DETAIL)."""
    if isinstance(message, Payload):
        yield message
        return
    if isinstance(message, SearchAttributes):
        return
    if isinstance(message, MarkerRecordedEventAttributes):
        own = CORE_MARKER_DETAIL.get(message.marker_name)
        if own in message.details:
            message = MarkerRecordedEventAttributes.FromString(message.SerializeToString())
            del message.details[own]
    for field, value in message.ListFields():
        if field.type != field.TYPE_MESSAGE:
            continue
        if field.message_type.GetOptions().map_entry:
            if field.message_type.fields_by_name["value"].type != field.TYPE_MESSAGE:
                continue
            values = list(value.values())
        else:
            values = [value] if isinstance(value, Message) else list(value)
        for item in values:
            yield from payloads_in(item)


def forms(text: str) -> list[bytes]:
    """The ways a string can sit in a payload: UTF-8, and JSON with non-ASCII escaped."""
    return [text.encode(), json.dumps(text).strip('"').encode()]


def found(needles: list[str], haystack: bytes) -> list[str]:
    return [n for n in needles if any(form in haystack for form in forms(n))]


async def raw_client(service: Service) -> Client:
    """A client of the same server without the codec: what anyone with server access sees."""
    return await Client.connect(
        service.client.service_client.config.target_host,
        data_converter=temporalio.converter.default(),
    )


async def _file_and_answer(service: Service, personal: dict[str, str]) -> tuple[str, str]:
    """A full lifecycle through the API: filed, signed for, answered, rated, closed."""
    key = await service.intake_key("web")
    body = inquiry_body(
        "outage",
        content=personal["content"],
        address=personal["address"],
        citizen={"name": personal["name"], "phone": personal["phone"], "email": personal["email"]},
    )
    created = await service.http.post("/api/v1/inquiries", json=body, headers=key)
    assert created.status_code == 201, created.text
    inquiry_id, code = created.json()["id"], created.json()["tracking_code"]
    await service.wait_for(
        "SELECT 1 FROM inquiries WHERE id = $1::uuid AND status = 'dispatched'", inquiry_id
    )
    handler = await service.staff("handler", (await row(service, inquiry_id))["unit_code"])
    for action, payload in (("acknowledge", {}), ("reply", {"content": personal["reply"]})):
        answer = await service.http.post(
            f"/api/v1/inquiries/{inquiry_id}/{action}", json=payload, headers=handler
        )
        assert answer.status_code == 200, answer.text
    rated = await service.http.post(
        f"/api/v1/public/inquiries/{code}/rating", json={"rating": "satisfied"}
    )
    assert rated.status_code == 200, rated.text
    await service.wait_for(
        "SELECT 1 FROM inquiries WHERE id = $1::uuid AND status = 'closed'", inquiry_id
    )
    return inquiry_id, code


def _personal() -> dict[str, str]:
    tag = uuid.uuid4().hex[:6]
    return {
        "name": f"欧阳娜娜{tag}",
        "phone": "13912345678",
        "email": f"nana.{tag}@example.com",
        "address": f"解放路{tag}号",
        "content": f"解放路{tag}号水表井盖破损，漏水严重",
        "reply": f"已派员更换{tag}井盖",
    }


async def test_raw_history_holds_no_personal_data(service: Service) -> None:
    personal = _personal()
    inquiry_id, code = await _file_and_answer(service, personal)
    needles = [*personal.values(), code]

    raw = await raw_client(service)
    history = await raw.get_workflow_handle(case_workflow_id(inquiry_id)).fetch_history()
    payloads = [p for event in history.events for p in payloads_in(event)]
    everything = b"".join(event.SerializeToString() for event in history.events)
    assert found(needles, everything) == []
    plain = [p for p in payloads if p.metadata.get("encoding") != ENCODING]
    assert plain == [], f"{len(plain)} payloads not encrypted: {plain[:3]}"
    assert {p.metadata[KEY_ID] for p in payloads} == {b"test"}

    # With the codec every bit of it reads back, so the scan above could have found it.
    codec = service.client.data_converter.payload_codec
    assert isinstance(codec, EncryptionCodec)
    decoded = b"".join(p.SerializeToString() for p in await codec.decode(payloads))
    assert found(needles, decoded) == needles

    # The encrypted history replays on a worker with the codec.
    readable = await service.client.get_workflow_handle(
        case_workflow_id(inquiry_id)
    ).fetch_history()
    replayer = Replayer(
        workflows=[CaseWorkflow, CoHandlingWorkflow], data_converter=service.client.data_converter
    )
    assert (await replayer.replay_workflow(readable)).replay_failure is None


async def test_histories_recorded_before_the_codec_replay_through_it(service: Service) -> None:
    """Committed histories are plain; the codec passes through what it did not encrypt."""
    replayer = Replayer(workflows=list(WORKFLOWS), data_converter=service.client.data_converter)
    assert len(HISTORIES) >= 30
    for path in HISTORIES:
        history = WorkflowHistory.from_json(path.stem, path.read_text(encoding="utf-8"))
        result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
        assert result.replay_failure is None, path.name


async def test_failure_messages_are_encrypted_too(service: Service) -> None:
    """An error may quote what it failed on: its message and stack trace travel encrypted."""
    converter = service.client.data_converter
    failure = Failure()
    error = ApplicationError("phone 13912345678 of 欧阳娜娜 was refused", non_retryable=True)
    await converter.encode_failure(error, failure)
    assert found(["13912345678", "欧阳娜娜"], failure.SerializeToString()) == []
    back = await converter.decode_failure(failure)
    assert str(back) == "phone 13912345678 of 欧阳娜娜 was refused"
