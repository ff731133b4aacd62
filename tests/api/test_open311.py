"""Open311 GeoReport v2, driven as civic apps drive it: the `georeport` client from PyPI reads
services, a request and the list in JSON and XML; requests are filed by the spec's form POST.

georeport (0.3.1) takes any root address, so it is pointed at the test's server; it cannot file
requests (its README says so), so the POST is a raw form POST. It is synchronous (requests), so
each call runs in a thread while the service answers on the test's event loop.
"""

from __future__ import annotations

import asyncio
import json
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

import httpx
import pytest
from georeport import GeoReport
from httpx import Response
from temporalio.client import Client

from api.app import create_app
from infra.embedded import free_port
from tests.api.test_intake_availability import postgresql_down
from tests.conftest import Service

T = TypeVar("T")
PHONE, EMAIL = "13812345678", "wei.zhang@example.com"
FIRST, LAST = "Wei", "Zhangsan"
PERSONAL = (PHONE, "+86" + PHONE, EMAIL, FIRST, LAST)
REPLY = "抢修队已到场，今晚22点前恢复供水。"


async def _in_thread(call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    return await asyncio.to_thread(call, *args, **kwargs)


def _client(service: Service, fmt: str) -> GeoReport:
    return GeoReport(f"{service.base_url}/open311/v2", output_format=fmt)


def _form(api_key: str, **fields: str) -> dict[str, str]:
    form = {
        "api_key": api_key,
        "service_code": "outage",
        "lat": "41.7968",
        "long": "123.4328",
        "address_string": "中山路1号",
        "first_name": FIRST,
        "last_name": LAST,
        "phone": PHONE,
        "email": EMAIL,
        "description": "中山路口爆管，水漫到路面",
    }
    form.update(fields)
    return form


async def _post(service: Service, form: dict[str, str], fmt: str = "json") -> Response:
    return await service.http.post(f"/open311/v2/requests.{fmt}", data=form)


async def _file(service: Service, api_key: str, **fields: str) -> str:
    answer = await _post(service, _form(api_key, **fields))
    assert answer.status_code == 201, answer.text
    return str(answer.json()[0]["service_request_id"])


def _xml_errors(text: str) -> list[tuple[str, str]]:
    root = ET.fromstring(text)  # noqa: S314 - our own answer
    assert root.tag == "errors"
    return [(e.findtext("code") or "", e.findtext("description") or "") for e in root]


async def test_georeport_reads_the_services_and_their_definitions(service: Service) -> None:
    as_json = await _in_thread(_client(service, "json").get_service_list)
    as_xml = await _in_thread(_client(service, "xml").get_service_list)
    outage = next(s for s in as_json if s["service_code"] == "outage")
    assert outage["service_name"] == "停水/爆管"
    assert outage["type"] == "realtime"
    assert outage["group"] == "管网维修"  # the unit its first routing rule sends it to
    assert {"爆管", "leak"} <= {k.strip() for k in outage["keywords"].split(",")}
    assert outage["metadata"] is False  # nothing to ask beyond the standard fields
    # The XML form carries the same services, every value as text.
    xml_outage = next(s for s in as_xml if s["service_code"] == "outage")
    assert xml_outage == {
        k: str(v).lower() if isinstance(v, bool) else v for k, v in outage.items()
    }
    assert {s["service_code"] for s in as_xml} == {s["service_code"] for s in as_json}

    # Billing has shorter targets for urgent requests: its definition offers the priority.
    billing = next(s for s in as_json if s["service_code"] == "billing")
    assert billing["metadata"] is True
    definition = await _in_thread(_client(service, "json").get_service_definition, "billing")
    (priority,) = definition["attributes"]
    assert priority["code"] == "priority" and priority["datatype"] == "singlevaluelist"
    assert [v["key"] for v in priority["values"]] == ["normal", "urgent"]
    in_xml = await _in_thread(_client(service, "xml").get_service_definition, "billing")
    attribute = in_xml["attributes"]["attribute"]
    assert attribute["code"] == "priority" and attribute["required"] == "false"
    assert [v["key"] for v in attribute["values"]["value"]] == ["normal", "urgent"]


async def test_a_form_post_files_through_intake_and_georeport_follows_the_request(
    service: Service,
) -> None:
    key = (await service.intake_key("web"))["X-API-Key"]
    posted = await _post(service, _form(key, **{"attribute[priority]": "urgent"}))
    assert posted.status_code == 201, posted.text
    (created,) = posted.json()
    code = created["service_request_id"]
    assert code.startswith("WQ") and created["account_id"] is None
    assert code in created["service_notice"]

    # The same intake as the JSON API: the key's channel, its principal, the workflow's dispatch.
    unit = await service.wait_for(
        "SELECT unit_code FROM inquiries WHERE tracking_code = $1 AND reply_due_at IS NOT NULL",
        code,
    )
    assert unit == "pipe_repair"  # the burst-main rule read "爆管" in the description
    async with service.pool.acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM inquiries WHERE tracking_code = $1", code)
    assert row["channel"] == "web" and row["submitted_by"].startswith("key:form-")
    assert (row["lat"], row["long"]) == (41.7968, 123.4328)
    assert row["citizen_name"] == f"{FIRST} {LAST}"
    assert row["citizen_phone"] == "+86" + PHONE and row["priority"] == "urgent"

    request = await _in_thread(_client(service, "json").get_service_request, code)
    assert request["service_request_id"] == code
    assert request["status"] == "open" and request["status_notes"] is None
    assert request["service_code"] == "outage" and request["agency_responsible"] == "管网维修"
    assert request["address"] == "中山路1号"
    assert (request["lat"], request["long"]) == (41.7968, 123.4328)
    # To the second, as the spec's examples give times.
    assert datetime.fromisoformat(request["requested_datetime"]) == _second(row["received_at"])
    assert datetime.fromisoformat(request["expected_datetime"]) == _second(row["reply_due_at"])
    assert request["expected_datetime"].endswith("+08:00")
    in_xml = await _in_thread(_client(service, "xml").get_service_request, code)
    assert in_xml["service_request_id"] == code and in_xml["status"] == "open"
    assert in_xml["expected_datetime"] == request["expected_datetime"]
    assert in_xml["lat"] == "41.7968" and in_xml["status_notes"] is None

    # The unit replies; the public reply is the request's status notes. The rating closes it.
    handler = await service.staff("handler", "pipe_repair")
    inquiry_id = str(row["id"])
    signed = await service.http.post(
        f"/api/v1/inquiries/{inquiry_id}/acknowledge", json={}, headers=handler
    )
    assert signed.status_code == 200, signed.text
    replied = await service.http.post(
        f"/api/v1/inquiries/{inquiry_id}/reply", json={"content": REPLY}, headers=handler
    )
    assert replied.status_code == 200, replied.text
    followed = await _in_thread(_client(service, "json").get_service_request, code)
    assert followed["status"] == "open" and followed["status_notes"] == REPLY
    rated = await service.http.post(
        f"/api/v1/public/inquiries/{code}/rating", json={"rating": "satisfied"}
    )
    assert rated.status_code == 200, rated.text

    other = await _file(service, key, description="小区停水，没有通知")
    ids = f"{code},{other}"
    listed = await _in_thread(_client(service, "json").get_service_requests, service_request_id=ids)
    assert {r["service_request_id"]: r["status"] for r in listed} == {
        code: "closed",
        other: "open",
    }
    listed_xml = await _in_thread(
        _client(service, "xml").get_service_requests, service_request_id=ids
    )
    assert {r["service_request_id"]: r["status"] for r in listed_xml} == {
        code: "closed",
        other: "open",
    }
    assert next(r for r in listed_xml if r["service_request_id"] == code)["status_notes"] == REPLY

    # No answer of any kind carries the citizen's name, phone or email.
    paths = [f"requests/{code}", f"requests.{{}}?service_request_id={ids}", f"tokens/{code}"]
    paths += [f"requests.{{}}?api_key={key}"]
    for fmt in ("json", "xml"):
        for path in paths:
            url = f"/open311/v2/{path}".format(fmt) if "{}" in path else f"/open311/v2/{path}.{fmt}"
            answer = await service.http.get(url)
            assert answer.status_code == 200, (url, answer.text)
            assert code in answer.text
            leaked = [p for p in PERSONAL if p in answer.text]
            assert not leaked, f"{url} shows {leaked}"


async def test_a_list_shows_the_ids_asked_for_or_the_requests_of_ones_own_key(
    service: Service,
) -> None:
    mine = (await service.intake_key("web"))["X-API-Key"]
    theirs = (await service.intake_key("minxin"))["X-API-Key"]
    first = await _file(service, mine)
    second = await _file(service, mine, service_code="billing", description="水费多收了")
    foreign = await _file(service, theirs)

    async def ids(query: str) -> list[str]:
        answer = await service.http.get(f"/open311/v2/requests.json?{query}")
        assert answer.status_code == 200, answer.text
        return [r["service_request_id"] for r in answer.json()]

    assert await ids(f"api_key={mine}") == [second, first]  # the newest first
    assert await ids(f"api_key={theirs}") == [foreign]
    assert await ids(f"api_key={mine}&service_code=billing") == [second]
    assert await ids(f"api_key={mine}&service_code=outage,billing&status=open") == [second, first]
    assert await ids(f"api_key={mine}&status=closed") == []
    assert await ids(f"api_key={mine}&page_size=1&page=2") == [first]
    assert await ids(f"api_key={mine}&start_date=2030-01-01T00:00:00Z") == []
    # The XML answer to a POST is the same list, as service_requests/request.
    posted = await _post(service, _form(mine, description="水表漏水"), "xml")
    assert posted.status_code == 201 and posted.headers["content-type"].startswith("text/xml")
    third = ET.fromstring(posted.text).findtext("request/service_request_id")  # noqa: S314
    assert await ids(f"api_key={mine}&page_size=1") == [third]
    # Codes held are shown whoever asks, lower case too; unknown ones are left out.
    assert set(await ids(f"service_request_id={first.lower()},{foreign},WQNOSUCHCODE")) == {
        first,
        foreign,
    }

    # Without codes or a key no list is shown: a tracking code is the citizen's key to the case.
    anonymous = await service.http.get("/open311/v2/requests.json?service_code=outage")
    assert anonymous.status_code == 403
    assert anonymous.json()[0]["code"] == 403


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_refusals_are_the_specs_error_lists(service: Service, fmt: str) -> None:
    key = (await service.intake_key("web"))["X-API-Key"]
    before = await _count(service)
    v2 = "/open311/v2"
    listed = f"{v2}/requests.{fmt}?api_key={key}"

    def post(**fields: str) -> Callable[[], Awaitable[Response]]:
        return lambda: _post(service, _form(key, **fields), fmt)

    def get(url: str) -> Callable[[], Awaitable[Response]]:
        return lambda: service.http.get(url)

    # fmt: off
    cases: list[tuple[str, Callable[[], Awaitable[Response]], int, str]] = [
        ("bad api_key", lambda: _post(service, _form("not-a-key"), fmt), 403, "api_key"),
        ("no api_key", lambda: _post(service, _form(""), fmt), 403, "api_key"),
        ("no service_code", post(service_code=""), 400, "service_code"),
        ("unknown service", post(service_code="nope"), 400, "nope"),
        ("no location", post(address_string="", lat="", long=""), 400, "location"),
        ("latitude 91", post(lat="91"), 400, "lat"),
        ("no contact", post(phone="", email=""), 400, "phone or email"),
        ("bad attribute", post(**{"attribute[color]": "red"}), 400, "color"),
        ("unknown request", get(f"{v2}/requests/WQNOSUCH.{fmt}"), 404, "service_request_id"),
        ("unknown token", get(f"{v2}/tokens/WQNOSUCH.{fmt}"), 404, "service_request_id"),
        ("unknown service definition", get(f"{v2}/services/nope.{fmt}"), 404, "nope"),
        ("bad status", get(f"{listed}&status=lost"), 400, "status"),
        ("over 90 days", get(f"{listed}&start_date=2026-01-01&end_date=2026-06-01"), 400, "90 days"),
        ("bad date", get(f"{listed}&start_date=soon"), 400, "start_date"),
        ("year 9999", get(f"{listed}&start_date=9999-12-31T00:00:00"), 400, "2000..2099"),
        ("year 1", get(f"{listed}&end_date=0001-01-01T00:00:00Z"), 400, "2000..2099"),
        ("no such path", get(f"{v2}/nothing.{fmt}"), 404, ""),
    ]
    # fmt: on
    for what, send, status, says in cases:
        answer = await send()
        assert answer.status_code == status, (what, answer.text)
        if fmt == "xml":
            assert answer.headers["content-type"].startswith("text/xml")
            errors = _xml_errors(answer.text)
        else:
            errors = [(str(e["code"]), e["description"]) for e in answer.json()]
        assert len(errors) == 1 and errors[0][0] == str(status), (what, errors)
        assert says in errors[0][1], (what, errors)
    assert await _count(service) == before  # nothing refused was filed

    # A suffix other than .json or .xml is no document.
    assert (await service.http.get("/open311/v2/services.html")).status_code == 404


async def test_the_public_limit_holds_for_open311_with_retry_after(service: Service) -> None:
    for _ in range(service.settings.public_rate_per_minute + 5):
        answer = await service.http.get("/open311/v2/tokens/WQNOSUCH.xml")
        if answer.status_code == 429:
            break
    assert answer.status_code == 429
    assert int(answer.headers["Retry-After"]) >= 1
    assert _xml_errors(answer.text)[0][0] == "429"


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_discovery_names_the_endpoint(service: Service, fmt: str) -> None:
    answer = await service.http.get(f"/open311/discovery.{fmt}")
    assert answer.status_code == 200
    if fmt == "json":
        (endpoint,) = answer.json()["endpoints"]
        url, formats = endpoint["url"], endpoint["formats"]
        assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    else:
        root = ET.fromstring(answer.text)  # noqa: S314 - our own answer
        assert root.tag == "discovery"
        url = root.findtext("endpoints/endpoint/url") or ""
        formats = [f.text for f in root.iterfind("endpoints/endpoint/formats/format")]
    assert url == f"{service.base_url}/open311/v2"
    assert formats == ["application/json", "text/xml"]
    # The endpoint it names answers.
    assert (await service.http.get(f"{url}/services.{fmt}")).status_code == 200


async def test_json_intake_takes_lat_and_long_together(service: Service) -> None:
    key = await service.intake_key("web")
    body = {
        "category": "outage",
        "content": "爆管",
        "citizen": {"phone": PHONE},
        "lat": 41.8,
    }
    alone = await service.http.post("/api/v1/inquiries", json=body, headers=key)
    assert alone.status_code == 422 and "lat and long" in alone.text
    # NaN would pass no range check and then fail PostgreSQL's on every retry: refused here.
    raw = json.dumps({**body, "long": 123.4}).replace("41.8", "NaN")
    nan = await service.http.post(
        "/api/v1/inquiries", content=raw, headers={**key, "Content-Type": "application/json"}
    )
    assert nan.status_code == 422, nan.text
    both = await service.http.post("/api/v1/inquiries", json={**body, "long": 123.4}, headers=key)
    assert both.status_code == 201, both.text
    code = both.json()["tracking_code"]
    request = (await service.http.get(f"/open311/v2/requests/{code}.json")).json()[0]
    assert (request["lat"], request["long"]) == (41.8, 123.4)


def _second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


async def _count(service: Service) -> int:
    async with service.pool.acquire() as conn:
        return int(await conn.fetchval("SELECT count(*) FROM inquiries"))


async def test_outages_answer_503_error_lists_and_filing_goes_on_without_postgresql(
    service: Service, database_url: str
) -> None:
    key = (await service.intake_key("web"))["X-API-Key"]
    known = await _file(service, key)  # intake has now confirmed the key: it keeps a copy
    async with postgresql_down(database_url):
        for fmt in ("json", "xml"):
            for path in ("services", f"requests/{known}"):
                answer = await service.http.get(f"/open311/v2/{path}.{fmt}")
                assert answer.status_code == 503, answer.text
                assert int(answer.headers["Retry-After"]) > 0
                if fmt == "xml":
                    assert _xml_errors(answer.text)[0][0] == "503"
                else:
                    assert answer.json()[0]["code"] == 503
        # Filing needs Temporal only, as on the JSON API: the row appears once PostgreSQL is back.
        filed = await _file(service, key, description="停水一天了")
    assert await service.wait_for("SELECT 1 FROM inquiries WHERE tracking_code = $1", filed)

    never_up = await Client.connect(f"127.0.0.1:{free_port()}", lazy=True)
    app = create_app(service.settings, pool=service.pool, temporal=never_up)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http,
    ):
        answer = await http.post("/open311/v2/requests.json", data=_form(key))
    assert answer.status_code == 503, answer.text
    assert answer.json()[0]["code"] == 503 and "workflow service" in answer.text
