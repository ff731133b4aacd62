"""The agenda timer (workflows/timer.py) after workflow.patched("agenda-timer-kept"): a change
that leaves the first due time in place keeps the running Temporal timer, and a case that closes
leaves it to the server. A case filed now starts at revision 1 or later (workflows/revision.py), which
has the patch built in: it asks nothing, so no marker, and even a closed loop whose every change
moves the due time leaves its last timer to the server. Cases started before the revision ask
the patch lazily, as the replayed histories v2_path_timer_* and v2_path_one_* show."""

from __future__ import annotations

from collections import Counter
from typing import Any

from temporalio.api.enums.v1 import EventType

from tests.cases import act, file_case, handle
from tests.conftest import Service
from workflows.timer import KEPT_PATCH

STARTED = EventType.EVENT_TYPE_TIMER_STARTED
CANCELED = EventType.EVENT_TYPE_TIMER_CANCELED
MARKER = EventType.EVENT_TYPE_MARKER_RECORDED
COMPLETED = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED
UPDATE_COMPLETED = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED


async def test_a_change_that_leaves_the_due_time_keeps_the_timer_and_a_closed_case_leaves_it(
    service: Service,
) -> None:
    category = await service.category(
        clock="working_days", reply_within=20, max_extensions=1, max_extension=20, followup_days=2
    )
    inquiry_id, code = await file_case(service, category)
    handler = await service.staff("handler", "open_affairs")
    # Not yet signed for: the first item stays the acknowledgement breach while the request for
    # an extension waits for a decision.
    asked = await act(
        service, inquiry_id, "extension", handler, amount=5, reason="需现场勘查", legal_basis="x"
    )
    assert asked.status_code == 200, asked.text
    assert (await act(service, inquiry_id, "reply", handler, content="已处理")).status_code == 200
    rated = await service.http.post(
        f"/api/v1/public/inquiries/{code}/rating", json={"rating": "satisfied"}
    )
    assert rated.status_code == 200 and rated.json()["status"] == "closed"

    events = await _history(service, inquiry_id)
    kinds = Counter(e.event_type for e in events)
    # One timer for the acknowledgement through the extension request, cancelled by the reply
    # (the follow-up is due later); the follow-up's own timer is not cancelled at the close.
    assert kinds[STARTED] == 2 and kinds[CANCELED] == 1
    assert not _patched(events)  # built into the case's revision
    assert [e.event_type for e in events[-2:]] == [UPDATE_COMPLETED, COMPLETED]


async def test_a_closed_loop_that_moves_the_due_time_at_every_step_leaves_its_last_timer(
    service: Service,
) -> None:
    category = await service.category(followup_days=2)
    inquiry_id, code = await file_case(service, category)
    handler = await service.staff("handler", "open_affairs")
    assert (await act(service, inquiry_id, "reply", handler, content="已处理")).status_code == 200
    rated = await service.http.post(
        f"/api/v1/public/inquiries/{code}/rating", json={"rating": "satisfied"}
    )
    assert rated.status_code == 200 and rated.json()["status"] == "closed"

    events = await _history(service, inquiry_id)
    kinds = Counter(e.event_type for e in events)
    # The reply moved the due time (a cancel and a new timer); the close cancels nothing.
    assert kinds[STARTED] == 2 and kinds[CANCELED] == 1
    assert not _patched(events)
    assert [e.event_type for e in events[-2:]] == [UPDATE_COMPLETED, COMPLETED]


async def _history(service: Service, inquiry_id: str) -> list[Any]:
    case = handle(service, inquiry_id)
    await case.result()
    return [e async for e in case.fetch_history_events()]


def _patched(events: list[Any]) -> bool:
    return any(
        e.event_type == MARKER and KEPT_PATCH.encode() in e.SerializeToString() for e in events
    )
