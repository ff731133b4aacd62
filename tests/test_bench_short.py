"""The benchmark suite runs end to end in short mode and stores every figure.

Only that it works is checked here: the figures must be there and make sense (counts, a
history longer than the bare one's); no time or rate is compared with a threshold.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import sandbox

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
    unloaded = results["unloaded"]
    assert unloaded["bare"]["done"] == unloaded["service"]["done"] == 3
    assert all(unloaded["service"]["steps"][s]["count"] == 3 for s in STAFF_STEPS)
    assert unloaded["bare"]["steps"]["action"]["count"] == 3

    bare_cpu = results["lifecycle"]["bare"]["cpu_ms_per_case"]
    service_cpu = results["lifecycle"]["service"]["cpu_ms_per_case"]
    assert bare_cpu["temporal"] > 0 and bare_cpu["bare"] > 0
    assert all(service_cpu[p] > 0 for p in ("temporal", "api", "worker", "postgres"))

    bare, service = results["history"]["bare"], results["history"]["service"]
    assert bare["sampled"] > 0 and service["sampled"] > 0
    assert bare["activities"] == 2 and bare["signals"] == 1
    assert service["events"] > bare["events"]
    assert service["activities"] + service["local_activities"] >= 2
    assert service["updates"] >= 3  # 签收, reply and rating arrive as updates

    (scale,) = results["scale"]
    assert scale["open_cases"] >= 200
    for name in ("overdue", "staff_list", "unit_tasks"):
        assert scale["lists_idle"][name]["total"] > 0
        assert scale["lists_idle"][name]["median_ms"] > 0
    assert scale["lists_idle"]["staff_list"]["total"] >= scale["open_cases"]
    assert all(scale["rss_bytes"][p] > 0 for p in ("worker", "api", "temporal"))
    assert {"indexed_ms", "without_indexes_ms"} <= set(scale["read_levers"]["overdue_page"])
    assert len(results["targets"]) >= 8

    burst = results["burst"]
    assert burst["filed"] == burst["cases"] == 50 and burst["failed"] == 0, burst["errors"]
    assert burst["due_at_breach"] == burst["cases"]  # one common instant
    assert burst["breaches_fired"] + burst["unfired"] == burst["cases"]
    assert burst["lateness"]["fired"]["count"] == burst["breaches_fired"] > 0
    assert burst["histories"] == burst["cases"]
    assert burst["workflow_task_timeouts"] >= 0 and burst["workflow_task_failures"] >= 0
    assert results["targets"][-1]["value"] is not None


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
