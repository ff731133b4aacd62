"""The revision a case was started at, so a new case takes the current code paths without
asking `workflow.patched` for them (issue 10).

`patched` keeps running cases on the path their history recorded, but every run that asks it
outside a replay pays for the answer: a marker and a `TemporalChangeVersion` search-attribute
upsert, two events and a visibility write on the server for each patch. A case started at
revision 1 carries the number in its start input (CaseInput.revision, in its history like the
rest of the input), and every patch below is built into it, so it asks none of them. Cases started
before revisions (revision 0: every history recorded before this change and every case still
running from then) ask `patched` exactly where they asked it before and replay as they did.

A later change to running cases still goes through `patched`; once no case of an older revision
runs, a new revision may build that patch in as well.
"""

from __future__ import annotations

from temporalio import workflow

# The revision the API starts new cases at.
CURRENT = 1

# Built into revision 1: the patches of the case workflow up to issue 10.
BUILT_IN_1 = frozenset(
    {
        "policy-by-priority",
        "queued-reply-at-sent-time",
        "local-transition-activities",
        "one-activity-per-transition",
        "agenda-timer-kept",
    }
)


def of_run() -> int:
    """The revision of the running case (0 for a workflow that carries none)."""
    return int(getattr(workflow.instance(), "revision", 0))


def builds_in(patch: str) -> bool:
    """Whether the running case's revision has this patch built in (nothing to ask)."""
    return patch in BUILT_IN_1 and of_run() >= 1


def taken(patch: str) -> bool:
    """Whether this run takes the patched path: always where its revision builds the patch in,
    else as `workflow.patched` answers (memoized by the SDK for the run)."""
    return builds_in(patch) or workflow.patched(patch)
