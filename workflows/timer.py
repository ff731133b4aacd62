"""The case's agenda timer: one re-armable wait for the next ladder step or a change.

As in samples-python `updatable_timer`: the workflow sleeps until the first agenda item is due,
and wakes early when the case changes (the agenda moved) or the working calendar changed (every
due time must be re-projected).

Cases started after KEPT_PATCH keep one Temporal timer for as long as the first item's due time
stays where it was: a change that leaves it in place (a transfer keeping the reply clock, a
pending extension request) no longer cancels and restarts it, and a case that finishes or
continues as new leaves it running (the server drops a closed run's timers without a command or
an event). Runs that began before the patch re-arm it on every turn to their end, as their
histories recorded.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.case import AgendaItem

KEPT_PATCH = "agenda-timer-kept"


class AgendaTimer:
    def __init__(self) -> None:
        self._version = 0  # bumped by every change of the case
        self._slept_at = 0
        self._calendar_changed = False
        self._kept: bool | None = None  # KEPT_PATCH, asked at the run's first sleep
        self._timer: asyncio.TimerHandle | None = None  # the running timer (after KEPT_PATCH)
        self._armed_for: datetime | None = None  # the instant it fires at
        self._rang = False

    def changed(self) -> None:
        """The case changed: its agenda may have moved, so a sleeping turn wakes up."""
        self._version += 1

    def calendar_changed(self) -> None:
        self._calendar_changed = True

    async def sleep(self, agenda: list[AgendaItem]) -> None:
        """Until the first item is due, the case changes or the calendar does; at once when the
        first item is due already (a step missed while no worker ran)."""
        # `patched` is memoized per run and asked first at the run's first sleep, the same point
        # on replay: a run whose history has no marker there re-arms to its end.
        if self._kept is None:
            self._kept = workflow.patched(KEPT_PATCH)
        if self._kept:
            await self._sleep_kept(agenda)
            return
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

    async def _sleep_kept(self, agenda: list[AgendaItem]) -> None:
        """As `sleep`, with the timer re-armed only when the first due time moved."""
        seen = self._slept_at = self._version
        due_at = agenda[0].at if agenda else None
        if due_at != self._armed_for or self._rang:
            self._disarm()
            if due_at is not None:
                wait = (due_at - workflow.now()).total_seconds()
                if wait <= 0:
                    return
                self._arm(due_at, wait)
        await workflow.wait_condition(
            lambda: self._version != seen or self._calendar_changed or self._rang
        )

    def _arm(self, due_at: datetime, seconds: float) -> None:
        # The workflow's event loop turns call_later into a Temporal timer (as asyncio.sleep).
        self._timer = asyncio.get_running_loop().call_later(seconds, self._ring)
        self._armed_for, self._rang = due_at, False

    def _disarm(self) -> None:
        """Cancel the running timer (a command and an event) unless it fired already."""
        if self._timer is not None and not self._rang:
            self._timer.cancel()
        self._timer, self._armed_for, self._rang = None, None, False

    def _ring(self) -> None:
        self._rang = True

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
