"""GET /metrics: the domain families follow cases as they move, HTTP metrics are grouped by route
template, no personal data is exported, stuck cases are counted, and a scrape while PostgreSQL
is down still answers (metrics_domain_up 0)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

import api
from domain.ids import case_workflow_id
from repository.directory import insert_row
from tests.api.test_intake_availability import postgresql_down
from tests.cases import act, file_case, row
from tests.conftest import Service, inquiry_body
from tests.workflows.test_stuck_cases import (
    CHECK_CONSTRAINT,
    RAISING_TRIGGER,
    _dispatch_refused,
    _filed_while_no_worker_runs,
)

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(service: Service) -> tuple[str, Samples]:
    """The text of /metrics and its samples by (name, sorted labels)."""
    response = await service.http.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return response.text, samples


def value(samples: Samples, name: str, **labels: str) -> float:
    """One sample's value; 0 when the series is absent (a count with no rows)."""
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum over every series of the family matching the given labels."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= set(ls))


async def scrape_until(
    service: Service, check: Callable[[Samples], bool], within: float = 60.0
) -> Samples:
    """Scrape until the samples satisfy check (workflows move cases asynchronously)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        _, samples = await scrape(service)
        if check(samples):
            return samples
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("the metrics never reached the expected values")
        await asyncio.sleep(0.3)


async def own_unit(service: Service, *categories: str) -> str:
    """A unit of the test's own that the given categories route to, so its counts are exact."""
    unit = f"u_{uuid.uuid4().hex[:8]}"
    async with service.pool.acquire() as conn:
        await insert_row(conn, "units", {"code": unit, "name": unit})
        for category in categories:
            await insert_row(
                conn,
                "routing_rules",
                {"name": f"r_{category}", "priority": 1, "category": category, "unit_code": unit},
            )
    return unit


async def test_domain_metrics_follow_cases_as_they_move(service: Service) -> None:
    category = await service.category(reply_within=48)
    late = await service.category(reply_within=0.0005)  # due 1.8 seconds after dispatch
    unit = await own_unit(service, category, late)
    handler = await service.staff("handler", unit)
    _, before = await scrape(service)
    assert value(before, "metrics_domain_up") == 1
    assert total(before, "inquiries_open", unit=unit) == 0

    first, first_code = await file_case(service, category)
    await file_case(service, category)
    _, filed = await scrape(service)
    assert value(filed, "inquiries_open", status="dispatched", unit=unit) == 2
    assert (
        value(filed, "intake_total", channel="web")
        >= value(before, "intake_total", channel="web") + 2
    )

    assert (await act(service, first, "acknowledge", handler)).status_code == 200
    _, acknowledged = await scrape(service)
    assert value(acknowledged, "inquiries_open", status="dispatched", unit=unit) == 1
    assert value(acknowledged, "inquiries_open", status="handling", unit=unit) == 1

    assert (await act(service, first, "reply", handler, content="已处理")).status_code == 200
    replied_status = (await row(service, first))["status"]
    assert replied_status != "handling"
    _, replied = await scrape(service)
    assert value(replied, "inquiries_open", status="handling", unit=unit) == 0
    assert value(replied, "inquiries_open", status=replied_status, unit=unit) == 1
    # The reply's notice to the citizen goes out (to the log transport in tests).
    sent_before = total(before, "notifications_total", outcome="sent")
    await scrape_until(
        service, lambda s: total(s, "notifications_total", outcome="sent") > sent_before
    )

    # A case past its deadline: on the overdue list, and its ladder steps are counted.
    await file_case(service, late)
    escalated_before = total(before, "escalations_total")
    moved = await scrape_until(
        service,
        lambda s: (
            value(s, "inquiries_overdue", unit=unit) == 1
            and total(s, "escalations_total") > escalated_before
        ),
    )
    assert value(moved, "inquiries_open", status="dispatched", unit=unit) == 2

    # Closed cases leave the open counts: the citizen rates the answered one.
    rated = await service.http.post(
        f"/api/v1/public/inquiries/{first_code}/rating", json={"rating": "satisfied"}
    )
    assert rated.status_code == 200, rated.text
    closed = await scrape_until(
        service, lambda s: value(s, "inquiries_open", status=replied_status, unit=unit) == 0
    )
    # Still open: the second case and the overdue one, both waiting to be signed for.
    assert total(closed, "inquiries_open", unit=unit) == 2
    assert value(closed, "inquiries_open", status="dispatched", unit=unit) == 2


