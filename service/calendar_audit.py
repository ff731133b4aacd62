"""What the audit log keeps of an operator-calendar change, for the admin API and the CLI alike."""

from __future__ import annotations

from datetime import date
from typing import Any

from repository import Conn, audit
from repository import calendar as calendar_repo


async def days_as_set(conn: Conn, days: list[date]) -> dict[str, Any]:
    """The overrides of these days as the audit log keeps them (a day without one is absent)."""
    wanted = set(days)
    rows = [r for r in await calendar_repo.list_days(conn, year=None) if r["day"] in wanted]
    return {
        "days": {r["day"].isoformat(): {"working": r["working"], "note": r["note"]} for r in rows}
    }


async def record(
    conn: Conn, *, actor: str, action: str, before: dict[str, Any], after: dict[str, Any]
) -> None:
    """One audit entry for the days that changed, in the caller's transaction."""
    await audit.record(
        conn,
        actor=actor,
        action=action,
        target_type="calendar",
        target=",".join(sorted(set(before["days"]) | set(after["days"]))) or "-",
        before=before,
        after=after,
    )
