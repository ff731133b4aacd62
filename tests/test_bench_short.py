"""The benchmark suite runs end to end in short mode and stores every figure.

Only that it works is checked here: the figures must be there and make sense (counts, a
history longer than the bare one's); no time or rate is compared with a threshold.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from bench import outbox, report, sandbox, visibility
from bench.bare import SHAPED_STEPS
from repository.benchmarks import EARLY_VACUUM_OPTIONS

ROOT = Path(__file__).resolve().parents[1]
STAFF_STEPS = ("intake", "dispatch", "acknowledge", "reply", "rating")


@pytest.mark.timeout(420)
def test_the_short_benchmark_stores_every_figure(tmp_path: Path) -> None:
    output = tmp_path / "short.json"
    args = [sys.executable, "-m", "bench", "--short", "--output", str(output)]
    if os.environ.get("TEST_DATABASE_URL"):
        args += ["--database-url", os.environ["TEST_DATABASE_URL"]]
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=400)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = json.loads(output.read_text())

    for kind in ("intake", "lifecycle"):
        for side in ("bare", "service"):
            figures = results[kind][side]
            assert figures["done"] > 0 and figures["failed"] == 0, figures["errors"]
            assert figures["rate"] > 0
        assert results[kind]["ratio"] > 0
    steps = results["lifecycle"]["service"]["steps"]
    assert all(steps[s]["count"] == results["lifecycle"]["service"]["done"] for s in STAFF_STEPS)
    assert all(0 < steps[s]["p50"] <= steps[s]["p95"] for s in STAFF_STEPS)

    bare_steps = results["lifecycle"]["bare"]["steps"]
    assert bare_steps["action"]["count"] == results["lifecycle"]["bare"]["done"]
    # The case's shape on bare Temporal ran as a third side, with its rate against both.
    shaped = results["lifecycle"]["shaped"]
    assert shaped["done"] > 0 and shaped["failed"] == 0, shaped["errors"]
    assert all(shaped["steps"][s]["count"] == shaped["done"] for s in SHAPED_STEPS)
    assert results["lifecycle"]["shaped_ratio"]["ratio"] > 0
    assert results["lifecycle"]["service_of_shaped"]["ratio"] > 0
    assert len(results["lifecycle"]["shaped_ratio"]["round_ratios"]) == 1
    unloaded = results["unloaded"]
    assert unloaded["bare"]["done"] == unloaded["service"]["done"] == 3
    assert unloaded["shaped"]["done"] == 3
    assert all(unloaded["service"]["steps"][s]["count"] == 3 for s in STAFF_STEPS)
    assert unloaded["bare"]["steps"]["action"]["count"] == 3

    bare_cpu = results["lifecycle"]["bare"]["cpu_ms_per_case"]
    service_cpu = results["lifecycle"]["service"]["cpu_ms_per_case"]
    assert bare_cpu["temporal"] > 0 and bare_cpu["bare"] > 0
    assert all(service_cpu[p] > 0 for p in ("temporal", "api", "worker", "postgres"))
    assert bare_cpu["client"] > 0 and service_cpu["client"] > 0  # the load generator's own
    # The dev server's database calls, counted from its metrics for each side.
    for side in ("bare", "shaped", "service"):
        assert results["lifecycle"][side]["temporal_db_calls_per_case"] > 0

    bare, service = results["history"]["bare"], results["history"]["service"]
    assert bare["sampled"] > 0 and service["sampled"] > 0
    assert bare["activities"] == 2 and bare["signals"] == 1
    assert service["events"] > bare["events"]
    assert service["activities"] + service["local_activities"] >= 2
    assert service["updates"] >= 3  # 签收, reply and rating arrive as updates
    # The shape has the case's commands: its local activities, updates and workflow tasks.
    shape = results["history"]["shaped"]
    assert shape["sampled"] > 0 and shape["activities"] == 0
    # One local activity in the first task, as a case of revision 3 (workflows/revision.py).
    assert shape["local_activities"] == 4 and shape["updates"] == 3
    assert shape["search_attribute_upserts"] == 1
    # 签收 is sent once the first task has recorded the dispatch, so it lands in a task of its own.
    assert shape["workflow_tasks"] == 4 and shape["timers_started"] == 3
    assert "the closed case's shape on bare Temporal" in report.markdown(results)

    (scale,) = results["scale"]
    assert scale["open_cases"] >= 200, scale["fill"]
    for name in ("overdue", "staff_list", "unit_tasks"):
        assert scale["lists_idle"][name]["total"] > 0
        assert scale["lists_idle"][name]["median_ms"] > 0
    assert scale["lists_idle"]["staff_list"]["total"] >= scale["open_cases"]
    assert all(scale["rss_bytes"][p] > 0 for p in ("worker", "api", "temporal"))
    assert {"indexed_ms", "without_indexes_ms"} <= set(scale["read_levers"]["overdue_page"])
    # The read model grown to 600 open cases by copies of the 200 filed: each list grows with it.
    (copied,) = results["copies"]
    assert copied["open_cases"] == 600 and copied["copied"] == 600 - scale["open_cases"]
    for name in ("overdue", "staff_list", "unit_tasks"):
        assert copied["lists_idle"][name]["total"] > scale["lists_idle"][name]["total"]
        assert copied["lists_idle"][name]["total_exact"] is True
    assert {"indexed_ms", "without_indexes_ms"} <= set(copied["read_levers"]["unit_tasks_page"])
    assert copied["read_levers"]["overdue_total"]["exact_ms"] > 0
    # Timed "idle" once autovacuum had caught up, or after --short's 30 s of waiting for it (a
    # shared server's autovacuum may take minutes to reach a new database).
    for step in (scale, copied):
        waited = step["autovacuum"]
        assert waited["pending"] == [] or waited["waited_seconds"] >= 30, waited
        assert set(waited["pending"]) <= {"inquiries", "tasks"}
    assert len(results["targets"]) >= 11

    burst = results["burst"]
    assert burst["filed"] == burst["cases"] == 50 and burst["failed"] == 0, burst["errors"]
    assert burst["due_at_breach"] == burst["cases"]  # one common instant
    assert burst["breaches_fired"] + burst["unfired"] == burst["cases"]
    assert burst["lateness"]["fired"]["count"] == burst["breaches_fired"] > 0
    assert burst["histories"] == burst["cases"]
    assert burst["workflow_task_timeouts"] >= 0 and burst["workflow_task_failures"] >= 0
    # Each breach ran in a workflow task. One from the worker's sticky queue found its case
    # cached or not (the SDK counts those); one that timed out there went to the shared queue,
    # where the SDK counts neither.
    cache = burst["sticky_cache"]
    sticky = burst["breaches_fired"] - burst["workflow_task_timeouts"]
    assert cache["hits"] + cache["misses"] >= sticky, (cache, burst["workflow_task_timeouts"])
    assert any("found their case cached" in row for row in report.burst_rows(burst))
    persistence = burst["temporal_persistence"]
    assert persistence["calls_per_case"]["persistence"] > 0
    assert "persistence:history/UpdateWorkflowExecution" in persistence["operations"]
    assert results["targets"][-1]["value"] is not None


@pytest.mark.timeout(300)
def test_the_loop_runs_a_working_day_category(tmp_path: Path) -> None:
    """`--category consultation`: the intake and lifecycle phases file 咨询 (its clocks in working
    days and hours), acted on by a handler of the unit the demo rules send it to (business
    windows); a handler of any other unit would be refused, and the cases would count as failed."""
    output, page = tmp_path / "consultation.json", tmp_path / "benchmarks.md"
    args = [sys.executable, "-m", "bench", "--category", "consultation"]
    args += ["--intake", "20", "--lifecycle", "10", "--concurrency", "5", "--rounds", "1"]
    args += ["--unloaded", "0", "--scale", "", "--burst", "0"]
    args += ["--output", str(output), "--docs", str(page)]
    page.write_text("<!-- bench:begin -->\n<!-- bench:end -->\n")
    if os.environ.get("TEST_DATABASE_URL"):
        args += ["--database-url", os.environ["TEST_DATABASE_URL"]]
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=280)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = json.loads(output.read_text())
    assert results["meta"]["args"]["category"] == "consultation"
    for kind in ("intake", "lifecycle"):
        service = results[kind]["service"]
        assert service["done"] > 0 and service["failed"] == 0, service["errors"]
    assert "scale" not in results and "burst" not in results
    assert "`consultation`" in report.markdown(results)
    assert "`consultation`" in page.read_text()


def test_a_category_the_loop_cannot_close_is_refused() -> None:
    """A category with a review step (投诉: the unit head approves the reply) does not close on
    the rating right after the reply, so the loop would fail every case: refused at the start."""
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--short", "--category", "complaint"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "invalid choice: 'complaint'" in done.stderr, done.stderr


@pytest.mark.parametrize("setting", ["system.someKey", "=true", "system.someKey="])
def test_a_server_setting_without_key_or_value_is_refused(setting: str) -> None:
    """--temporal-config takes KEY=JSON; anything else is refused before a stack starts."""
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--short", "--temporal-config", setting],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "give KEY=JSON" in done.stderr, done.stderr


@pytest.mark.timeout(120)
def test_the_client_cost_benchmark_measures_both_clients() -> None:
    """bench/client_cost.py: the CPU per request of httpx and of the benchmark's aiohttp client,
    each twice, against a server in a child process; the figures of docs/levers/bench-client.md."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.client_cost", "--requests", "60", "--concurrency", "5"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=100,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = [line.split() for line in done.stdout.splitlines()]
    assert [line[0] for line in lines] == ["httpx", "aiohttp", "httpx", "aiohttp"], done.stdout
    assert all(
        float(line[1]) > 0 and line[2:] == ["ms", "of", "CPU", "per", "request"] for line in lines
    )


