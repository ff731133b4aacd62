"""Histories recorded from earlier versions of the workflows still replay: a change to running
workflows must go through workflow.patched (STYLE.md). v1_* are legacy v1 (LegacyInquiryWorkflow,
recorded type InquiryWorkflow, issue 2), v2_* are CaseWorkflow (issue 3); v2_path_* each path of
it, recorded by tests/workflows/record_histories.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from core.runner import WORKFLOW_PACKAGE
from worker import WORKFLOWS

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))
TEXTS = {p: p.read_text(encoding="utf-8") for p in HISTORIES}


def test_histories_are_committed() -> None:
    names = {p.name for p in HISTORIES}
    assert {
        "v1_closed_on_time.json",
        "v1_escalated_late.json",
        "v1_open_level1.json",
        "v2_closed_satisfied.json",
        "v2_open_paused_after_return.json",
        "v2_open_escalated_unsigned.json",
        # Before and after workflow.patched("policy-by-priority") in the policy reload.
        "v2_policy_changed_before_priorities.json",
        "v2_policy_changed_by_priority.json",
        # Each path of the case workflow, recorded before issue 6 reshaped it
        # (tests/workflows/record_histories.py).
        "v2_path_calendar_change.json",
        "v2_path_cohandling_answered_1.json",
        "v2_path_cohandling_answered_2.json",
        "v2_path_cohandling_escalated_1.json",
        "v2_path_cohandling_escalated_2.json",
        "v2_path_continued_as_new_first_run.json",
        "v2_path_continued_as_new_carried_over.json",
        "v2_path_continued_as_new_last_run.json",
        "v2_path_extension.json",
        "v2_path_info_supplement.json",
        "v2_path_info_withdrawn.json",
        "v2_path_ladder.json",
        "v2_path_merge_1.json",
        "v2_path_merge_2.json",
        "v2_path_on_site.json",
        "v2_path_policy_shorter.json",
        "v2_path_rated_and_not_rated_1.json",
        "v2_path_rated_and_not_rated_2.json",
        "v2_path_reply_queued.json",
        # After workflow.patched("queued-reply-at-sent-time") (issue 8).
        "v2_path_reply_queued_at_sent_time.json",
        "v2_path_restart_on_supplement.json",
        "v2_path_return_redispatch.json",
        "v2_path_review.json",
        "v2_path_transfer.json",
        "v2_path_unsatisfied_reopen_decision.json",
        "v2_path_urgent_unsigned_redispatch.json",
        # The scheduled work (tests/workflows/record_scheduled_histories.py).
        "scheduled_digest_held.json",
        "scheduled_digest_skipped.json",
        "scheduled_summary.json",
        # After workflow.patched("local-transition-activities") (issue 10): local activities.
        "v2_path_local_calendar_change.json",
        "v2_path_local_cohandling_answered_1.json",
        "v2_path_local_cohandling_answered_2.json",
        "v2_path_local_continued_as_new_first_run.json",
        "v2_path_local_continued_as_new_carried_over.json",
        "v2_path_local_continued_as_new_last_run.json",
        "v2_path_local_ladder.json",
        "v2_path_local_on_site.json",
        "v2_path_local_policy_shorter.json",
        "v2_path_local_rated_and_not_rated_1.json",
        "v2_path_local_rated_and_not_rated_2.json",
        "v2_path_local_reply_queued_at_sent_time.json",
        "v2_path_local_return_redispatch.json",
        # After workflow.patched("agenda-timer-kept") (issue 10): the agenda timer kept while
        # the first due time stays, and left running when the case closes.
        "v2_path_timer_cohandling_answered_1.json",
        "v2_path_timer_cohandling_answered_2.json",
        "v2_path_timer_extension.json",
        "v2_path_timer_kept_to_the_close.json",
        # After workflow.patched("one-activity-per-transition") (issue 10): each change recorded
        # with its re-projection in one activity, ladder steps that only climb with theirs.
        "v2_path_one_calendar_change.json",
        "v2_path_one_cohandling_answered_1.json",
        "v2_path_one_cohandling_answered_2.json",
        "v2_path_one_continued_as_new_carried_over.json",
        "v2_path_one_continued_as_new_first_run.json",
        "v2_path_one_continued_as_new_last_run.json",
        "v2_path_one_extension.json",
        "v2_path_one_info_withdrawn.json",
        "v2_path_one_ladder.json",
        "v2_path_one_on_site.json",
        "v2_path_one_policy_shorter.json",
        "v2_path_one_rated_and_not_rated_1.json",
        "v2_path_one_rated_and_not_rated_2.json",
        "v2_path_one_reply_queued_at_sent_time.json",
        "v2_path_one_return_redispatch.json",
        "v2_path_one_urgent_unsigned_redispatch.json",
        # Cases started at revision 1 (workflows/revision.py, issue 10): the patches above built
        # in and none asked, receipt and routing in one activity.
        "v2_path_rev1_calendar_change.json",
        "v2_path_rev1_cohandling_answered_1.json",
        "v2_path_rev1_cohandling_answered_2.json",
        "v2_path_rev1_continued_as_new_carried_over.json",
        "v2_path_rev1_continued_as_new_first_run.json",
        "v2_path_rev1_continued_as_new_last_run.json",
        "v2_path_rev1_extension.json",
        "v2_path_rev1_info_withdrawn.json",
        "v2_path_rev1_ladder.json",
        "v2_path_rev1_merge_1.json",
        "v2_path_rev1_merge_2.json",
        "v2_path_rev1_on_site.json",
        "v2_path_rev1_policy_shorter.json",
        "v2_path_rev1_rated_and_not_rated_1.json",
        "v2_path_rev1_rated_and_not_rated_2.json",
        "v2_path_rev1_reply_queued_at_sent_time.json",
        "v2_path_rev1_return_redispatch.json",
        "v2_path_rev1_timer_kept_to_the_close.json",
        "v2_path_rev1_urgent_unsigned_redispatch.json",
        # Revision 2: search attributes upserted only where they changed; a continued run
        # starts with them and upserts none.
        "v2_path_rev2_calendar_change.json",
        "v2_path_rev2_cohandling_answered_1.json",
        "v2_path_rev2_cohandling_answered_2.json",
        "v2_path_rev2_continued_as_new_carried_over.json",
        "v2_path_rev2_continued_as_new_first_run.json",
        "v2_path_rev2_continued_as_new_last_run.json",
        "v2_path_rev2_extension.json",
        "v2_path_rev2_info_withdrawn.json",
        "v2_path_rev2_ladder.json",
        "v2_path_rev2_merge_1.json",
        "v2_path_rev2_merge_2.json",
        "v2_path_rev2_on_site.json",
        "v2_path_rev2_policy_shorter.json",
        "v2_path_rev2_rated_and_not_rated_1.json",
        "v2_path_rev2_rated_and_not_rated_2.json",
        "v2_path_rev2_reply_queued_at_sent_time.json",
        "v2_path_rev2_return_redispatch.json",
        "v2_path_rev2_timer_kept_to_the_close.json",
        "v2_path_rev2_transfer.json",
        "v2_path_rev2_urgent_unsigned_redispatch.json",
        # Revision 3: receipt, route and the first 派单 in one activity (on_site keeps two).
        "v2_path_rev3_calendar_change.json",
        "v2_path_rev3_cohandling_answered_1.json",
        "v2_path_rev3_cohandling_answered_2.json",
        "v2_path_rev3_continued_as_new_carried_over.json",
        "v2_path_rev3_continued_as_new_first_run.json",
        "v2_path_rev3_continued_as_new_last_run.json",
        "v2_path_rev3_extension.json",
        "v2_path_rev3_first_activity_refused.json",
        "v2_path_rev3_info_withdrawn.json",
        "v2_path_rev3_ladder.json",
        "v2_path_rev3_merge_1.json",
        "v2_path_rev3_merge_2.json",
        "v2_path_rev3_on_site.json",
        "v2_path_rev3_policy_shorter.json",
        "v2_path_rev3_rated_and_not_rated_1.json",
        "v2_path_rev3_rated_and_not_rated_2.json",
        "v2_path_rev3_reply_queued_at_sent_time.json",
        "v2_path_rev3_return_redispatch.json",
        "v2_path_rev3_timer_kept_to_the_close.json",
        "v2_path_rev3_transfer.json",
        "v2_path_rev3_urgent_unsigned_redispatch.json",
    } <= names


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_history_replays(path: Path) -> None:
    history = WorkflowHistory.from_json(f"replay-{path.stem}", TEXTS[path])
    replayer = Replayer(workflows=list(WORKFLOWS))
    result = await replayer.replay_workflow(history)
    assert result.replay_failure is None


def test_the_replays_keep_the_sdks_isolated_sandbox() -> None:
    """The worker loads the workflows' modules once per process (core/runner.py), where a
    restricted call in them, `datetime.now()`, would not raise. The replays keep the SDK's default
    sandbox, which re-imports those modules for each run and fails such a call on every path a
    committed history takes."""
    runner = Replayer(workflows=list(WORKFLOWS)).config()["workflow_runner"]
    assert type(runner) is SandboxedWorkflowRunner
    assert not runner.restrictions.passthrough_all_modules
    assert not any(
        name == WORKFLOW_PACKAGE or name.startswith(f"{WORKFLOW_PACKAGE}.")
        for name in runner.restrictions.passthrough_modules
    )
