"""A past year brought in by the import of closed cases (2019, no other test's year): the line
report, idempotence, every figure of the summary in total and per channel, the CSV and XLSX,
the cases behind figures, and the annual report's sentences in HTML and PDF."""

from __future__ import annotations

import base64
import csv
import io
import re
import shutil
import subprocess
import zlib
from typing import Any

from openpyxl import load_workbook

from tests.conftest import Service

HEADER = (
    "external_ref,channel,category,unit,district,content,received_at,dispatched_at,"
    "replied_at,closed_at,reply_due_at,on_time,reply,rating,answered_on_site"
)
# Line 2 on (the header is line 1). Handling seconds: H1 21600, H2 172800, H3 7200, M1 172800,
# T1 86400, T2 129600, W1 10800, O3 86400, W2 3600.
LINES = [
    "H1,hotline,{c},pipe_repair,和平区,停水,2019-03-01 09:00,2019-03-01 09:10,2019-03-01 15:10,2019-03-03,,true,已修复,满意,",
    "H2,hotline,{c},business_window,,水费,2019-03-05 10:00,2019-03-05 10:00,2019-03-07 10:00,2019-03-08,2019-03-06 10:00,,已退费,基本满意,",
    "H3,hotline,{c},pipe_repair,,漏水,2019-12-30 09:00,2019-12-30 09:30,2019-12-30 11:30,2020-01-03,,1,已修,,",
    "M1,minxin,{c},business_window,,政策,2019-04-02 08:30,2019-04-02 09:00,2019-04-04 09:00,2019-04-05,,true,已答复,不满意,",
    "T1,transfer,{c},drainage,,排水,2019-06-10 09:00,2019-06-10 10:00,2019-06-11 10:00,2019-06-12,,true,已疏通,satisfied,",
    "T2,transfer,{c},drainage,,排水,2019-07-01 09:00,2019-07-01 09:00,2019-07-02 21:00,2019-07-04,,true,已疏通,满意,",
    "W1,web,{c},pipe_repair,,爆管,2019-08-08 09:00,2019-08-08 09:00,2019-08-08 12:00,2019-08-10,,true,已修复,满意,",
    "O1,onsite,{c},,,咨询,2019-05-15 09:00,,2019-05-15 09:00,2019-05-15 12:00,,,现场答复,满意,是",
    "O2,onsite,{c},,,咨询,2019-05-15 10:00,,2019-05-15 10:00,2019-05-18,,,现场答复,基本满意,1",
    "O3,onsite,{c},business_window,,水表,2019-05-15 11:00,2019-05-16 09:00,2019-05-17 09:00,2019-05-20,,true,已换表,满意,",
    "F1,fax,{c},pipe_repair,,x,2019-02-01,2019-02-01,2019-02-02,2019-02-03,,,,,",
    "U1,hotline,{c},nowhere,,x,2019-02-01,2019-02-01,2019-02-02,2019-02-03,,,,,",
    "R1,hotline,{c},pipe_repair,,x,2019-02-01 10:00,2019-02-01 12:00,2019-02-01 11:00,2019-02-03,,,,,",
    "H1,hotline,{c},pipe_repair,,again,2019-03-01 09:00,2019-03-01 09:10,2019-03-01 15:10,2019-03-03,,true,,满意,",
    ",web,{c},pipe_repair,,无编号,2019-09-01 09:00,2019-09-01 09:00,2019-09-01 10:00,2019-09-02,,true,已答复,满意,",
]

TOTAL = {
    "received": 11, "answered_on_site": 2, "dispatched": 9, "transferred_in": 2, "answered": 11,
    "closed": 10, "closed_on_time": 9, "rated": 10, "satisfied": 7, "basically_satisfied": 2,
    "unsatisfied": 1, "returned": 0, "extended": 0, "reopened": 0, "overdue_now": 0,
    "completion_rate": 0.9091, "on_time_rate": 0.9, "satisfaction_rate": 0.9,
    "return_rate": 0.0, "extension_rate": 0.0, "reopen_rate": 0.0,
    "handling_median_seconds": 86400, "handling_p90_seconds": 172800,
}  # fmt: skip
YEAR = {"from": "2019-01-01", "to": "2019-12-31"}


def _csv(category: str) -> bytes:
    return ("\n".join([HEADER, *(line.format(c=category) for line in LINES)]) + "\n").encode()


