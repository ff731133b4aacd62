"""The bare baseline: one activity, wait for a signal, one activity, on a Python worker of its own.

Run as `python -m bench.bare ADDRESS TASK_QUEUE` so its CPU is counted apart from the service's.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.worker import Worker


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


async def serve(address: str, task_queue: str) -> None:
    # Connected as the service's processes are (same codec), on the bench's own server; imported
    # here so the workflow sandbox, which re-imports this module, never loads them.
    from core.settings import Settings
    from core.temporal import connect_temporal

    client = await connect_temporal(Settings(temporal_address=address))
    worker = Worker(client, task_queue=task_queue, workflows=[BareWorkflow], activities=[step])
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    running = asyncio.create_task(worker.run())
    await stop.wait()
    await worker.shutdown()
    await running


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1], sys.argv[2]))
