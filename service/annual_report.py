"""The annual 办事公开 report: the year's figures written up in the seed report's own sentences
(templates/annual_report.txt.j2), served as HTML or as a PDF with a built-in Chinese font."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from xml.sax.saxutils import escape

import asyncpg
from jinja2 import Environment, FileSystemLoader, select_autoescape
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer

from domain import reports as fig
from domain.calendar import CHINA_TZ
from domain.reports import GroupBy
from service import reports
from service.errors import ServiceError
from service.report_models import FigureRow

FIRST_YEAR, LAST_YEAR = 2000, 2100
PDF_FONT = "STSong-Light"  # reportlab's built-in CID font: Chinese without font files
_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_templates.filters["pct"] = fig.percent
_templates.filters["duration"] = fig.duration_zh


@dataclass(frozen=True)
class Block:
    kind: str  # title | heading | note | paragraph
    text: str


@dataclass(frozen=True)
class AnnualReport:
    year: int
    blocks: list[Block]

    @property
    def title(self) -> str:
        return next(b.text for b in self.blocks if b.kind == "title")

    def text(self) -> str:
        return "\n".join(b.text for b in self.blocks)


_MARKS = {"# ": "title", "## ": "heading", "> ": "note"}


def _blocks(rendered: str) -> list[Block]:
    blocks = []
    for line in rendered.splitlines():
        line = line.strip()
        if not line:
            continue
        kind = next((k for mark, k in _MARKS.items() if line.startswith(mark)), "paragraph")
        mark = next((m for m, k in _MARKS.items() if k == kind), "")
        blocks.append(Block(kind, line.removeprefix(mark).strip()))
    return blocks


async def annual(pool: asyncpg.Pool, year: int, *, now: datetime | None = None) -> AnnualReport:
    """The year's report, its figures from the summary service (never written in by hand)."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ServiceError(422, "invalid_year", f"the year must be {FIRST_YEAR}-{LAST_YEAR}")
    now = now or datetime.now(UTC)
    period = reports.Period(date(year, 1, 1), date(year, 12, 31))
    cases = await reports.cohort(pool, period, now)
    named = await reports.labels(pool, GroupBy.CHANNEL) | await reports.labels(pool, GroupBy.UNIT)
    total = fig.summarize(cases, None).total
    channels = fig.summarize(cases, GroupBy.CHANNEL).groups
    # The units that handled the cases passed to them, the busiest first.
    units = fig.summarize([c for c in cases if c.dispatched], GroupBy.UNIT).groups
    units.sort(key=lambda group: -group[1].counts["received"])

    def row(key: str, figures: fig.Figures) -> FigureRow:
        return FigureRow(group=key, label=named.get(key, key), **figures.as_dict())

    as_of = min(now.astimezone(CHINA_TZ).date(), period.end)
    rendered = _templates.get_template("annual_report.txt.j2").render(
        year=year,
        cut_off=f"{as_of.year}年{as_of.month}月{as_of.day}日",
        t=row(reports.TOTAL, total),
        ch={key: row(key, figures) for key, figures in channels},
        units=[row(key, figures) for key, figures in units],
    )
    return AnnualReport(year=year, blocks=_blocks(rendered))


def to_html(report: AnnualReport) -> str:
    return _templates.get_template("annual_report.html.j2").render(
        title=report.title, blocks=report.blocks
    )


def to_pdf(report: AnnualReport) -> bytes:
    """A4, the same blocks as the HTML; text stays text (searchable, copyable)."""
    if PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))
    base = ParagraphStyle("base", fontName=PDF_FONT, wordWrap="CJK")
    styles = {
        "title": ParagraphStyle("title", base, fontSize=16, leading=26, alignment=1),
        "heading": ParagraphStyle("heading", base, fontSize=13, leading=22, spaceBefore=10),
        "note": ParagraphStyle("note", base, fontSize=9, leading=15, alignment=1),
        "paragraph": ParagraphStyle("paragraph", base, fontSize=11, leading=20, firstLineIndent=22),
    }
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        title=report.title,
        leftMargin=25 * mm,
        rightMargin=25 * mm,
        topMargin=25 * mm,
        bottomMargin=25 * mm,
    )
    story: list[Flowable] = []
    for block in report.blocks:
        story.append(Paragraph(escape(block.text), styles[block.kind]))
        if block.kind == "title":
            story.append(Spacer(1, 4 * mm))
    doc.build(story)
    return out.getvalue()
