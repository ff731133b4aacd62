"""The ids of an inquiry: its case workflows' ids, derived from the inquiry id, and the citizen's
tracking code; the one place that spells them."""

from __future__ import annotations

import secrets
import uuid

CASE_WORKFLOW_PREFIX = "inquiry-"
# inquiries.workflow_version of the rows a case workflow runs (1: legacy v1, see workflows/).
CASE_WORKFLOW_VERSION = 2
# inquiries.workflow_version of a closed case of a past year brought in by the import: no workflow.
IMPORTED_VERSION = 0


def case_workflow_id(inquiry_id: str) -> str:
    """The one workflow of an inquiry; deriving it from the id makes intake idempotent."""
    return f"{CASE_WORKFLOW_PREFIX}{inquiry_id}"


def cohandling_workflow_id(inquiry_id: str, unit_code: str) -> str:
    """The child workflow of one co-handling (协办) unit of a case."""
    return f"{case_workflow_id(inquiry_id)}-co-{unit_code}"


_IMPORT_NAMESPACE = uuid.UUID("6f1d3c2a-5b8e-4c1f-9a7d-2e4b8c6a1f30")


def imported_inquiry_id(natural_key: str) -> str:
    """The id of an imported closed case: the same line (or external ref) always gets the same
    id, so importing a file twice adds nothing."""
    return str(uuid.uuid5(_IMPORT_NAMESPACE, natural_key))


def imported_record_id(inquiry_id: str) -> str:
    """inquiries.workflow_id of an imported closed case: unique, and no workflow has it."""
    return f"imported-{inquiry_id}"


def inquiry_id_of(workflow_id: str) -> str:
    """The inquiry a case workflow (or one of its co-handlers) belongs to."""
    bare = workflow_id.removeprefix(CASE_WORKFLOW_PREFIX)
    return bare.split("-co-", 1)[0]


_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read out over the phone


TRACKING_CODE_LENGTH = 17  # 31 symbols each: about 84 random bits, beyond guessing by lookups


def new_tracking_code() -> str:
    """The citizen's 查询码: WQ and 17 random characters (about 84 bits), unguessable."""
    return "WQ" + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(TRACKING_CODE_LENGTH))


# The Temporal Schedules of the scheduled work (service/schedules.py), and the workflow ids of
# their runs: Temporal appends the scheduled time to the action's id (digest-2026-12-07T00:30:00Z),
# so each day (each month) has one run.
DIGEST_SCHEDULE_ID = "digest-daily"
SUMMARY_SCHEDULE_ID = "summary-monthly"
DIGEST_WORKFLOW_ID = "digest"
SUMMARY_WORKFLOW_ID = "summary"
