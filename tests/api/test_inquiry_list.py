"""The staff list filters by every status a case can be in, and names them when given another."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.case import CaseStatus
from tests.cases import act, file_case
from tests.conftest import Service, inquiry_body


async def test_the_list_filters_by_every_case_status(service: Service) -> None:
    since = datetime.now(UTC).isoformat()
    supervisor = await service.staff("supervisor")
    handler = await service.staff("handler", "pipe_repair")
    dispatched, _ = await file_case(service, "outage")
    handling, _ = await file_case(service, "outage")
    assert (await act(service, handling, "acknowledge", handler)).status_code == 200
    await service.wait_for(
        "SELECT 1 FROM inquiries WHERE id = $1::uuid AND status = 'handling'", handling
    )
    await service.stop_worker()  # the next one stays received
    filed = await service.http.post(
        "/api/v1/inquiries", json=inquiry_body(), headers=await service.intake_key()
    )
    assert filed.status_code == 201, filed.text
    expected = {filed.json()["id"]: "received", dispatched: "dispatched", handling: "handling"}

    for status in CaseStatus:
        response = await service.http.get(
            "/api/v1/inquiries",
            params={"status": status.value, "received_from": since, "limit": 100},
            headers=supervisor,
        )
        assert response.status_code == 200, f"{status}: {response.text}"
        items = response.json()["items"]
        assert [i["id"] for i in items if i["status"] != status] == [], status
        ours = {i["id"] for i in items} & set(expected)
        assert ours == {i for i, s in expected.items() if s == status}, status


async def test_an_unknown_status_is_422_naming_the_allowed_ones(service: Service) -> None:
    supervisor = await service.staff("supervisor")
    response = await service.http.get(
        "/api/v1/inquiries", params={"status": "replied"}, headers=supervisor
    )
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    missing = [s.value for s in CaseStatus if f"'{s.value}'" not in response.json()["message"]]
    assert missing == [], f"the message does not name: {missing}"
