"""The SLA bar draws what the explanation says: budget, consumed, overdue, pauses, extension,
and the ladder steps that fired."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from api.pages.sla_bar import bars
from api.pages.texts import Texts
from domain.clock import Segment
from domain.explain import TargetExplanation
from service.cases import SlaReport, SlaTarget

START = datetime(2026, 5, 15, 8, 0, tzinfo=UTC)


def _target(**changes: object) -> SlaTarget:
    fields: dict[str, object] = {
        "target": "reply",
        "unit": "natural_hours",
        "budget": 4.0,
        "extended": 0.0,
        "total": 4.0,
        "started_at": START,
        "segments": (),
        "due_at": START + timedelta(hours=4),
        "consumed": 2.0,
        "remaining": 2.0,
        "paused": False,
        "overdue": False,
        "stopped_at": None,
        "provisional": False,
        **changes,
    }
    return SlaTarget(cycle=1, active=True, explained=TargetExplanation(**fields))  # type: ignore[arg-type]


def _svg(target: SlaTarget, as_of: datetime, steps: list[dict[str, object]] | None = None) -> str:
    report = SlaReport(uuid4(), "handling", as_of, [target], None)
    [drawn] = bars(report, steps or [], Texts("zh"))
    return str(drawn["svg"])


def test_an_overdue_reply_with_its_ladder_steps() -> None:
    target = _target(consumed=6.0, remaining=-2.0, overdue=True)
    steps = [
        {"step": "warning", "fired_at": START + timedelta(hours=2)},
        {"step": "reminder", "fired_at": START + timedelta(hours=4)},
        {"step": "ack_breach", "fired_at": START + timedelta(hours=1)},  # the 签收 clock's
    ]
    svg = _svg(target, START + timedelta(hours=6), steps)
    assert 'class="sla-overdue"' in svg
    assert svg.count('class="sla-step"') == 2
    assert "预警" in svg and "催办" in svg and "签收超时" not in svg


def test_a_pause_and_an_extension_are_drawn() -> None:
    pause = Segment("paused", START + timedelta(hours=1), START + timedelta(hours=3))
    extension = Segment("extended", START + timedelta(hours=3, minutes=30), amount=2.0)
    target = _target(
        segments=(pause, extension),
        extended=2.0,
        total=6.0,
        due_at=START + timedelta(hours=8),
        remaining=4.0,
    )
    svg = _svg(target, START + timedelta(hours=4))
    assert 'class="sla-paused"' in svg and 'class="sla-extended"' in svg
    assert 'class="sla-flag"' in svg and 'class="sla-overdue"' not in svg


def test_a_paused_clock_still_shows_the_budget_left() -> None:
    pause = Segment("paused", START + timedelta(hours=2))
    target = _target(segments=(pause,), due_at=None, paused=True)
    svg = _svg(target, START + timedelta(hours=3))
    assert 'class="sla-budget"' in svg
    assert 'width="0.0"' not in svg.split('class="sla-budget"')[1].split("/>")[0]