async def _import(service: Service, data: bytes, headers: dict[str, str]) -> Any:
    response = await service.http.post(
        "/api/v1/admin/import/closed-cases",
        files={"file": ("cases.csv", data, "text/csv")},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return response.json()


def _pick(row: dict[str, Any]) -> dict[str, Any]:
    return {name: row[name] for name in TOTAL}


async def test_a_past_year_imported_is_reported_in_figures_files_and_the_annual_report(
    service: Service,
) -> None:
    category = await service.category()
    admin = await service.staff("admin")
    supervisor = await service.staff("supervisor")

    first = await _import(service, _csv(category), admin)
    outcomes = {line["line"]: (line["outcome"], line["reason"]) for line in first["lines"]}
    assert [outcomes[n][0] for n in range(2, 12)] == ["imported"] * 10
    assert outcomes[12][0] == "error" and "channel" in outcomes[12][1]
    assert outcomes[13][0] == "error" and "no unit 'nowhere'" in outcomes[13][1]
    assert outcomes[14][0] == "error" and "replied_at is before dispatched_at" in outcomes[14][1]
    assert outcomes[15][0] == "skipped_duplicate"  # H1 again, by its external ref
    assert outcomes[16][0] == "imported"  # no ref: keyed by the line itself
    assert (first["imported"], first["skipped_duplicate"], first["errors"]) == (11, 1, 3)

    again = await _import(service, _csv(category), admin)
    assert (again["imported"], again["skipped_duplicate"], again["errors"]) == (0, 12, 3)
    async with service.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT workflow_version, status FROM inquiries WHERE category = $1", category
        )
        kinds = await conn.fetch(
            "SELECT e.kind, count(*) FROM inquiry_events e JOIN inquiries i ON i.id = e.inquiry_id"
            " WHERE i.category = $1 GROUP BY e.kind",
            category,
        )
    assert len(rows) == 11 and {(r[0], r[1]) for r in rows} == {(0, "closed")}
    assert dict(kinds) == {
        "received": 11, "answered_on_site": 2, "dispatched": 9, "replied": 9, "closed": 11,
    }  # fmt: skip

    # Every figure, in total: H3 closed only in 2020, after the year's cut-off.
    summary = await service.http.get("/api/v1/reports/summary", params=YEAR, headers=supervisor)
    assert summary.status_code == 200, summary.text
    assert _pick(summary.json()["total"]) == TOTAL

    by_channel = await service.http.get(
        "/api/v1/reports/summary", params={**YEAR, "group_by": "channel"}, headers=supervisor
    )
    groups = {g["group"]: g for g in by_channel.json()["groups"]}
    assert set(groups) == {"hotline", "minxin", "transfer", "web", "onsite"}
    hotline = groups["hotline"]
    assert (hotline["received"], hotline["closed"], hotline["closed_on_time"]) == (3, 2, 1)
    assert hotline["completion_rate"] == 0.6667 and hotline["label"] == "114公民政务咨询热线"
    assert hotline["handling_median_seconds"] == 21600  # of 7200, 21600, 172800
    onsite = groups["onsite"]
    assert (onsite["received"], onsite["answered_on_site"], onsite["dispatched"]) == (3, 2, 1)
    assert groups["transfer"]["transferred_in"] == 2 and groups["minxin"]["unsatisfied"] == 1
    for figure in ("received", "closed", "rated", "satisfied"):
        assert sum(g[figure] for g in groups.values()) == TOTAL[figure]

    # The cases behind figures.
    behind = await service.http.get(
        "/api/v1/reports/cases",
        params={**YEAR, "figure": "closed_on_time", "group_by": "channel", "group": "hotline"},
        headers=supervisor,
    )
    assert behind.status_code == 200, behind.text
    assert [i["summary"] for i in behind.json()["items"]] == ["停水"]
    not_closed = await service.http.get(
        "/api/v1/reports/cases", params={**YEAR, "figure": "answered"}, headers=supervisor
    )
    closed = await service.http.get(
        "/api/v1/reports/cases", params={**YEAR, "figure": "completion_rate"}, headers=supervisor
    )
    answered_ids = {i["id"] for i in not_closed.json()["items"]}
    closed_ids = {i["id"] for i in closed.json()["items"]}
    assert closed.json()["total"] == 10 and len(answered_ids - closed_ids) == 1
    [late] = [i for i in not_closed.json()["items"] if i["id"] not in closed_ids]
    assert late["summary"] == "漏水" and late["received_at"].startswith("2019-12-30")

    await _check_exports(service, supervisor)
    await _check_annual_report(service, supervisor)


