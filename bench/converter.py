"""`python -m bench.converter`: what decoding a case's payloads costs, with the SDK's default
payload converter and with the service's (core/converter.py), in one process.

The payloads are every one of the committed replay histories (tests/workflows/histories) whose
type the code names: the start inputs, the local activities' results (markers), and the updates'
and signals' arguments. Each is decoded to its type by both converters, interleaved in rounds,
and the figure is CPU time per payload; the two must decode every payload to equal values (the
run stops otherwise). docs/levers/converter.md has the runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import typing
from pathlib import Path
from typing import Any, NamedTuple

import temporalio.converter
from google.protobuf import json_format
from temporalio import workflow
from temporalio.api.common.v1 import Payload
from temporalio.api.history.v1 import History

from activities.cases import CaseActivities
from activities.legacy_v1 import LegacyInquiryActivities
from activities.scheduled import ScheduledActivities
from core.converter import PayloadConverter
from worker import WORKFLOWS

ROOT = Path(__file__).resolve().parents[1]
HISTORIES = sorted((ROOT / "tests" / "workflows" / "histories").glob("*.json"))


def _activity_results() -> dict[str, Any]:
    """The return type of every activity the workers register, by activity name."""
    results = {}
    for cls in (CaseActivities, LegacyInquiryActivities, ScheduledActivities):
        for name in dir(cls):
            method = getattr(cls, name)
            definition = getattr(method, "__temporal_activity_definition", None)
            if definition is not None and definition.name is not None:
                results[definition.name] = typing.get_type_hints(method).get("return")
    return results


def _workflow_types() -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """Each workflow's input type by workflow name, and each update's and signal's argument
    types by its name."""
    inputs: dict[str, Any] = {}
    handlers: dict[str, list[Any]] = {}
    for definition in map(workflow._Definition.from_class, WORKFLOWS):
        if definition is None or definition.name is None:
            continue
        if definition.arg_types:
            inputs[definition.name] = definition.arg_types[0]
        for name, handler in [*definition.updates.items(), *definition.signals.items()]:
            if name is not None:
                hints = typing.get_type_hints(handler.fn)
                handlers[name] = [hint for key, hint in hints.items() if key != "return"]
    return inputs, handlers


class TypedPayload(NamedTuple):
    history: str  # the file's stem
    source: str  # "start", "marker" (a local activity's result), "update" or "signal"
    hint: Any
    payload: Payload


def history_payloads() -> list[TypedPayload]:
    """Every payload of the committed histories whose type the code names."""
    results = _activity_results()
    inputs, handlers = _workflow_types()
    out: list[TypedPayload] = []
    for path in HISTORIES:
        history = json_format.Parse(path.read_text(encoding="utf-8"), History())
        for event in history.events:
            if event.HasField("workflow_execution_started_event_attributes"):
                started = event.workflow_execution_started_event_attributes
                hint = inputs[started.workflow_type.name]
                out += [TypedPayload(path.stem, "start", hint, p) for p in started.input.payloads]
            elif event.HasField("marker_recorded_event_attributes"):
                details = event.marker_recorded_event_attributes.details
                if "data" not in details or "result" not in details:
                    continue  # a patch marker
                data = json.loads(details["data"].payloads[0].data)
                hint = results.get(data.get("activity_type"))
                if hint is not None and hint is not type(None):
                    out += [
                        TypedPayload(path.stem, "marker", hint, p)
                        for p in details["result"].payloads
                    ]
            elif event.HasField("workflow_execution_update_accepted_event_attributes"):
                request = event.workflow_execution_update_accepted_event_attributes.accepted_request
                hints = handlers.get(request.input.name, [])
                out += [
                    TypedPayload(path.stem, "update", h, p)
                    for h, p in zip(hints, request.input.args.payloads, strict=False)
                ]
            elif event.HasField("workflow_execution_signaled_event_attributes"):
                signaled = event.workflow_execution_signaled_event_attributes
                hints = handlers.get(signaled.signal_name, [])
                out += [
                    TypedPayload(path.stem, "signal", h, p)
                    for h, p in zip(hints, signaled.input.payloads, strict=False)
                ]
    return out


def measure(rounds: int = 5, repeat: int = 20) -> dict[str, Any]:
    payloads = history_payloads()
    converters = {
        "sdk": temporalio.converter.default().payload_converter,
        "service": PayloadConverter(),
    }
    for name, _, hint, payload in payloads:
        [theirs] = converters["sdk"].from_payloads([payload], [hint])
        [ours] = converters["service"].from_payloads([payload], [hint])
        if ours != theirs or type(ours) is not type(theirs):
            raise SystemExit(f"{name}: {hint} decodes differently")
    per_payload: dict[str, list[float]] = {side: [] for side in converters}
    for i in range(rounds):
        for side in sorted(converters, reverse=i % 2 == 1):  # each goes first in turn
            convert = converters[side].from_payloads
            began = time.process_time()
            for _ in range(repeat):
                for _, _, hint, payload in payloads:
                    convert([payload], [hint])
            spent = time.process_time() - began
            per_payload[side].append(spent / (repeat * len(payloads)) * 1e6)
    median = {side: statistics.median(times) for side, times in per_payload.items()}
    return {
        "histories": len(HISTORIES),
        "payloads": len(payloads),
        "types": len({str(p.hint) for p in payloads}),
        "bytes": sum(len(p.payload.data) for p in payloads),
        "us_per_payload": {side: [round(t, 1) for t in ts] for side, ts in per_payload.items()},
        "median_us": {side: round(t, 1) for side, t in median.items()},
        "sdk_over_service": round(median["sdk"] / median["service"], 2),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.converter", description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=20, help="passes over the payloads a round")
    parser.add_argument("--output", type=Path, help="also write the JSON here")
    args = parser.parse_args(argv)
    text = json.dumps(measure(args.rounds, args.repeat), indent=2)
    if args.output:
        args.output.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
