"""The bare baseline: one activity, wait for a signal, one activity, on a Python worker of its own.

Beside it, on the same worker, `ShapedWorkflow`: the closed case's Temporal shape with nothing of
the service behind it, to tell what the shape itself costs from what the service adds to it.

Run as `python -m bench.bare ADDRESS TASK_QUEUE` so its CPU is counted apart from the service's.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import timedelta
from pathlib import Path

from temporalio import activity, workflow
from temporalio.worker import Worker

with workflow.unsafe.imports_passed_through():
    from workflows.search_attributes import REPLY_DUE_AT, RESPONSIBLE_UNIT


@activity.defn(name="bench_bare_step")
async def step(name: str) -> str:
    """Nothing but a round trip through the server, like the cheapest real activity."""
    return name


@workflow.defn(name="BenchBareWorkflow")
class BareWorkflow:
    def __init__(self) -> None:
        self._go = False

    @workflow.signal(name="proceed")
    def proceed(self) -> None:
        self._go = True

    @workflow.run
    async def run(self, case: str) -> str:
        timeout = timedelta(seconds=30)
        await workflow.execute_activity(step, "start", start_to_close_timeout=timeout)
        await workflow.wait_condition(lambda: self._go)
        await workflow.execute_activity(step, "finish", start_to_close_timeout=timeout)
        return case


SHORT = timedelta(seconds=30)
SHAPED_STEPS = ("dispatch", "acknowledge", "reply", "rating")


def dispatch_marks(var_dir: Path) -> Path:
    """Where the shape marks a case dispatched: the bare worker's and the benchmark's VAR_DIR."""
    return var_dir / "shaped-dispatched"


@activity.defn(name="bench_shaped_dispatched")
async def dispatched(workflow_id: str) -> str:
    """The shape's first activity, in the place of the case's activity that receives and routes
    the case and records its dispatch in the read model. It leaves a mark the benchmark's client
    polls for, as the client polls the read model for 派单, so 签收 reaches the shape once its
    first task has started, as it reaches the case."""
    (dispatch_marks(Path(os.environ["VAR_DIR"])) / workflow_id).touch()
    return workflow_id


@workflow.defn(name="BenchShapedWorkflow")
class ShapedWorkflow:
    """A closed case's history without the service: the same commands, no API, no PostgreSQL.

    As the case workflow of revision 3 closes in the benchmark's loop: the first workflow task
    runs one local activity (receipt, route and the dispatch recorded), upserts the search
    attributes once and arms the agenda's timer; then three updates (签收, reply, rating), each
    accepted, run with one local activity and completed in one workflow task, the first two
    moving the timer. Its activities return at once (the first leaves the dispatch's mark)
    and its payloads are a few bytes, so its rate is the most the case's shape allows on this
    server and worker: a floor for the service's cost, not a second service. Its timer is
    cancelled at the rating, one event more than the case, whose timer is left to the run's end.
    """

    def __init__(self) -> None:
        self._moves = 0  # each staff action moves the agenda's first due time
        self._closed = False

    @workflow.run
    async def run(self, case: str) -> str:
        # One local activity in the first task, as the case's revision 3 has (receive_and_dispatch).
        await workflow.execute_local_activity(
            dispatched, workflow.info().workflow_id, start_to_close_timeout=SHORT
        )
        due = workflow.now() + timedelta(hours=8)
        workflow.upsert_search_attributes(
            [RESPONSIBLE_UNIT.value_set("bench"), REPLY_DUE_AT.value_set(due)]
        )
        while not self._closed:
            await self._until_the_agenda_moves(self._moves)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return case

    async def _until_the_agenda_moves(self, moves: int) -> None:
        try:
            await workflow.wait_condition(
                lambda: self._closed or self._moves != moves, timeout=timedelta(hours=8)
            )
        except TimeoutError:
            pass  # where the case fires a ladder step; no benchmark case waits that long

    async def _act(self, name: str) -> str:
        # The client sends 签收 once the dispatch's mark is there: after the first task.
        return await workflow.execute_local_activity(step, name, start_to_close_timeout=SHORT)

    @workflow.update(name="acknowledge")
    async def acknowledge(self) -> str:
        done = await self._act("acknowledge")
        self._moves += 1
        return done

    @workflow.update(name="reply")
    async def reply(self) -> str:
        done = await self._act("reply")
        self._moves += 1
        return done

    @workflow.update(name="rate")
    async def rate(self) -> str:
        done = await self._act("rate")
        self._closed = True
        return done


async def serve(address: str, task_queue: str) -> None:
    # Connected as the service's processes are (same codec), on the bench's own server; imported
    # here so the workflow sandbox, which re-imports this module, never loads them.
    from core.settings import Settings
    from core.temporal import connect_temporal

    client = await connect_temporal(Settings(temporal_address=address))
    worker = Worker(
        client,
        task_queue=task_queue,
        workflows=[BareWorkflow, ShapedWorkflow],
        activities=[step, dispatched],
    )
    dispatch_marks(Path(os.environ["VAR_DIR"])).mkdir(parents=True, exist_ok=True)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    running = asyncio.create_task(worker.run())
    await stop.wait()
    await worker.shutdown()
    await running


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1], sys.argv[2]))