async def _check_exports(service: Service, supervisor: dict[str, str]) -> None:
    params = {**YEAR, "group_by": "channel"}
    as_csv = await service.http.get(
        "/api/v1/reports/summary.csv", params=params, headers=supervisor
    )
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in as_csv.headers["content-disposition"]
    text = as_csv.content.decode("utf-8")
    assert text.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    header = table[0]
    assert header[:4] == ["分组 group", "名称 label", "受理 received", "现场解答 answered_on_site"]
    assert "办结率 completion_rate" in header and "满意率 satisfaction_rate" in header
    rows = {r[0]: dict(zip(header, r, strict=True)) for r in table[1:]}
    assert set(rows) == {"hotline", "minxin", "transfer", "web", "onsite", "total"}
    assert (
        rows["total"]["受理 received"] == "11"
        and rows["total"]["办结率 completion_rate"] == "0.9091"
    )
    assert rows["onsite"]["现场解答 answered_on_site"] == "2"

    as_xlsx = await service.http.get(
        "/api/v1/reports/summary.xlsx", params=params, headers=supervisor
    )
    assert as_xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(as_xlsx.content)).active
    assert sheet is not None
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0] == header
    by_group = {r[0]: dict(zip(header, r, strict=True)) for r in values[1:]}
    assert by_group["total"]["按时办结 closed_on_time"] == 9
    assert by_group["total"]["按时办结率 on_time_rate"] == 0.9
    assert by_group["hotline"]["名称 label"] == "114公民政务咨询热线"
    assert by_group["total"]["办理用时中位数（秒） handling_median_seconds"] == 86400


SENTENCES = [
    "2019年，水务集团共受理群众咨询、投诉11件，其中现场解答2件，转交责任部门和单位办理9件。",
    "通过“114公民政务咨询热线”受理、反馈群众咨询和投诉3件，办结2件，办结率达到66.7%。",
    "认真办理了省“民心网”转来的群众政策咨询件1件，办结1件，办结率达到100%。",
    "共办理了市政务公开办转来的各类转办件2件，办结2件，其办结率达到100%。",
    "通过政府网站等诉求渠道受理群众诉求2件，办结2件，办结率达到100%。",
    "“5.15”政务公开日活动中，共受理群众咨询问题3件，其中现场解答和办理2件，剩余的1件在活动结束后转交给责任部门和单位进行核实办理",
    "管网维修承办转交件4件，办结3件，按时办结3件，按时办结率100%。",
    "营业窗口承办转交件3件，办结3件，按时办结2件，按时办结率66.7%。",
    "排水承办转交件2件，办结2件，按时办结2件，按时办结率100%。",
    "全年办结10件，办结率达到90.9%；其中按时办结9件，按时办结率为90%。",
    "从派单到答复用时的中位数为24.0小时，90%的诉求在2.0天内答复。",
    "办理中退单0件，经批准延期0件，因群众不满意重办0件。",
    "回访评价10件，其中满意7件、基本满意2件、不满意1件，满意率达到90%。",
]


async def _check_annual_report(service: Service, supervisor: dict[str, str]) -> None:
    html = await service.http.get("/api/v1/reports/annual/2019", headers=supervisor)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    text = re.sub(r"<[^>]+>", "", html.text)
    for sentence in SENTENCES:
        assert sentence in text, sentence
    # In the seed's order: intake by channel, then the units, then completion and satisfaction.
    positions = [text.index(s) for s in SENTENCES[:6] + SENTENCES[9:]]
    assert positions == sorted(positions)
    assert "件件有结果" not in text  # one 2019 case closed only in 2020

    pdf = await service.http.get(
        "/api/v1/reports/annual/2019", headers={**supervisor, "Accept": "application/pdf"}
    )
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    flat = "".join(_pdf_text(pdf.content).split())
    for sentence in SENTENCES:
        assert sentence in flat, sentence


def _pdf_text(pdf: bytes) -> str:
    """The PDF's text: pdftotext (poppler-utils) when installed, else its content streams
    read directly (reportlab writes the CID font's text as UCS-2 in literal strings)."""
    if (pdftotext := shutil.which("pdftotext")) is not None:
        return subprocess.run(
            [pdftotext, "-", "-"], input=pdf, capture_output=True, check=True
        ).stdout.decode()
    texts = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        try:
            data = zlib.decompress(base64.a85decode(stream.strip().removesuffix(b"~>")))
        except (ValueError, zlib.error):
            continue
        for literal in re.findall(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", data, re.S):
            raw = re.sub(
                rb"\\([0-7]{1,3}|.)",
                lambda m: bytes([int(m[1], 8)]) if m[1][:1].isdigit() else m[1],
                literal,
            )
            texts.append(raw.decode("utf-16-be", errors="replace"))
    return "".join(texts)
