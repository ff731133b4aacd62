"""`inquiry import closed-cases FILE`: a line of output per CSV line, safe to repeat, and the
imported year counted by the reports (2018: no other test's year)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import asyncpg
import pytest

from service import reports
from tests.infra.test_cli import _inquiry

ROOT = Path(__file__).resolve().parents[2]
CSV = """\ufeffexternal_ref,channel,category,unit,received_at,dispatched_at,replied_at,closed_at,on_time,rating,answered_on_site
CLI-1,hotline,billing,business_window,2018-06-01 09:00,2018-06-01 09:30,2018-06-02 09:30,2018-06-03,true,满意,
CLI-2,onsite,consultation,,2018-05-15 10:00,,2018-05-15 10:00,2018-05-15 11:00,,基本满意,是
CLI-3,hotline,no_such_category,business_window,2018-06-01,2018-06-01,2018-06-02,2018-06-03,,,
"""


async def test_import_closed_cases_from_the_command_line(
    database_url: str, pool: asyncpg.Pool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The command of this tree, also where the venv's editable install points at another one.
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    path = tmp_path / "2018.csv"
    path.write_text(CSV, encoding="utf-8")

    first = await _inquiry(database_url, "import", "closed-cases", str(path))
    assert first.returncode == 1, first.stderr  # one line was refused
    lines = first.stdout.splitlines()
    assert lines[0].startswith("line 2: imported WQ") and lines[1].startswith("line 3: imported")
    assert lines[2] == "line 4: error category: no category 'no_such_category'"
    assert lines[3] == "imported 2, skipped as duplicates 0, errors 1"

    again = await _inquiry(database_url, "import", "closed-cases", str(path))
    assert again.stdout.splitlines()[3] == "imported 0, skipped as duplicates 2, errors 1"

    figures = await reports.summary(
        pool, reports.Period(date(2018, 1, 1), date(2018, 12, 31)), None
    )
    total = figures.total
    assert (total.received, total.answered_on_site, total.dispatched, total.closed) == (2, 1, 1, 2)
    assert (total.satisfied, total.basically_satisfied, total.satisfaction_rate) == (1, 1, 1.0)
    assert total.handling_median_seconds == 86400

    missing = await _inquiry(database_url, "import", "closed-cases", str(tmp_path / "none.csv"))
    assert missing.returncode == 1 and "cannot read" in missing.stderr