async def test_http_metrics_by_route_template_and_no_personal_data(service: Service) -> None:
    key = await service.intake_key("web")
    body = inquiry_body()
    filed = await service.http.post("/api/v1/inquiries", json=body, headers=key)
    assert filed.status_code == 201, filed.text
    code = filed.json()["tracking_code"]
    assert (await service.http.get(f"/api/v1/public/inquiries/{code}")).status_code == 200
    assert (await service.http.get(f"/no-such-page/{code}")).status_code == 404

    text, samples = await scrape(service)
    handlers = {
        dict(labels).get("handler") for name, labels in samples if name == "http_requests_total"
    }
    assert "/api/v1/inquiries" in handlers
    assert any(h and h.startswith("/api/v1/public/inquiries/{") for h in handlers), handlers
    # Neither the tracking code (a raw path) nor anything the citizen wrote is exported.
    for secret in (
        code,
        body["citizen"]["phone"],
        body["citizen"]["email"],
        body["citizen"]["name"],
    ):
        assert secret not in text
    assert "none" in handlers  # a path no route matches is counted, under no name of its own
    assert "/metrics" not in handlers  # scrapes do not count themselves


async def test_http_metrics_five_families_labelled_by_the_route_that_served(
    service: Service,
) -> None:
    """Each request is counted once, in all five families, under the template of the route the
    router chose: an id in the path, a mounted file, a page and a method the route does not
    take (405) alike."""
    staff = await service.staff("supervisor")
    case_id = uuid.uuid4()
    _, before = await scrape(service)
    missing = await service.http.get(f"/api/v1/inquiries/{case_id}", headers=staff)
    assert missing.status_code == 404, missing.text
    assert (await service.http.get("/static/app.css")).status_code == 200
    assert (await service.http.get("/console/login")).status_code == 200
    assert (await service.http.delete("/api/v1/inquiries")).status_code == 405
    text, after = await scrape(service)

    def more(name: str, **labels: str) -> float:
        return total(after, name, **labels) - total(before, name, **labels)

    one_case = "/api/v1/inquiries/{inquiry_id}"
    assert more("http_requests_total", handler=one_case, method="GET", status="4xx") == 1
    assert more("http_requests_total", handler="/static", method="GET", status="2xx") == 1
    assert more("http_requests_total", handler="/console/login", method="GET", status="2xx") == 1
    assert more("http_requests_total", handler="/api/v1/inquiries", method="DELETE") == 1
    assert more("http_request_duration_seconds_count", handler=one_case, method="GET") == 1
    assert more("http_request_size_bytes_count", handler="/static") == 1
    assert more("http_response_size_bytes_sum", handler="/static") == len(
        (Path(api.__file__).parent / "static" / "app.css").read_bytes()
    )
    # Four requests and the scrape before them; the scrapes themselves are not counted.
    assert more("http_request_duration_highr_seconds_count") == 4
    assert str(case_id) not in text
    assert "/metrics" not in {dict(ls).get("handler") for _, ls in after}


async def _poll(check: Callable[[], Any], what: str, within: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.3)


async def test_stuck_cases_are_counted_by_state(service: Service) -> None:
    supervisor = await service.staff("supervisor")
    failing = await _filed_while_no_worker_runs(service)
    failed = (
        await service.http.post(
            "/api/v1/inquiries", json=inquiry_body(), headers=await service.intake_key("web")
        )
    ).json()["id"]
    failed_handle = service.client.get_workflow_handle(case_workflow_id(failed))

    async def listed() -> bool:
        response = await service.http.get("/api/v1/supervision/stuck", headers=supervisor)
        states = {item["inquiry_id"]: item["state"] for item in response.json()["items"]}
        return states.get(failing) == "failing" and states.get(failed) == "failed"

    async with (
        _dispatch_refused(service, failing, RAISING_TRIGGER),
        _dispatch_refused(service, failed, CHECK_CONSTRAINT),
    ):
        service.start_worker()
        await _poll(listed, "both cases on the supervisors' stuck list")
        # This app's first scrape scans Temporal (later ones reuse the count for a while).
        _, samples = await scrape(service)
        assert value(samples, "inquiries_stuck", state="failing") == 1
        assert value(samples, "inquiries_stuck", state="failed") == 1
    assert (await failed_handle.describe()).status.name == "FAILED"


async def test_a_scrape_while_postgresql_is_down_still_answers(
    service: Service, database_url: str
) -> None:
    await service.http.get("/healthz")
    async with postgresql_down(database_url):
        text, samples = await scrape(service)
    assert value(samples, "metrics_domain_up") == 0
    assert total(samples, "http_requests_total", handler="/healthz") >= 1
    assert "inquiries_open" not in text
    _, back = await scrape(service)
    assert value(back, "metrics_domain_up") == 1
