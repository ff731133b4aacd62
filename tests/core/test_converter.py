"""The payload converter with cached type hints and fast field conversions (core/converter.py)
decodes what the SDK's default converter decodes, to equal values of the same types, and refuses
what it refuses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import pytest
import temporalio.converter

from bench.converter import HISTORIES, history_payloads
from core.converter import PayloadConverter
from domain.case import CaseState

SDK = temporalio.converter.default().payload_converter
CACHED = PayloadConverter()


def test_every_committed_history_input_decodes_as_the_sdk_decodes_it() -> None:
    inputs = [p for p in history_payloads() if p.source == "start"]
    assert len(inputs) >= len(HISTORIES)
    # One of them carries a whole case state over continue-as-new: nested dataclasses, ledgers.
    assert any(p.history.endswith("carried_over") for p in inputs)
    for name, _, hint, payload in inputs:
        [theirs] = SDK.from_payloads([payload], [hint])
        [ours] = CACHED.from_payloads([payload], [hint])
        assert ours == theirs, name
        assert CACHED.to_payloads([ours]) == SDK.to_payloads([theirs]), name


def test_every_typed_payload_of_the_histories_decodes_as_the_sdk_decodes_it() -> None:
    payloads = history_payloads()
    kinds = {str(p.hint) for p in payloads}
    assert len(payloads) > 500 and len(kinds) >= 10, (len(payloads), kinds)
    for name, _, hint, payload in payloads:
        [theirs] = SDK.from_payloads([payload], [hint])
        [ours] = CACHED.from_payloads([payload], [hint])
        assert ours == theirs and type(ours) is type(theirs), (name, hint)


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


class Colour(StrEnum):
    RED = "red"


@dataclass
class Fields:
    """A field of each kind the fast conversions take, and some they leave to the SDK."""

    count: int = 0
    share: float = 0.0
    flag: bool = False
    name: str = ""
    at: datetime | None = None
    colour: Colour = Colour.RED
    inner: Inner | None = None
    names: list[str] = field(default_factory=list)
    by_key: dict[str, Inner] = field(default_factory=dict)
    anything: Any = None
    pair: tuple[int, str] = (0, "")
    either: int | str = 0


@pytest.mark.parametrize(
    "value",
    [
        {"count": 3, "share": 0.5, "flag": True, "name": "n", "at": "2026-12-07T08:00:00+08:00"},
        {"count": True, "share": 2, "flag": False},  # a bool where an int goes, an int for a float
        {"count": 2.5, "share": "x"},
        {"flag": 1},
        {"name": 5},
        {"at": "2026-12-07T08:00:00"},  # no offset: a naive datetime
        {"at": "not a time"},
        {"at": 1733558400},
        {"colour": "red"},
        {"colour": "blue"},
        {"colour": 1},
        {"inner": {"count": 1}},
        {"inner": {"count": "one"}},
        {"inner": None},
        {"inner": [1]},
        {"names": ["a", "b"]},
        {"names": ["a", 1]},
        {"names": "ab"},
        {"names": None},
        {"by_key": {"a": {"count": 1}}},
        {"by_key": {"a": {"count": "x"}}},
        {"by_key": {"a": None}},
        {"anything": {"deep": [1, {"x": None}]}},
        {"pair": [1, "a"]},
        {"either": "s"},
        {"either": 4},
        {"unknown": 1},
    ],
)
def test_each_kind_of_field_converts_or_fails_as_the_sdk_does(value: dict[str, Any]) -> None:
    [payload] = SDK.to_payloads([value])
    outcomes = []
    for converter in (SDK, CACHED):
        try:
            [decoded] = converter.from_payloads([payload], [Fields])
        except Exception as error:
            outcomes.append(("raised", type(error), str(error), str(error.__cause__)))
        else:
            outcomes.append(("gave", decoded, [type(getattr(decoded, f)) for f in vars(decoded)]))
    assert outcomes[0] == outcomes[1]
