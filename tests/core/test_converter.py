"""The payload converter with cached type hints (core/converter.py) decodes what the SDK's
default converter decodes, to equal values, and refuses what it refuses."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import temporalio.converter
from google.protobuf import json_format
from temporalio import workflow
from temporalio.api.history.v1 import History

from core.converter import PayloadConverter
from domain.case import CaseState
from worker import WORKFLOWS

HISTORIES = sorted((Path(__file__).parents[1] / "workflows" / "histories").glob("*.json"))
INPUT_TYPES = {
    definition.name: definition.arg_types[0]
    for definition in map(workflow._Definition.from_class, WORKFLOWS)
    if definition.name is not None and definition.arg_types
}
SDK = temporalio.converter.default().payload_converter
CACHED = PayloadConverter()


def started_inputs() -> list[tuple[str, type, temporalio.api.common.v1.Payload]]:
    out = []
    for path in HISTORIES:
        history = json_format.Parse(path.read_text(encoding="utf-8"), History())
        started = history.events[0].workflow_execution_started_event_attributes
        for payload in started.input.payloads:
            out.append((path.stem, INPUT_TYPES[started.workflow_type.name], payload))
    return out


def test_every_committed_history_input_decodes_as_the_sdk_decodes_it() -> None:
    inputs = started_inputs()
    assert len(inputs) >= len(HISTORIES)
    # One of them carries a whole case state over continue-as-new: nested dataclasses, ledgers.
    assert any(name.endswith("carried_over") for name, _, _ in inputs)
    for name, hint, payload in inputs:
        [theirs] = SDK.from_payloads([payload], [hint])
        [ours] = CACHED.from_payloads([payload], [hint])
        assert ours == theirs, name
        assert CACHED.to_payloads([ours]) == SDK.to_payloads([theirs]), name


def test_a_case_state_round_trips() -> None:
    state = CaseState()
    [payload] = CACHED.to_payloads([state])
    [back] = CACHED.from_payloads([payload], [CaseState])
    assert back == state
    assert back is not state


@dataclass
class Inner:
    count: int


@dataclass
class Outer:
    inner: Inner | None
    names: list[str]


def test_a_payload_that_does_not_fit_is_refused_as_the_sdk_refuses_it() -> None:
    [good] = SDK.to_payloads([{"inner": {"count": 2}, "names": ["a"]}])
    assert CACHED.from_payloads([good], [Outer]) == [Outer(Inner(2), ["a"])]
    [bad] = SDK.to_payloads([{"inner": {"count": "two"}, "names": ["a"]}])
    for converter in (SDK, CACHED):
        with pytest.raises(TypeError, match="Failed converting field inner"):
            converter.from_payloads([bad], [Outer])
    [missing] = SDK.to_payloads([{"names": []}])
    for converter in (SDK, CACHED):
        with pytest.raises(TypeError, match="inner"):
            converter.from_payloads([missing], [Outer])


def test_nested_dataclasses_encode_to_the_sdk_bytes() -> None:
    value = [Outer(Inner(1), ["a"]), {"k": Inner(2), "s": {3}}, (Inner(3), None), CaseState()]
    assert CACHED.to_payloads([value]) == SDK.to_payloads([value])
