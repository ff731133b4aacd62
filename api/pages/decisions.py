"""The decisions the office and supervisors take from the dashboard: 退单 (改派 or refused),
重办 after a second 不满意, 延期, and 审核 of a draft reply. Each form calls the case service,
the same call as its JSON route; the case workflow decides whether the caller may."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Form
from fastapi.responses import RedirectResponse

from api.case_schemas import DecisionIn, ReopenIn, ReturnDecisionIn, ReviewIn
from api.deps import Cases, actor_of
from api.pages.session import PageStaff
from api.pages.web import attempt, local, page_router

router = page_router(prefix="/console/decisions")
Field = Annotated[str, Form()]
BACK = "/console/supervision"


@router.post("/{inquiry_id}/return")
async def decide_return(
    inquiry_id: UUID,
    cases: Cases,
    staff: PageStaff,
    accept: Field,
    new_unit: Field = "",
    note: Field = "",
    next: Field = BACK,
) -> RedirectResponse:
    """改派 to the chosen unit (accept) or back to the unit that returned it."""
    body = {"accept": accept, "new_unit": new_unit or None, "note": note}
    return await attempt(
        local(next, BACK),
        lambda: cases.decide_return(
            inquiry_id, ReturnDecisionIn.model_validate(body).action(actor_of(staff))
        ),
        "done.decide_return",
    )


@router.post("/{inquiry_id}/reopen")
async def decide_reopen(
    inquiry_id: UUID,
    cases: Cases,
    staff: PageStaff,
    reopen: Field,
    note: Field = "",
    next: Field = BACK,
) -> RedirectResponse:
    """After a second 不满意: 重办, or close the case."""
    body = {"reopen": reopen, "note": note}
    return await attempt(
        local(next, BACK),
        lambda: cases.decide_reopen(
            inquiry_id, ReopenIn.model_validate(body).action(actor_of(staff))
        ),
        "done.decide_reopen",
    )


@router.post("/{inquiry_id}/extension")
async def decide_extension(
    inquiry_id: UUID,
    cases: Cases,
    staff: PageStaff,
    approve: Field,
    note: Field = "",
    next: Field = BACK,
) -> RedirectResponse:
    """延期: approve (the reply clock gets the amount) or refuse."""
    body = {"approve": approve, "note": note}
    return await attempt(
        local(next, BACK),
        lambda: cases.decide_extension(
            inquiry_id, DecisionIn.model_validate(body).action(actor_of(staff))
        ),
        "done.decide_extension",
    )


@router.post("/{inquiry_id}/review")
async def review(
    inquiry_id: UUID,
    cases: Cases,
    staff: PageStaff,
    approve: Field,
    comment: Field = "",
    next: Field = BACK,
) -> RedirectResponse:
    """审核: the draft goes to the citizen, or back to the unit with the comment."""
    body = {"approve": approve, "comment": comment}
    return await attempt(
        local(next, BACK),
        lambda: cases.review(inquiry_id, ReviewIn.model_validate(body).action(actor_of(staff))),
        "done.review",
    )
