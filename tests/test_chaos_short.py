"""`python -m chaos --short`: ten case lifecycles through the API while two parts of the stack
(API, worker, Temporal, PostgreSQL or all of them) are killed with kill -9 and brought back;
every accepted case closes, with no inquiry, notice or event twice, and every notice delivered. `make chaos` runs the long
version (README "Chaos")."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.timeout(300)
def test_short_chaos_loses_and_doubles_nothing(tmp_path: Path) -> None:
    report_file = tmp_path / "report.json"
    done = subprocess.run(
        [sys.executable, "-m", "chaos", "--short", "--json", str(report_file),
         "--workdir", str(tmp_path / "run")],
        cwd=ROOT, capture_output=True, text=True, timeout=280,
    )  # fmt: skip
    assert report_file.exists(), done.stderr[-5000:]
    report = json.loads(report_file.read_text())
    assert done.returncode == 0, done.stdout[:1500] + done.stderr[-5000:]
    assert report["lifecycles"] == report["accepted"] == report["closed"] == 10
    assert report["lost"] == report["missing"] == 0
    assert report["duplicated_inquiries"] == 0
    assert report["duplicated_notices"] == 0
    assert report["duplicated_events"] == 0
    assert report["undelivered_notices"] == 0
    assert len(report["kills"]) == 2
    assert all(sum(k["in_flight"].values()) > 0 for k in report["kills"])  # cases at work
