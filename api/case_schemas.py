"""Bodies of the case actions, each turned into its domain action, and what the case routes
answer (declared, so /docs shows it)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from domain import case as c
from domain.transition import CoHandlingAnswer
from service.cases import SlaReport, Timeline

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2_000)]
UnitCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Empty(_Body):
    pass


class ReturnIn(_Body):
    reason_code: Literal["not_our_unit", "wrong_area", "duplicate", "insufficient_info", "other"]
    note: Note = ""

    def action(self, actor: c.Actor) -> c.ReturnCase:
        return c.ReturnCase(actor, self.reason_code, self.note)


class ReturnDecisionIn(_Body):
    accept: bool
    new_unit: UnitCode | None = None
    note: Note = ""

    def action(self, actor: c.Actor) -> c.ReturnDecision:
        return c.ReturnDecision(actor, self.accept, self.new_unit, self.note)


class TransferIn(_Body):
    new_unit: UnitCode
    reason: Text

    def action(self, actor: c.Actor) -> c.Transfer:
        return c.Transfer(actor, self.new_unit, self.reason)


class ExtensionIn(_Body):
    amount: float = Field(gt=0, le=366, description="in the reply clock's unit")
    reason: Text
    legal_basis: Text

    def action(self, actor: c.Actor) -> c.ExtensionRequest:
        return c.ExtensionRequest(actor, self.amount, self.reason, self.legal_basis)


class DecisionIn(_Body):
    approve: bool
    note: Note = ""

    def action(self, actor: c.Actor) -> c.ExtensionDecision:
        return c.ExtensionDecision(actor, self.approve, self.note)


class InfoRequestIn(_Body):
    question: Text

    def action(self, actor: c.Actor) -> c.InfoRequest:
        return c.InfoRequest(actor, self.question)


class SupplementIn(_Body):
    content: Text

    def action(self, by: str) -> c.Supplement:
        """`by`: "citizen", or the operator who took the call."""
        return c.Supplement(self.content, by=by)


class ReviewIn(_Body):
    approve: bool
    comment: Note = ""

    def action(self, actor: c.Actor) -> c.ReviewDecision:
        return c.ReviewDecision(actor, self.approve, self.comment)


class RatingIn(_Body):
    rating: Literal["satisfied", "basically_satisfied", "unsatisfied"]
    comment: Note = ""

    def action(self, by: str) -> c.Rating:
        """`by`: "citizen", or the operator who made the follow-up call."""
        return c.Rating(self.rating, by=by, comment=self.comment)


class ReopenIn(_Body):
    reopen: bool
    note: Note = ""

    def action(self, actor: c.Actor) -> c.ReopenDecision:
        return c.ReopenDecision(actor, self.reopen, self.note)


class MergeIn(_Body):
    main_inquiry_id: UUID

    def action(self, actor: c.Actor) -> c.MergeRequest:
        return c.MergeRequest(actor, str(self.main_inquiry_id))


class CoHandlersIn(_Body):
    units: list[UnitCode] = Field(min_length=1, max_length=10)
    within: float = Field(gt=0, le=366, description="in the reply clock's unit")

    def action(self, actor: c.Actor) -> c.CoHandlerAssignment:
        return c.CoHandlerAssignment(actor, list(dict.fromkeys(self.units)), self.within)


class CoInputIn(_Body):
    content: Text

    def answer(self, actor: c.Actor) -> CoHandlingAnswer:
        return CoHandlingAnswer(actor, self.content)


# ---- answers ----


class DeadlinesOut(BaseModel):
    """The due times of the case's last projection, and the limits its rules check."""

    ack_due: datetime | None = None
    reply_due: datetime | None = None
    follow_up_due: datetime | None = None
    extension_until: datetime | None = None
    return_until: datetime | None = None
    pause_until: datetime | None = None
    provisional: bool = False


class CaseOut(BaseModel):
    """The case after a staff action."""

    id: UUID
    status: str
    unit: str | None
    deadlines: DeadlinesOut

    @classmethod
    def of(cls, inquiry_id: UUID, state: c.CaseState) -> CaseOut:
        deadlines = DeadlinesOut.model_validate(state.deadlines, from_attributes=True)
        return cls(id=inquiry_id, status=state.status, unit=state.unit, deadlines=deadlines)


class ReplyAccepted(BaseModel):
    """The case after the reply, or `reply_queued` (202) when no worker took it in time."""

    id: UUID
    status: str
    on_time: bool | None = None
    detail: str

    @classmethod
    def of(cls, inquiry_id: UUID, state: c.CaseState | None) -> ReplyAccepted:
        if state is None:
            detail = "taken; it is recorded when a worker runs"
            return cls(id=inquiry_id, status="reply_queued", detail=detail)
        detail = _REPLY_DETAIL.get(state.status, "replied")
        return cls(id=inquiry_id, status=state.status, on_time=state.on_time, detail=detail)


_REPLY_DETAIL = {
    c.CaseStatus.IN_REVIEW.value: "the draft waits for its reviewer (审核)",
    c.CaseStatus.FOLLOW_UP.value: "replied; the citizen's feedback is sent, the rating awaited (回访)",
    c.CaseStatus.CLOSED.value: "replied; feedback sent",
}


class CitizenActionOut(BaseModel):
    tracking_code: str
    status: str


class CoHandlerInputOut(BaseModel):
    id: UUID
    unit: str
    status: str  # "answered"


class TimelineEventOut(BaseModel):
    kind: str
    actor: str
    occurred_at: datetime
    detail: dict[str, Any]


class TimelineOut(BaseModel):
    id: UUID
    status: str
    events: list[TimelineEventOut]

    @classmethod
    def of(cls, timeline: Timeline) -> TimelineOut:
        return cls.model_validate(timeline, from_attributes=True)


class SegmentOut(BaseModel):
    kind: str  # paused | extended | excluded
    start: datetime
    end: datetime | None
    amount: float
    reason: str


class SlaTargetOut(BaseModel):
    """One clock explained: consumed and remaining are in `unit` (hours or working days)."""

    target: str  # acknowledge | reply | follow_up
    cycle: int
    active: bool
    unit: str
    budget: float
    extended: float
    total: float
    started_at: datetime
    segments: list[SegmentOut]
    due_at: datetime | None
    consumed: float
    remaining: float
    paused: bool
    overdue: bool
    stopped_at: datetime | None
    provisional: bool


class SlaOut(BaseModel):
    id: UUID
    status: str
    as_of: datetime
    targets: list[SlaTargetOut]
    note: str | None = Field(default=None, description="why no target is shown, if none is")

    @classmethod
    def of(cls, report: SlaReport) -> SlaOut:
        targets = [
            SlaTargetOut.model_validate(
                {**asdict(t.explained), "cycle": t.cycle, "active": t.active}
            )
            for t in report.targets
        ]
        return cls(
            id=report.id,
            status=report.status,
            as_of=report.as_of,
            targets=targets,
            note=report.note,
        )
