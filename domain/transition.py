"""What the case workflow asks its activities to record for one transition (Temporal payloads)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from domain.agenda import Plan
from domain.case import Actor, AgendaItem, CaseState, Deadlines, Sent
from domain.models import InquiryInput
from domain.notices import Notice
from domain.policy import CasePolicy


@dataclass
class TaskChange:
    close_open: bool = False  # close every open task of the case first
    open_unit: str | None = None
    open_kind: str = "reply"  # acknowledge/reply | review | decision | cohandling
    due_at: datetime | None = None


@dataclass
class CaseColumns:
    """Read-model columns a transition sets; None leaves a column as it is."""

    dispatched_at: datetime | None = None
    acknowledged_at: datetime | None = None
    replied_at: datetime | None = None
    reply_content: str | None = None
    replied_by: str | None = None
    closed_at: datetime | None = None
    on_time: bool | None = None
    rating: str | None = None
    close_reason: str | None = None
    returns: int | None = None
    extensions: int | None = None
    reopened: int | None = None
    merged_into: str | None = None
    escalation_level: int | None = None
    overdue: bool | None = None
    answered_on_site: bool | None = None
    handling_seconds: int | None = None
    total_seconds: int | None = None
    routing_rule: str | None = None


@dataclass
class Transition:
    """One append-only event (actor, time, reason, clock state) and what it changes."""

    inquiry_id: str
    seq: int
    kind: str
    actor: str
    at: datetime
    status: str
    unit_code: str | None
    reason: str = ""
    detail: dict[str, str] = field(default_factory=dict)
    clock: dict[str, str] = field(default_factory=dict)
    columns: CaseColumns = field(default_factory=CaseColumns)
    task: TaskChange | None = None
    notices: list[Notice] = field(default_factory=list)

    def projected(self, deadlines: Deadlines) -> Transition:
        """The transition with the clock its re-projection gave: the due times on the event,
        and a task opened for a unit due when the reply is (the acknowledgement's due time is
        the case's)."""
        task = self.task
        if task is not None and task.open_unit is not None and task.due_at is None:
            task = replace(task, due_at=deadlines.reply_due)
        return replace(self, clock=clock_of(deadlines), task=task)


def clock_of(deadlines: Deadlines) -> dict[str, str]:
    """The clock a timeline event shows: each due time there is, and whether it is provisional."""
    out = {"provisional": str(deadlines.provisional).lower()}
    for name, value in (
        ("ack_due", deadlines.ack_due),
        ("reply_due", deadlines.reply_due),
        ("follow_up_due", deadlines.follow_up_due),
    ):
        if value is not None:
            out[name] = value.isoformat()
    return out


@dataclass
class PlanRequest:
    inquiry_id: str
    state: CaseState
    policy: CasePolicy
    now: datetime


@dataclass
class ProjectedTransition:
    """A transition recorded with its re-projection in one activity (one transaction): the
    clocks are projected for `plan.state`, then `transition.projected(...)` is recorded."""

    plan: PlanRequest
    transition: Transition


@dataclass
class PolicyRequest:
    category: str
    priority: str = "normal"


@dataclass
class FiredSteps:
    """Ladder steps due together: recorded one by one, announced in one notice per audience."""

    inquiry_id: str
    seq: int
    unit_code: str | None
    at: datetime
    steps: list[AgendaItem]
    level: int
    overdue: bool


@dataclass
class FiredAndPlanned:
    """Ladder steps that change nothing but the agenda, recorded with the re-projection in one
    activity (one transaction)."""

    fired: FiredSteps
    plan: PlanRequest


@dataclass
class CaseRoute:
    unit_code: str
    policy: CasePolicy
    rule_name: str | None = None


@dataclass
class FirstDispatchRequest:
    """A new case's first workflow task in one activity (revision 3, workflows/revision.py):
    its receipt, its route, and the 派单 to that route recorded with its projection. The workflow
    builds the same 派单 from the route it gets back, from the same state and time."""

    inquiry: InquiryInput
    state: CaseState  # the case's state before the 派单
    now: datetime


@dataclass
class FirstDispatch:
    route: CaseRoute
    plan: Plan  # the 派单's projection, as `record_projected` returns it


@dataclass
class DueRequest:
    unit: str
    start: datetime
    amount: float


@dataclass
class CoHandlingInput:
    """Input of one co-handling unit's child workflow."""

    inquiry_id: str
    parent_workflow_id: str
    unit_code: str
    lead_unit: str
    due_at: datetime


@dataclass
class CoHandlingAnswer(Sent):
    actor: Actor
    content: str


@dataclass
class CoHandlingRecord:
    inquiry_id: str
    unit_code: str
    status: str  # open | answered | escalated
    at: datetime
    due_at: datetime
    content: str | None = None
    answered_by: str | None = None
