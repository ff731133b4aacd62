"""The citizen's JSON view carries the unit's 补正 question while it waits for the answer."""

from __future__ import annotations

from tests.cases import act, file_case, row
from tests.conftest import Service


async def test_the_public_view_shows_the_question_asked(service: Service) -> None:
    inquiry_id, code = await file_case(service, "outage")
    handler = await service.staff("handler", (await row(service, inquiry_id))["unit_code"])
    assert (await act(service, inquiry_id, "acknowledge", handler)).status_code == 200
    asked = await act(service, inquiry_id, "info-request", handler, question="哪个门牌号？")
    assert asked.status_code == 200, asked.text

    seen = (await service.http.get(f"/api/v1/public/inquiries/{code}")).json()
    assert (seen["awaiting"], seen["question"]) == ("supplement", "哪个门牌号？")

    answered = await service.http.post(
        f"/api/v1/public/inquiries/{code}/supplement", json={"content": "12号"}
    )
    assert answered.status_code == 200, answered.text
    seen = (await service.http.get(f"/api/v1/public/inquiries/{code}")).json()
    assert (seen["awaiting"], seen["question"]) == (None, None)
