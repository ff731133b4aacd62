"""The revision a case was started at, so a new case takes the current code paths without
asking `workflow.patched` for them (issue 10).

`patched` keeps running cases on the path their history recorded, but every run that asks it
outside a replay pays for the answer: a marker and a `TemporalChangeVersion` search-attribute
upsert, two events and a visibility write on the server for each patch. A case started at
revision 1 carries the number in its start input (CaseInput.revision, in its history like the
rest of the input), and every patch below is built into it, so it asks none of them. Cases started
before revisions (revision 0: every history recorded before this change and every case still
running from then) ask `patched` exactly where they asked it before and replay as they did.

A later change to running cases still goes through `patched`, which cases of revision 1 then
ask; a later revision may build that patch in for the cases started after it, as revision 1 did
for the patches before it.

Revision 2 changes what a new case shows Temporal's web UI, not what it records: it upserts only
the overdue view's search attributes that changed (workflows/search_attributes.py
`upsert_changed`), and no longer InquiryStatus, which changed at every transition. A closed loop
upserts once (at 派单) instead of four times. Cases of revision 0 and 1 upsert as before.

Revision 3 runs a new case's first workflow task in one local activity instead of two: the
receipt, the route and the first 派单 recorded with its projection (activities/cases.py
`receive_and_dispatch`; `receive_and_route` then `record_projected` before). The activity builds
the 派单 with the domain's `first_dispatch` from the state and time the workflow sends it, and
the workflow builds the same one from the route it gets back. A case answered on the spot
(现场解答) takes the two activities as before.
"""

from __future__ import annotations

from types import MappingProxyType

from temporalio import workflow

# The revision the API starts new cases at.
CURRENT = 3

# From this revision on a case upserts only the search attributes that changed (see above).
UPSERT_CHANGED = 2

# From this revision on a case's receipt, route and first 派单 are one activity (see above).
DISPATCH_IN_FIRST_ACTIVITY = 3

# Each patch of the case workflow built in, by the first revision that has it built in.
# Read-only: the workflows' modules are shared by every run a worker holds (core/runner.py).
BUILT_IN = MappingProxyType(
    {
        "policy-by-priority": 1,
        "queued-reply-at-sent-time": 1,
        "local-transition-activities": 1,
        "one-activity-per-transition": 1,
        "agenda-timer-kept": 1,
    }
)


def of_run() -> int:
    """The revision of the running case (0 for a workflow that carries none)."""
    return int(getattr(workflow.instance(), "revision", 0))


def builds_in(patch: str) -> bool:
    """Whether the running case's revision has this patch built in (nothing to ask)."""
    since = BUILT_IN.get(patch)
    return since is not None and of_run() >= since


def taken(patch: str) -> bool:
    """Whether this run takes the patched path: always where its revision builds the patch in,
    else as `workflow.patched` answers (memoized by the SDK for the run)."""
    return builds_in(patch) or workflow.patched(patch)
