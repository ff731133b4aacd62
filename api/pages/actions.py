"""The staff's case actions as small forms: each posts here, calls the case service and goes
back (to the inbox or the case page) with a flash message.

`offered` only picks which forms a row shows; whether an action is allowed stays the case
workflow's decision, and its refusal comes back as the flash.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Form
from fastapi.responses import RedirectResponse

from api.case_schemas import CoInputIn, ExtensionIn, InfoRequestIn, ReturnIn
from api.deps import REPLIERS, Cases, actor_of
from api.pages.session import PageStaff
from api.pages.web import Flash, attempt, local, page_router, redirect
from api.schemas import ReplyIn
from domain import case as c
from domain.case import CaseStatus
from service.errors import ServiceError
from service.principals import Staff

router = page_router(prefix="/console/cases")

Field = Annotated[str, Form()]
Back = Annotated[str, Form()]
RETURN_REASONS = ("not_our_unit", "wrong_area", "duplicate", "insufficient_info", "other")

_BY_STATUS = {
    CaseStatus.DISPATCHED: ("acknowledge", "return"),
    CaseStatus.HANDLING: ("reply", "info_request", "extension", "return"),
}


def offered(
    staff: Staff, *, status: str, unit: str | None, task_kind: str, task_unit: str | None
) -> list[str]:
    """The forms to show a member of staff for one task of a case."""
    if not staff.unit_bound or staff.unit_code is None:
        return []
    if task_kind == "cohandling":
        return ["cohandler_input"] if task_unit == staff.unit_code else []
    if unit != staff.unit_code or task_kind != "reply":
        return []
    forms = list(_BY_STATUS.get(CaseStatus(status), ()))
    return [f for f in forms if f != "reply" or staff.role in REPLIERS]


def _back(next_url: str, inquiry_id: UUID) -> str:
    return local(next_url, f"/console/cases/{inquiry_id}")


@router.post("/{inquiry_id}/acknowledge")
async def acknowledge(
    inquiry_id: UUID, cases: Cases, staff: PageStaff, next: Back = ""
) -> RedirectResponse:
    """签收."""
    return await attempt(
        _back(next, inquiry_id),
        lambda: cases.acknowledge(inquiry_id, c.Acknowledge(actor_of(staff))),
        "done.acknowledge",
    )


@router.post("/{inquiry_id}/reply")
async def reply(
    inquiry_id: UUID, cases: Cases, staff: PageStaff, content: Field, next: Back = ""
) -> RedirectResponse:
    """答复: the same call as POST /api/v1/inquiries/{id}/reply."""
    back = _back(next, inquiry_id)
    if staff.role not in REPLIERS:
        return redirect(back, Flash("error.forbidden", "only the unit replies", error=True))
    try:
        state = await cases.reply(inquiry_id, actor_of(staff), ReplyIn(content=content).content)
    except ServiceError as exc:
        return redirect(back, Flash.refused(exc))
    except ValueError as exc:
        return redirect(back, Flash("error.invalid", str(exc).splitlines()[-1], error=True))
    return redirect(back, Flash("done.reply" if state is not None else "done.reply_queued"))


@router.post("/{inquiry_id}/return")
async def return_case(
    inquiry_id: UUID,
    cases: Cases,
    staff: PageStaff,
    reason_code: Field,
    note: Field = "",
    next: Back = "",
) -> RedirectResponse:
    """退单 with a reason code."""
    return await attempt(
        _back(next, inquiry_id),
        lambda: cases.return_case(
            inquiry_id,
            ReturnIn.model_validate({"reason_code": reason_code, "note": note}).action(
                actor_of(staff)
            ),
        ),
        "done.return",
    )


@router.post("/{inquiry_id}/info-request")
async def request_info(
    inquiry_id: UUID, cases: Cases, staff: PageStaff, question: Field, next: Back = ""
) -> RedirectResponse:
    """补正: ask the citizen; the question shows on their tracking page."""
    return await attempt(
        _back(next, inquiry_id),
        lambda: cases.request_info(
            inquiry_id, InfoRequestIn(question=question).action(actor_of(staff))
        ),
        "done.info_request",
    )


@router.post("/{inquiry_id}/extension")
async def request_extension(
    inquiry_id: UUID,
    cases: Cases,
    staff: PageStaff,
    amount: Field,
    reason: Field,
    legal_basis: Field,
    next: Back = "",
) -> RedirectResponse:
    """延期, asked by the unit; a supervisor decides."""
    return await attempt(
        _back(next, inquiry_id),
        lambda: cases.request_extension(
            inquiry_id,
            ExtensionIn.model_validate(
                {"amount": amount, "reason": reason, "legal_basis": legal_basis}
            ).action(actor_of(staff)),
        ),
        "done.extension",
    )


@router.post("/{inquiry_id}/cohandler-input")
async def cohandler_input(
    inquiry_id: UUID, cases: Cases, staff: PageStaff, content: Field, next: Back = ""
) -> RedirectResponse:
    """协办: the co-handling unit's input, for the caller's own unit."""
    return await attempt(
        _back(next, inquiry_id),
        lambda: cases.cohandler_input(
            inquiry_id, staff.unit_code or "", CoInputIn(content=content).answer(actor_of(staff))
        ),
        "done.cohandler_input",
    )
