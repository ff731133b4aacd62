"""How times and due dates read on a page (China time; remaining or overdue in words)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from api.pages.texts import Texts
from domain.calendar import CHINA_TZ


def when(moment: datetime | None) -> str:
    """2026-05-15 09:30, in China time; empty for none."""
    return moment.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M") if moment else ""


def span(seconds: float, t: Texts) -> str:
    """A duration in the largest two units: 2天3小时, 5 h 20 min."""
    minutes = int(abs(seconds) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [(days, "unit.d"), (hours, "unit.h"), (mins, "unit.m")]
    shown = [(n, k) for n, k in parts if n][:2] or [(0, "unit.m")]
    sep = "" if t.lang == "zh" else " "
    return sep.join(f"{n}{sep}{t[k]}" for n, k in shown)


@dataclass(frozen=True)
class Badge:
    text: str
    kind: str  # ok | soon | over | none: the CSS class
    provisional: bool


def due_badge(
    due_at: datetime | None, provisional: bool, t: Texts, now: datetime | None = None
) -> Badge:
    """What is left before the due time, or how far past it; 'soon' within a quarter day."""
    if due_at is None:
        return Badge(t["due.none"], "none", provisional)
    left = (due_at - (now or datetime.now(UTC))).total_seconds()
    if left < 0:
        return Badge(f"{t['due.over']} {span(left, t)}", "over", provisional)
    kind = "soon" if left < 6 * 3600 else "ok"
    return Badge(f"{t['due.left']} {span(left, t)}", kind, provisional)
