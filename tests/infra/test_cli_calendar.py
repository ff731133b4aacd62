"""`inquiry calendar`: set and list operator days from the command line, telling open cases."""

from __future__ import annotations

import asyncpg
from temporalio.testing import WorkflowEnvironment

from tests.infra.test_cli import _inquiry


async def test_set_and_list_a_holiday(
    database_url: str, pool: asyncpg.Pool, temporal_env: WorkflowEnvironment, monkeypatch
) -> None:
    monkeypatch.setenv("TEMPORAL_ADDRESS", temporal_env.client.service_client.config.target_host)
    async with pool.acquire() as conn:
        before = await conn.fetchval("SELECT max(id) FROM calendar_changes") or 0
    try:
        done = await _inquiry(
            database_url,
            "calendar", "set", "--day", "2027-01-01", "--holiday", "--note", "元旦",
            "--reason", "State Council 2027 notice",
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "set 2027-01-01 as holiday" in done.stdout
        assert "open cases told: " in done.stdout
        assert "warning" not in done.stderr

        listed = await _inquiry(database_url, "calendar", "list", "--year", "2027")
        assert listed.returncode == 0, listed.stderr
        assert "2027-01-01  holiday  元旦" in listed.stdout.splitlines()
        other_year = await _inquiry(database_url, "calendar", "list", "--year", "2026")
        assert "2027-01-01" not in other_year.stdout

        async with pool.acquire() as conn:
            row = await conn.fetchrow(
                "SELECT working, note, updated_by FROM calendar_days WHERE day = '2027-01-01'"
            )
            change = await conn.fetchrow(
                "SELECT changed_by, days, reason FROM calendar_changes WHERE id > $1", before
            )
            audited = await conn.fetchrow(
                "SELECT actor, action, before, after FROM audit_log"
                " WHERE target_type = 'calendar' AND target = '2027-01-01' ORDER BY id DESC"
            )
        assert dict(row) == {"working": False, "note": "元旦", "updated_by": "cli"}
        # The command line's change is audited like the admin API's, with before and after.
        assert audited is not None, "the CLI's calendar change left no audit entry"
        assert (audited["actor"], audited["action"]) == ("cli", "calendar.set")
        assert audited["before"] == {"days": {}}
        assert audited["after"] == {"days": {"2027-01-01": {"working": False, "note": "元旦"}}}
        assert dict(change) == {
            "changed_by": "cli",
            "days": ["2027-01-01"],
            "reason": "State Council 2027 notice",
        }

        # Without Temporal the day is still stored; the command warns and succeeds.
        monkeypatch.setenv("TEMPORAL_ADDRESS", "127.0.0.1:1")
        offline = await _inquiry(
            database_url, "calendar", "set", "--day", "2027-02-06", "--day", "2027-02-07",
            "--workday",
        )  # fmt: skip
        assert offline.returncode == 0, offline.stderr
        assert "warning" in offline.stderr and "unreachable" in offline.stderr
        async with pool.acquire() as conn:
            stored = await conn.fetch(
                "SELECT day::text, working FROM calendar_days"
                " WHERE day IN ('2027-02-06', '2027-02-07') ORDER BY day"
            )
        assert [tuple(r) for r in stored] == [("2027-02-06", True), ("2027-02-07", True)]

        refused = await _inquiry(database_url, "calendar", "set", "--day", "2027-01-01")
        assert refused.returncode != 0 and "--holiday" in refused.stderr
    finally:
        async with pool.acquire() as conn:
            await conn.execute(
                "DELETE FROM calendar_days WHERE day IN ('2027-01-01', '2027-02-06', '2027-02-07')"
            )
