"""The SLA of a case drawn as one bar per target (server-side SVG, no script).

Drawn on a wall-clock axis from the clock's start, from the same explanation GET …/sla answers
(service.cases.SlaReport): the budget up to the due time (grey), the time consumed (green), past
the due time (red), 补正 pauses (hatched), an approved extension (blue, the last part of the
budget, with a flag where it was granted), and the warnings and ladder steps that fired (ticks).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from markupsafe import Markup, escape

from api.pages.present import when
from api.pages.texts import Texts
from domain.clock import SegmentKind
from domain.explain import TargetExplanation
from service.cases import SlaReport, SlaTarget

WIDTH, LEFT, RIGHT = 640, 8, 632
BAR_Y, BAR_H = 22, 18


def target_of_step(step: str) -> str:
    """Which clock a ladder step belongs to (domain.policy.Step values)."""
    if step.startswith("ack_"):
        return "acknowledge"
    return "follow_up" if step == "followup_expired" else "reply"


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _left_as_wall_time(e: TargetExplanation, seen_until: datetime) -> timedelta:
    left = max(e.remaining, 0.0)
    if e.unit == "natural_hours":
        return timedelta(hours=left)
    ran = (seen_until - e.started_at).total_seconds()
    pace = ran / e.consumed if e.consumed > 0 else 3600.0
    return timedelta(seconds=left * pace)


def bar(target: SlaTarget, as_of: datetime, steps: Sequence[Any], t: Texts) -> Markup:
    """One target's bar; `steps` are escalation records (step, fired_at) of this case."""
    e = target.explained
    start = e.started_at
    seen_until = min(as_of, e.stopped_at) if e.stopped_at else as_of
    # While a pause stops the clock there is no due time: the budget left is drawn after now,
    # at the pace the clock has run so far (exact for natural hours).
    resume_end = seen_until + _left_as_wall_time(e, seen_until)
    end = max(e.due_at or resume_end, seen_until)
    scale = max((end - start).total_seconds() * 1.08, 60.0)

    def x(moment: datetime) -> float:
        offset = (moment - start).total_seconds() / scale
        return round(LEFT + (RIGHT - LEFT) * min(max(offset, 0.0), 1.0), 1)

    def rect(a: datetime, b: datetime, cls: str, y: int = BAR_Y, h: int = BAR_H) -> str:
        width = max(x(b) - x(a), 0.0)
        return f'<rect class="{cls}" x="{x(a)}" y="{y}" width="{width}" height="{h}"/>'

    parts: list[str] = []
    due = e.due_at
    if due is not None:
        parts.append(rect(start, due, "sla-budget"))
        if e.extended > 0 and e.total > 0:
            share = timedelta(seconds=(due - start).total_seconds() * e.extended / e.total)
            parts.append(rect(due - share, due, "sla-extended"))
    else:
        parts.append(rect(start, resume_end, "sla-budget"))
    parts.append(rect(start, min(seen_until, due) if due else seen_until, "sla-consumed"))
    if due is not None and seen_until > due:
        parts.append(rect(due, seen_until, "sla-overdue"))
    for seg in e.segments:
        if seg.kind in (SegmentKind.PAUSED, SegmentKind.EXCLUDED):
            parts.append(rect(seg.start, seg.end or seen_until, "sla-paused"))
        elif seg.kind == SegmentKind.EXTENDED:
            parts.append(f'<path class="sla-flag" d="M{x(seg.start)} 14 v26"/>')
    for step in steps:
        if target_of_step(step["step"]) == e.target and step["fired_at"] >= start:
            px = x(step["fired_at"])
            parts.append(f'<path class="sla-step" d="M{px} 16 v30"/>')
            label = escape(t[f"step.{step['step']}"])
            parts.append(f'<text class="sla-label" x="{px}" y="12">{label}</text>')
    if due is not None:
        parts.append(f'<path class="sla-due" d="M{x(due)} 18 v26"/>')
    parts.append(f'<path class="sla-now" d="M{x(seen_until)} 18 v26"/>')
    title = escape(f"{t['sla.' + e.target]} · {summary(target, t)}")
    svg = (
        f'<svg class="sla-bar" viewBox="0 0 {WIDTH} 50" role="img" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{title}</title>{"".join(parts)}</svg>'
    )
    return Markup(svg)  # noqa: S704 - every text inside was escaped above


def summary(target: SlaTarget, t: Texts) -> str:
    """The explanation's figures in words: budget + extension, consumed, remaining or overdue."""
    e = target.explained
    unit = t[f"clock.{e.unit}"]
    text = f"{t['sla.budget']} {_number(e.budget)} {unit}"
    if e.extended:
        text += f" + {t['sla.extended']} {_number(e.extended)}"
    text += f"; {t['sla.consumed']} {_number(e.consumed)}"
    if e.remaining < 0:
        text += f"; {t['sla.overdue']} {_number(-e.remaining)}"
    else:
        text += f"; {t['sla.remaining']} {_number(e.remaining)}"
    if e.due_at is not None:
        text += f"; {t['sla.due']} {when(e.due_at)}"
        text += f" {t['due.provisional']}" if e.provisional else ""
    elif e.paused:
        text += f"; {t['sla.paused']}"
    return text


def bars(report: SlaReport, steps: Sequence[Any], t: Texts) -> list[dict[str, Any]]:
    """Each target's label, bar and figures, for the case page."""
    return [
        {
            "label": f"{t['sla.' + target.explained.target]}"
            + ("" if target.active else f" ({target.cycle})"),
            "svg": bar(target, report.as_of, steps, t),
            "summary": summary(target, t),
        }
        for target in report.targets
    ]
