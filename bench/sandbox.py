"""`python -m bench.sandbox`: what a new workflow instance costs the worker in the SDK's sandbox.

The worker creates one for every new run and for every run it replays after the run left its
cache. The default sandbox re-executes the workflow's module and the modules it imports for each
one; the service's worker passes its `workflows` package through (core/runner.py). Both runners
create the same CaseWorkflow instance, interleaved in one process; the figure is CPU time of this
process per instance, and the ratio between the two.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import temporalio.converter
import temporalio.workflow
from temporalio.api.common.v1 import Payloads
from temporalio.common import Priority, TypedSearchAttributes
from temporalio.worker import WorkflowInstanceDetails, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from core.runner import shared_workflow_modules
from workflows.case import CaseWorkflow


def _details(defn: temporalio.workflow._Definition) -> WorkflowInstanceDetails:
    """What the worker hands the runner for a new CaseWorkflow run (values the instance's
    creation reads; no activation follows)."""
    now = datetime.now(UTC)
    info: dict[str, Any] = {
        field.name: None for field in dataclasses.fields(temporalio.workflow.Info)
    }
    info.update(
        attempt=1,
        namespace="default",
        run_id="bench-run",
        first_execution_run_id="bench-run",
        task_queue="bench",
        workflow_id="bench-case",
        workflow_type=defn.name,
        headers={},
        raw_memo={},
        search_attributes={},
        typed_search_attributes=TypedSearchAttributes.empty,
        priority=Priority.default,
        start_time=now,
        workflow_start_time=now,
        task_timeout=timedelta(seconds=10),
    )
    converter = temporalio.converter.default()
    return WorkflowInstanceDetails(
        payload_converter_factory=converter.payload_converter_class,
        failure_converter_class=converter.failure_converter_class,
        interceptor_classes=[],
        defn=defn,
        info=temporalio.workflow.Info(**info),
        randomness_seed=1,
        extern_functions={},
        disable_eager_activity_execution=False,
        worker_level_failure_exception_types=[],
        patch_activation_callback=None,
        last_completion_result=Payloads(),
        last_failure=None,
    )


def _cpu_ms_per_instance(runner: WorkflowRunner, details: WorkflowInstanceDetails, n: int) -> float:
    started = time.process_time()
    for _ in range(n):
        runner.create_instance(details)
    return (time.process_time() - started) * 1000 / n


async def measure(instances: int, rounds: int) -> dict[str, Any]:
    # An instance binds itself to the running event loop, as in the worker.
    defn = temporalio.workflow._Definition.must_from_class(CaseWorkflow)
    details = _details(defn)
    runners: dict[str, WorkflowRunner] = {
        "isolated": SandboxedWorkflowRunner(),
        "shared_workflow_modules": shared_workflow_modules(),
    }
    for runner in runners.values():
        runner.prepare_workflow(defn)
        runner.create_instance(details)  # warm: the first one loads what every run shares
    per_round: dict[str, list[float]] = {name: [] for name in runners}
    for _ in range(rounds):
        for name, runner in runners.items():
            per_round[name].append(_cpu_ms_per_instance(runner, details, instances))
    medians = {name: statistics.median(values) for name, values in per_round.items()}
    return {
        "cpu_ms_per_instance": medians,
        "rounds": per_round,
        "isolated_per_shared": medians["isolated"] / medians["shared_workflow_modules"],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.sandbox", description=__doc__)
    parser.add_argument("--instances", type=int, default=200, help="instances per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    print(json.dumps(asyncio.run(measure(args.instances, args.rounds)), indent=2))


if __name__ == "__main__":
    main()
