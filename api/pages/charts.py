"""Small charts drawn on the server as SVG (no script): grouped bars and a daily trend line."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from markupsafe import Markup, escape

WIDTH = 640
BAR_AREA = 150  # the height of the bars' area
LABEL_ROOM = 46


def bars(groups: Sequence[tuple[str, Sequence[int]]], series: Sequence[str], title: str) -> Markup:
    """Grouped bars: one group per (label, values), one bar per series value, with a legend."""
    top = max((v for _, values in groups for v in values), default=0) or 1
    per_group = WIDTH / max(len(groups), 1)
    bar_w = max(min(per_group * 0.8 / max(len(series), 1), 36.0), 2.0)
    parts: list[str] = []
    for g, (label, values) in enumerate(groups):
        x0 = g * per_group + (per_group - bar_w * len(values)) / 2
        for s, value in enumerate(values):
            h = round(BAR_AREA * value / top, 1)
            x = round(x0 + s * bar_w, 1)
            parts.append(
                f'<rect class="chart-s{s}" x="{x}" y="{20 + BAR_AREA - h}" width="{bar_w:.1f}"'
                f' height="{h}"><title>{escape(label)}: {escape(series[s])} {value}</title></rect>'
            )
            parts.append(
                f'<text class="chart-value" x="{x + bar_w / 2:.1f}" y="{16 + BAR_AREA - h}">'
                f"{value}</text>"
            )
        parts.append(
            f'<text class="chart-label" x="{g * per_group + per_group / 2:.1f}"'
            f' y="{BAR_AREA + 36}">{escape(label[:12])}</text>'
        )
    for s, name in enumerate(series):
        parts.append(f'<rect class="chart-s{s}" x="{s * 120}" y="{BAR_AREA + 50}" width="12"'
                     f' height="12"/><text class="chart-legend" x="{s * 120 + 16}"'
                     f' y="{BAR_AREA + 60}">{escape(name)}</text>')  # fmt: skip
    return _svg(parts, BAR_AREA + 20 + LABEL_ROOM + 20, title)


def trend(points: Sequence[tuple[date, int]], title: str) -> Markup:
    """A line of counts per day, each point with its number, first and last day labelled."""
    top = max((n for _, n in points), default=0) or 1
    step = (WIDTH - 40) / max(len(points) - 1, 1)
    xy = [(20 + i * step, 20 + BAR_AREA - BAR_AREA * n / top) for i, (_, n) in enumerate(points)]
    path = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f} {y:.1f}" for i, (x, y) in enumerate(xy))
    parts = [f'<path class="chart-line" d="{path}"/>'] if points else []
    for (day, n), (x, y) in zip(points, xy, strict=True):
        parts.append(f'<circle class="chart-dot" cx="{x:.1f}" cy="{y:.1f}" r="3">'
                     f"<title>{day.isoformat()}: {n}</title></circle>"
                     f'<text class="chart-value" x="{x:.1f}" y="{y - 6:.1f}">{n}</text>')  # fmt: skip
    for i in sorted({0, len(points) - 1}) if points else []:
        label = f"{points[i][0]:%m-%d}"
        parts.append(
            f'<text class="chart-label" x="{xy[i][0]:.1f}" y="{BAR_AREA + 38}">{label}</text>'
        )
    return _svg(parts, BAR_AREA + 46, title)


def _svg(parts: list[str], height: float, title: str) -> Markup:
    svg = (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height:.0f}" role="img"'
        f' xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>{"".join(parts)}</svg>'
    )
    return Markup(svg)  # noqa: S704 - every text inside was escaped above
