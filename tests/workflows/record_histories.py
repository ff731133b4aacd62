"""Record case-workflow histories of the paths for tests/workflows/test_replay.py.

Not collected by default (no test_ prefix): run it explicitly, on the code whose command
sequence the histories must pin, before a change to the workflows:

    python -m pytest -p no:cacheprovider tests/workflows/record_histories.py

RECORD=name,name records only those scenarios (the histories of the paths before a patch stay as
they were: record only the new names).

Each scenario is a path test; afterwards the worker stops and every workflow of the test's task
queue is written as v2_path_<scenario>[_<n>].json (n in start order when there are several).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

from tests.conftest import Service
from tests.workflows import (
    test_agenda_timer as agenda_timer,
)
from tests.workflows import (
    test_no_worker as no_worker,
)
from tests.workflows import (
    test_paths_handling as handling,
)
from tests.workflows import (
    test_paths_merge_cohandling as merge,
)
from tests.workflows import (
    test_paths_onsite_urgent as onsite,
)
from tests.workflows import (
    test_paths_reply as reply,
)
from tests.workflows import (
    test_reprojection as reprojection,
)
from tests.workflows import (
    test_sla_escalation as escalation,
)
from tests.workflows import (
    test_stuck_cases as stuck,
)
from tests.workflows import (
    test_worker_restart as restart,
)

HISTORIES = Path(__file__).parent / "histories"

SCENARIOS: dict[str, Callable[[Service], Awaitable[None]]] = {
    "return_redispatch": handling.test_return_redispatch_refusal_and_the_supervisor_after_n_returns,
    "transfer": handling.test_transfer_by_the_office_keeps_the_reply_clock,
    "extension": handling.test_extension_request_approval_cap_and_deadline,
    "info_supplement": handling.test_pause_for_the_citizen_shifts_the_deadline_by_its_length,
    "info_withdrawn": handling.test_an_unanswered_pause_withdraws_the_case,
    "restart_on_supplement": handling.test_information_disclosure_restarts_its_clock_on_correction,
    "review": reply.test_review_by_the_unit_head_refuses_then_approves,
    "unsatisfied_reopen_decision": reply.test_unsatisfied_reopens_once_then_a_supervisor_decides,
    "rated_and_not_rated": reply.test_satisfied_rating_closes_and_no_rating_closes_as_not_rated,
    "merge": merge.test_a_merged_case_gets_the_main_case_answer_and_closes,
    "cohandling_answered": merge.test_the_lead_replies_once_the_co_handler_answered,
    "cohandling_escalated": merge.test_a_silent_co_handler_is_escalated_at_its_deadline,
    "on_site": onsite.test_an_answer_given_on_the_spot_goes_straight_to_follow_up,
    "urgent_unsigned_redispatch": (
        onsite.test_an_unsigned_urgent_case_returns_to_the_office_and_is_redispatched
    ),
    "ladder": escalation.test_ladder_fires_once_each_at_its_time_and_a_late_reply_is_not_on_time,
    "calendar_change": reprojection.test_a_new_holiday_moves_open_deadlines_and_is_recorded,
    "policy_shorter": reprojection.test_a_shorter_policy_fires_past_steps_once_in_one_notice,
    "reply_queued": restart.test_reply_sent_while_the_worker_is_down_is_taken_up,
    # After workflow.patched("queued-reply-at-sent-time"): the clock stops when it was sent.
    "reply_queued_at_sent_time": (
        no_worker.test_a_queued_reply_is_on_time_when_sent_before_the_deadline_that_passed_meanwhile
    ),
    "continued_as_new": onsite.test_a_long_urgent_case_continues_as_new_and_keeps_its_state,
}
# After workflow.patched("local-transition-activities") (issue 10): the transitions' activities
# as local activities. The paths above keep the histories recorded before it.
LOCAL = (
    "rated_and_not_rated",
    "ladder",
    "return_redispatch",
    "cohandling_answered",
    "calendar_change",
    "policy_shorter",
    "reply_queued_at_sent_time",
    "continued_as_new",
    "on_site",
)
SCENARIOS |= {f"local_{name}": SCENARIOS[name] for name in LOCAL}
# After workflow.patched("agenda-timer-kept") (issue 10): a change that leaves the first due
# time in place keeps the agenda timer, and a closed case leaves it running. Only the paths that
# take the patch (a closed loop whose every change moves the due time never asks for it).
TIMER = ("cohandling_answered", "extension")
SCENARIOS |= {f"timer_{name}": SCENARIOS[name] for name in TIMER}
SCENARIOS["timer_kept_to_the_close"] = (
    agenda_timer.test_a_change_that_leaves_the_due_time_keeps_the_timer_and_a_closed_case_leaves_it
)

# After workflow.patched("one-activity-per-transition") (issue 10): a change recorded with its
# re-projection in one activity, and ladder steps that only climb the ladder with theirs; a 延期
# approval keeps `plan` then `record`. Paths that run through each kind of step.
ONE = (
    "rated_and_not_rated",
    "ladder",
    "return_redispatch",
    "cohandling_answered",
    "calendar_change",
    "policy_shorter",
    "continued_as_new",
    "on_site",
    "extension",
    "info_withdrawn",
    "urgent_unsigned_redispatch",
    "reply_queued_at_sent_time",
)
SCENARIOS |= {f"one_{name}": SCENARIOS[name] for name in ONE}

# Cases started at revision 1 (workflows/revision.py): every patch above built in, none asked;
# receipt and routing in one activity. The paths of every patch the revision builds in.
# (policy_shorter takes the policy-by-priority reload, reply_queued_at_sent_time its own patch.)
REVISION_1 = (*ONE, "timer_kept_to_the_close", "merge")
SCENARIOS |= {f"rev1_{name}": SCENARIOS[name] for name in REVISION_1}

# Cases started at revision 2: search attributes upserted only where they changed. The paths
# above, and a transfer, whose upsert is the unit alone.
REVISION_2 = (*REVISION_1, "transfer")
SCENARIOS |= {f"rev2_{name}": SCENARIOS[name] for name in REVISION_2}

# Cases started at revision 3: receipt, route and the first 派单 in one activity. The paths of
# revision 2 (on_site keeps its two activities).
REVISION_3 = REVISION_2
SCENARIOS |= {f"rev3_{name}": SCENARIOS[name] for name in REVISION_3}
# And the way back to two activities when the one's local tries fail: a 派单 refused until the
# cause is gone (the receipt, then the 派单 retried as an activity).
SCENARIOS["rev3_first_activity_refused"] = (
    stuck.test_a_case_whose_activity_keeps_failing_is_listed_until_it_recovers
)


NAMES = [n for n in os.environ.get("RECORD", "").split(",") if n] or list(SCENARIOS)


@pytest.mark.parametrize("name", NAMES)
async def test_record(service: Service, name: str) -> None:
    await SCENARIOS[name](service)
    await asyncio.sleep(1)  # let the last workflow tasks complete
    await service.stop_worker()
    found = [
        w
        async for w in service.client.list_workflows(f'TaskQueue = "{service.settings.task_queue}"')
    ]
    found.sort(key=lambda w: w.start_time)
    codec = service.client.data_converter.payload_codec
    assert found, "no workflow ran"
    for n, info in enumerate(found, 1):
        history = await service.client.get_workflow_handle(
            info.id, run_id=info.run_id
        ).fetch_history()
        if codec is not None:
            for event in history.events:
                await _decode(event, codec)
        suffix = "" if len(found) == 1 else f"_{n}"
        (HISTORIES / f"v2_path_{name}{suffix}.json").write_text(history.to_json(), encoding="utf-8")


async def _decode(message: Message, codec: PayloadCodec) -> None:
    """Every payload of a history event in the clear (the service's codec encrypts them under
    the test run's key, which the replay test does not have); failures' encoded attributes too.
    """
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        if field.message_type.GetOptions().map_entry:
            entries = (
                value.values() if field.message_type.fields_by_name["value"].message_type else []
            )
            items = list(entries)
        elif field.is_repeated:
            items = list(value)
        else:
            items = [value]
        for item in items:
            if isinstance(item, Payload):
                item.CopyFrom((await codec.decode([item]))[0])
            else:
                await _decode(item, codec)
