"""The ids of a case's workflows, derived from the inquiry id; the one place that spells them."""

from __future__ import annotations

CASE_WORKFLOW_PREFIX = "inquiry-"


def case_workflow_id(inquiry_id: str) -> str:
    """The one workflow of an inquiry; deriving it from the id makes intake idempotent."""
    return f"{CASE_WORKFLOW_PREFIX}{inquiry_id}"


def cohandling_workflow_id(inquiry_id: str, unit_code: str) -> str:
    """The child workflow of one co-handling (协办) unit of a case."""
    return f"{case_workflow_id(inquiry_id)}-co-{unit_code}"


def inquiry_id_of(workflow_id: str) -> str:
    """The inquiry a case workflow (or one of its co-handlers) belongs to."""
    bare = workflow_id.removeprefix(CASE_WORKFLOW_PREFIX)
    return bare.split("-co-", 1)[0]
