"""The benchmark's page shows the cases that failed in a run, and shows nothing when none did.

A failed case is counted, not retried (bench/load.py); a run whose table hid it would present a
rate over fewer cases as if every one had closed.
"""

from __future__ import annotations

import json
from pathlib import Path

from bench import worker_cache
from bench.report import burst_rows, markdown

STORED = Path(__file__).resolve().parents[1] / "bench/results/20261206T1533Z-staff-reads-b1.json"


def test_a_run_without_failures_has_no_failure_row() -> None:
    results = json.loads(STORED.read_text())
    assert "cases that failed" not in markdown(results)


def test_a_failed_case_is_shown_with_its_first_error() -> None:
    results = json.loads(STORED.read_text())
    error = 'RuntimeError(\'intake answered 500: {"error": "internal"} | `x`\')'
    results["lifecycle"]["service"].update(failed=1, errors=[error])
    results["intake"]["bare"].update(failed=2, errors=["TimeoutError()"])
    (row,) = [line for line in markdown(results).splitlines() if "cases that failed" in line]
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert len(cells) == 4, f"the row keeps the table's four columns: {row}"
    assert cells[1] == "2 (first: `TimeoutError()`)", cells[1]
    assert cells[2].startswith("1 (first: `RuntimeError('intake answered 500"), cells[2]


SHAPED = STORED.with_name("20261207T0330Z-shape-q5.json")


def test_a_run_with_the_case_s_shape_shows_it_beside_both_sides() -> None:
    results = json.loads(SHAPED.read_text())
    rows = [line for line in markdown(results).splitlines() if "shape" in line]
    assert len(rows) == 2, rows
    for row in rows:
        assert len(row.strip("|").split("|")) == 4, f"the table's four columns: {row}"
    rate, cost = rows
    shaped = results["lifecycle"]["shaped_ratio"]["ratio"]
    assert f"**{shaped:.2f}**" in rate
    assert f"{results['lifecycle']['service_of_shaped']['ratio']:.2f} of it" in rate
    assert "32 events, 5 local activities, 4 workflow tasks, 3 updates" in cost


def test_a_run_stored_before_the_shape_renders_without_it() -> None:
    results = json.loads(STORED.read_text())
    assert "shaped" not in results["lifecycle"]
    assert "shape" not in markdown(results)


# The SDK's format, as a worker's endpoint served it on 2026-12-08 (its workflow type renamed and
# a second one added, so that the sum over labels is tested).
WORKER_SCRAPE = """\
# HELP temporal_sticky_cache_hit Count of times the workflow cache was used for a new workflow task
# TYPE temporal_sticky_cache_hit counter
temporal_sticky_cache_hit{namespace="default",service_name="temporal-core-sdk",task_queue="q",workflow_type="CaseWorkflow"} 3
temporal_sticky_cache_hit{namespace="default",service_name="temporal-core-sdk",task_queue="q",workflow_type="DigestWorkflow"} 2
# HELP temporal_sticky_cache_miss Count of times the workflow cache was missing a workflow for a sticky task
# TYPE temporal_sticky_cache_miss counter
temporal_sticky_cache_miss{namespace="default",service_name="temporal-core-sdk",task_queue="q"} 4
# HELP temporal_sticky_cache_size Current number of cached workflows
# TYPE temporal_sticky_cache_size gauge
temporal_sticky_cache_size{namespace="default",service_name="temporal-core-sdk",task_queue="q"} 1
# HELP temporal_sticky_cache_total_forced_eviction Count of evictions of cached workflows
# TYPE temporal_sticky_cache_total_forced_eviction counter
temporal_sticky_cache_total_forced_eviction{namespace="default",service_name="temporal-core-sdk",task_queue="q"} 4
"""


def test_the_workers_cache_counters_are_summed_over_their_labels() -> None:
    counts = worker_cache.parse(WORKER_SCRAPE)
    assert counts == {"hits": 5.0, "misses": 4.0, "evictions": 4.0}  # the size gauge is not one
    later = {"hits": 9.0, "misses": 4.0, "evictions": 6.0}
    assert worker_cache.between(counts, later) == {"hits": 4, "misses": 0, "evictions": 2}


def test_a_burst_stored_before_the_cache_was_read_renders_without_its_row() -> None:
    stored = Path(__file__).resolve().parents[1] / "bench/results/20261208T0132Z-burst-tuned.json"
    burst = json.loads(stored.read_text())["burst"]
    assert not any("found their case cached" in row for row in burst_rows(burst))
    burst["sticky_cache"] = {"hits": 4990, "misses": 10, "evictions": 0}
    assert any("4,990 / 10; 0" in row for row in burst_rows(burst))
