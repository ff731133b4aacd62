"""Bodies of the case actions (issue 3)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

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


class ReturnDecisionIn(_Body):
    accept: bool
    new_unit: UnitCode | None = None
    note: Note = ""


class TransferIn(_Body):
    new_unit: UnitCode
    reason: Text


class ExtensionIn(_Body):
    amount: float = Field(gt=0, le=366, description="in the reply clock's unit")
    reason: Text
    legal_basis: Text


class DecisionIn(_Body):
    approve: bool
    note: Note = ""


class InfoRequestIn(_Body):
    question: Text


class SupplementIn(_Body):
    content: Text


class ReviewIn(_Body):
    approve: bool
    comment: Note = ""


class RatingIn(_Body):
    rating: Literal["satisfied", "basically_satisfied", "unsatisfied"]
    comment: Note = ""


class ReopenIn(_Body):
    reopen: bool
    note: Note = ""


class MergeIn(_Body):
    main_inquiry_id: str = Field(pattern=r"^[0-9a-fA-F-]{36}$")


class CoHandlersIn(_Body):
    units: list[UnitCode] = Field(min_length=1, max_length=10)
    within: float = Field(gt=0, le=366, description="in the reply clock's unit")


class CoInputIn(_Body):
    content: Text
