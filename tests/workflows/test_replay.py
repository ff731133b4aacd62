"""Histories recorded from earlier versions of the workflows still replay: a change to running
workflows must go through workflow.patched (STYLE.md). v1_* are legacy v1 (LegacyInquiryWorkflow,
recorded type InquiryWorkflow, issue 2), v2_* are CaseWorkflow (issue 3)."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from workflows.case import CaseWorkflow
from workflows.cohandling import CoHandlingWorkflow
from workflows.legacy_v1 import LegacyInquiryWorkflow

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
    } <= names


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_history_replays(path: Path) -> None:
    history = WorkflowHistory.from_json(f"replay-{path.stem}", TEXTS[path])
    replayer = Replayer(workflows=[LegacyInquiryWorkflow, CaseWorkflow, CoHandlingWorkflow])
    result = await replayer.replay_workflow(history)
    assert result.replay_failure is None
