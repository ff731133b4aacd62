"""The case's agenda timer: one re-armable wait for the next ladder step or a change.

As in samples-python `updatable_timer`: the workflow sleeps until the first agenda item is due,
and wakes early when the case changes (the agenda moved) or the working calendar changed (every
due time must be re-projected). Each change re-arms it on the next turn.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.case import AgendaItem


class AgendaTimer:
    def __init__(self) -> None:
        self._version = 0  # bumped by every change of the case
        self._slept_at = 0
        self._calendar_changed = False

    def changed(self) -> None:
        """The case changed: its agenda may have moved, so a sleeping turn wakes up."""
        self._version += 1

    def calendar_changed(self) -> None:
        self._calendar_changed = True

    async def sleep(self, agenda: list[AgendaItem]) -> None:
        """Until the first item is due, the case changes or the calendar does; at once when the
        first item is due already (a step missed while no worker ran)."""
        seen = self._slept_at = self._version
        timeout = max(agenda[0].at - workflow.now(), timedelta(0)) if agenda else None
        if timeout is not None and timeout <= timedelta(0):
            return
        try:
            await workflow.wait_condition(
                lambda: self._version != seen or self._calendar_changed, timeout=timeout
            )
        except TimeoutError:
            pass

    def take_calendar_change(self) -> bool:
        changed, self._calendar_changed = self._calendar_changed, False
        return changed

    def due(self, agenda: list[AgendaItem]) -> list[AgendaItem]:
        """The items due now, unless the case changed since the sleep began (then the agenda is
        re-projected and the next turn decides)."""
        if self._version != self._slept_at:
            return []
        now = workflow.now()
        return [item for item in agenda if item.at <= now]