async def test_the_sandbox_benchmark_measures_both_runners() -> None:
    """bench/sandbox.py: a new CaseWorkflow instance in the SDK's default sandbox and in the
    worker's (the workflows package passed through); the figures of docs/levers/sandbox.md."""
    measured = await sandbox.measure(instances=3, rounds=2)
    per_instance = measured["cpu_ms_per_instance"]
    assert set(per_instance) == {"isolated", "shared_workflow_modules"}
    assert all(len(values) == 2 for values in measured["rounds"].values())
    assert all(ms > 0 for ms in per_instance.values())
    ratio = per_instance["isolated"] / per_instance["shared_workflow_modules"]
    assert measured["isolated_per_shared"] == pytest.approx(ratio)


@pytest.mark.parametrize(
    ("table", "autovacuum", "counted"),
    [("inquiries", "defaults", 250), ("tasks", "early", 100)],
)
async def test_the_visibility_benchmark_counts_under_writes(
    table: str, autovacuum: str, counted: int
) -> None:
    """bench/visibility.py: 500 open cases, half of them overdue and a fifth in the counted
    unit; the writes keep both totals as they were; the figures of docs/levers/vacuum.md."""
    measured = await visibility.measure(
        table=table,
        cases=500,
        overdue=0.5,
        writes=40,
        seconds=3,
        autovacuum=autovacuum,
        database_url=os.environ.get("TEST_DATABASE_URL"),
    )
    assert measured["total_counted"] == counted
    assert measured["reads"] >= 5 and measured["writes_per_second"] >= 20
    assert 0 < measured["total_ms"]["median"] <= measured["total_ms"]["max"]
    options = measured["table_at_end"]["options"]
    early = [f"{option}=0.01" for option in EARLY_VACUUM_OPTIONS]
    assert options == (early if autovacuum == "early" else []), options


