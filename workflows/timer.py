"""The case's agenda timer: one re-armable wait for the next ladder step or a change.

As in samples-python `updatable_timer`: the workflow sleeps until the first agenda item is due,
and wakes early when the case changes (the agenda moved) or the working calendar changed (every
due time must be re-projected).

One Temporal timer runs for the first due time. Before KEPT_PATCH it was cancelled whenever a
change woke the run and started again on the next turn, even for the same instant. After it, a
timer whose instant the change left in place keeps running, and once a run has taken the patch,
a run that finishes or continues as new leaves its timer to the server, which drops it without
a command or an event.

`patched` writes a marker and a search-attribute upsert (two events), so it is asked lazily, at
the first wake where keeping the timer saves a cancel and a restart (two events as well): a
closed loop whose every change moves the due time never asks and keeps its history as before.
It is asked at the same point on replay (the same change of the same history), and `patched`
is memoized per run: a run whose history has no marker there re-arms as before to its end.
A case started at revision 1 (workflows/revision.py) has the patch built in and asks nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.case import AgendaItem

from workflows import revision

KEPT_PATCH = "agenda-timer-kept"


class AgendaTimer:
    def __init__(self, agenda: Callable[[], list[AgendaItem]]) -> None:
        self._agenda = agenda  # the case's current agenda
        self._version = 0  # bumped by every change of the case
        self._slept_at = 0
        self._calendar_changed = False
        self._kept: bool | None = None  # KEPT_PATCH once asked
        self._timer: asyncio.TimerHandle | None = None
        self._armed_for: datetime | None = None  # the instant the running timer fires at
        self._rang = False

    def changed(self) -> None:
        """The case changed: its agenda may have moved, so a sleeping turn wakes up."""
        self._version += 1

    def calendar_changed(self) -> None:
        self._calendar_changed = True

    async def sleep(self) -> None:
        """Until the first item is due, the case changes or the calendar does; at once when the
        first item is due already (a step missed while no worker ran)."""
        seen = self._slept_at = self._version
        agenda = self._agenda()
        due_at = agenda[0].at if agenda else None
        if self._timer is not None and (due_at != self._armed_for or self._rang):
            self._disarm()
        if self._timer is None and due_at is not None:
            seconds = (due_at - workflow.now()).total_seconds()
            if seconds <= 0:
                return
            # The workflow's event loop makes call_later a Temporal timer (as asyncio.sleep).
            self._timer = asyncio.get_running_loop().call_later(seconds, self._ring)
            self._armed_for = due_at
        await workflow.wait_condition(
            lambda: self._version != seen or self._calendar_changed or self._rang
        )
        if not self._rang and not self._keep():
            self._disarm()

    def _keep(self) -> bool:
        """Woken by a change: whether the running timer may run on (see the module's note)."""
        if self._timer is None:
            return False
        if self._kept is None and revision.builds_in(KEPT_PATCH):
            self._kept = True
        agenda = self._agenda()
        if not agenda:  # finished, or nothing to wait for: the next turn disarms if it comes
            return self._kept is True
        if agenda[0].at != self._armed_for or self._calendar_changed:
            # Moved, or about to be re-projected (the turn after a calendar change moves it or
            # not): the next turn re-arms it, so asking here could cost more than it saves.
            return self._kept is True
        if self._kept is None:
            self._kept = revision.taken(KEPT_PATCH)
        return self._kept

    def _disarm(self) -> None:
        """Cancel the running timer: a command and an event, none when it fired already."""
        if self._timer is not None:
            self._timer.cancel()
        self._timer, self._armed_for, self._rang = None, None, False

    def _ring(self) -> None:
        self._rang = True

    def take_calendar_change(self) -> bool:
        changed, self._calendar_changed = self._calendar_changed, False
        return changed

    def due(self) -> list[AgendaItem]:
        """The items due now, unless the case changed since the sleep began (then the agenda is
        re-projected and the next turn decides)."""
        if self._version != self._slept_at:
            return []
        now = workflow.now()
        return [item for item in self._agenda() if item.at <= now]