async def test_the_outbox_benchmark_delivers_every_notice() -> None:
    """bench/outbox.py: 60 notices queued one at a time, first with nobody delivering, then
    delivered by the dispatcher; the figures of docs/levers/outbox.md."""
    measured = await outbox.measure(
        notices=60, rate=100, database_url=os.environ.get("TEST_DATABASE_URL")
    )
    alone, dispatched = measured["alone"], measured["dispatched"]
    assert alone["statements"] == pytest.approx(3, abs=0.1)  # BEGIN, INSERT, COMMIT
    assert alone["queued_to_sent_ms"] is None  # nobody delivered
    waits = dispatched["queued_to_sent_ms"]
    assert 0 < waits["p50"] <= waits["p95"] <= waits["max"]
    per_notice = measured["dispatcher_per_notice"]
    assert per_notice["statements"] >= 2  # at least its claim and its mark
    assert per_notice["process_cpu_ms"] > 0


@pytest.mark.timeout(240)
def test_a_terminated_benchmark_stops_its_stack_and_drops_its_database(tmp_path: Path) -> None:
    """`kill` (or a CI timeout) must not leave a Temporal server, workers, an API and a database
    behind, as Python's default handling of SIGTERM did."""
    output = tmp_path / "short.json"
    args = [sys.executable, "-m", "bench", "--short", "--output", str(output)]
    admin_dsn = os.environ.get("TEST_DATABASE_URL")
    if admin_dsn:
        args += ["--database-url", admin_dsn]
    bench = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert bench.stdout is not None
    ready = next((line for line in bench.stdout if line.startswith("stack ready")), "")
    assert ready, f"the benchmark ended before its stack was ready (exit {bench.wait()})"
    home = Path(ready.split("(home ", 1)[1].split(",", 1)[0])
    database = ready.split("database ", 1)[1].rstrip(")\n")
    # Temporal has the home in its arguments, the API, workers and bare worker in their VAR_DIR.
    started = _processes_of(home)
    assert len(started) >= 4, f"the stack's processes were not found: {started}"

    bench.send_signal(signal.SIGTERM)
    bench.communicate(timeout=120)

    assert not _processes_of(home)
    assert not home.exists()
    assert not output.exists()  # stopped, not finished
    if admin_dsn:
        assert database not in asyncio.run(_databases(admin_dsn))


def _processes_of(home: Path) -> list[int]:
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            seen = (proc / "cmdline").read_bytes() + (proc / "environ").read_bytes()
        except OSError:
            continue
        if str(home).encode() in seen:
            found.append(int(proc.name))
    return found


async def _databases(dsn: str) -> set[str]:
    conn = await asyncpg.connect(dsn)
    try:
        return {row["datname"] for row in await conn.fetch("SELECT datname FROM pg_database")}
    finally:
        await conn.close()
