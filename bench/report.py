"""The results as the issue's table (Markdown), the targets met or not, and a plot (SVG by hand:
no plotting library is a dependency)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from bench.bare import SHAPED_STEPS

BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
GIB = 1024**3
STAFF_STEPS = ("acknowledge", "reply", "rating")
LISTS = ("overdue", "staff_list", "unit_tasks")
SERVICE_STEPS = ("intake", "dispatch", *STAFF_STEPS)
# A bare "action": the signal, the activity it starts and the workflow's result.
BARE_STEPS = ("start", "action")


def _ms(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds * 1000:.0f} ms"


def _steps(steps: dict[str, Any], names: tuple[str, ...]) -> str:
    shown = [n for n in names if n in steps]
    return ", ".join(f"{n} {_ms(steps[n]['p50'])} / {_ms(steps[n]['p95'])}" for n in shown) or "–"


def _ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _patches(history: dict[str, Any]) -> str:
    """The patch markers apart from the local activities (runs before 2026-12-06 counted every
    marker as a local activity and stored no such figure)."""
    if "patch_markers" not in history:
        return ""
    return f" {history['patch_markers']:.0f} patch markers,"


def _by_m(results: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    steps = results["scale"]
    return steps[0], steps[-1]


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target of the issue with this run's figure; `met` is reported, never asserted.
    A phase the run skipped leaves its targets out."""
    found: list[dict[str, Any]] = []
    if "lifecycle" in results:
        service = results["lifecycle"]["service"]["steps"]
        worst_p95 = max((service.get(s, {}).get("p95") or 0.0) for s in STAFF_STEPS)
        found += [
            {"target": "full closed loop ≥ 60% of bare", "value": results["lifecycle"]["ratio"], "limit": 0.6},
            {"target": "intake ≥ 80% of bare start_workflow", "value": results["intake"]["ratio"], "limit": 0.8},
            {"target": "each staff action's p95 < 250 ms", "value": worst_p95 * 1000, "limit": 250, "below": True},
        ]  # fmt: skip
    if results.get("scale"):
        small, large = _by_m(results)
        rss = large["rss_bytes"]["worker"] + large["rss_bytes"]["api"]
        found.append(
            {"target": f"worker + API RSS ≤ 1 GiB at M={large['m']}", "value": rss / GIB, "limit": 1.0, "below": True}
        )  # fmt: skip
        found += _list_targets(small, large, "")
        if results.get("copies"):
            found += _list_targets(small, results["copies"][-1], " (read model by copies)")
    for target in found:
        value, limit = target["value"], target["limit"]
        target["met"] = value is not None and (
            value <= limit if target.get("below") else value >= limit
        )
    found.append(_burst_target(results.get("burst")))
    return found


def _list_targets(small: dict[str, Any], large: dict[str, Any], how: str) -> list[dict[str, Any]]:
    """Each list's idle median at the larger M against the first step's, within 3×."""
    found = []
    for name in LISTS:
        growth = large["lists_idle"][name]["median_ms"] / small["lists_idle"][name]["median_ms"]
        found.append(
            {
                "target": f"{name} at M={large['m']}{how} within 3× of M={small['m']}",
                "value": growth,
                "limit": 3.0,
                "below": True,
            }
        )
    return found


def _burst_target(burst: dict[str, Any] | None) -> dict[str, Any]:
    """The burst's target: its worst lateness (s) as the value, met only with no workflow-task
    timeout, no step unfired and none later than 60 s."""
    name = "simultaneous breaches: no workflow-task timeout, steps within 60 s"
    if burst is None:
        return {"target": f"5,000 {name}", "value": None, "limit": None, "met": None}
    late = burst["lateness"]["fired"]
    return {
        "target": f"{burst['cases']:,} {name} (value: the latest step, s)",
        "value": late["max"],
        "limit": 60.0,
        "below": True,
        "met": bool(
            burst["workflow_task_timeouts"] == 0
            and burst["unfired"] == 0
            and burst["lateness"]["fired_over_60s"] == 0
            and late["max"] is not None
        ),
    }


def _seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} s"


def _kinds(counts: dict[str, int]) -> str:
    shown = ", ".join(f"{n} {k.removeprefix('TIMEOUT_TYPE_').lower()}" for k, n in counts.items())
    return f"(timed out: {shown})" if shown else ""


def burst_rows(burst: dict[str, Any]) -> list[str]:
    """The burst of breaches as one table."""
    fired, seen = burst["lateness"]["fired"], burst["lateness"]["seen"]
    new = burst["new_inquiries_during_burst"]["dispatch"]
    cpu = burst["cpu_seconds"]
    return [
        "",
        "| burst of breaches | this run |",
        "|---|---|",
        f"| cases, all due at one instant | {burst['cases']:,} ({burst['due_at_breach']:,} due at"
        f" {burst['breach'][11:19]} UTC; filed at {burst['intake_rate']:.1f}/s, the last"
        f" dispatched {_seconds(burst['margin_seconds'])} before the breach) |",
        f"| breaches (`{burst['step']}`) fired / not fired | {burst['breaches_fired']:,} / {burst['unfired']:,} |",
        f"| lateness as fired, p50 / p95 / max | {_seconds(fired['p50'])} / {_seconds(fired['p95'])}"
        f" / {_seconds(fired['max'])}; {burst['lateness']['fired_over_60s']:,} later than 60 s |",
        f"| lateness as seen in PostgreSQL (polled each second), p50 / p95 / max"
        f" | {_seconds(seen['p50'])} / {_seconds(seen['p95'])} / {_seconds(seen['max'])};"
        f" {burst['lateness']['seen_over_60s']:,} later than 60 s |",
        f"| workflow tasks timed out / failed (in {burst['histories']:,} histories)"
        f" | {burst['workflow_task_timeouts']} / {burst['workflow_task_failures']}"
        f" {_kinds(burst.get('workflow_task_timeouts_by_kind', {}))} |",
        f"| new inquiries during the burst: time to dispatch p50 / p95 / max ({new['count']})"
        f" | {_seconds(new['p50'])} / {_seconds(new['p95'])} / {_seconds(new['max'])} |",
        f"| CPU from 10 s before the breach until the last step fired ({_seconds(burst['all_fired_after_seconds'])} after it)"
        f" | Temporal {cpu['temporal']:.0f} s, worker {cpu['worker']:.0f} s, API {cpu['api']:.0f} s,"
        f" PostgreSQL {cpu['postgres']:.0f} s |",
        *_cache_row(burst.get("sticky_cache")),
    ]


def _cache_row(cache: dict[str, int] | None) -> list[str]:
    """The workers' sticky cache over the same window (runs stored before it was read have none)."""
    if cache is None:
        return []
    return [
        f"| the workers' cache over the same window: tasks from their own (sticky) queue that"
        f" found their case cached / that replayed it from its history; cases evicted"
        f" | {cache['hits']:,} / {cache['misses']:,}; {cache['evictions']:,} |"
    ]


def _cpu(cpu: dict[str, float], groups: tuple[str, ...]) -> str:
    names = {"temporal": "Temporal", "api": "API", "worker": "worker", "bare": "worker",
             "postgres": "PostgreSQL"}  # fmt: skip
    return " + ".join(f"{names[g]} {cpu[g]:.0f} ms" for g in groups)


def _client_row(bare_cpu: dict[str, float], service_cpu: dict[str, float]) -> list[str]:
    """The load generator's own CPU per case (runs stored before it was read have none)."""
    if "client" not in bare_cpu or "client" not in service_cpu:
        return []
    return [
        f"| the benchmark's own client per closed case (not counted above; it shares the cores)"
        f" | {bare_cpu['client']:.1f} ms | {service_cpu['client']:.1f} ms | |"
    ]


def _failures_row(intake: dict[str, Any], life: dict[str, Any]) -> list[str]:
    """The cases that failed in the rounds, with the first error of each side; none: no row."""
    cells = []
    for side in ("bare", "service"):
        failed = intake[side].get("failed", 0) + life[side].get("failed", 0)
        errors = intake[side].get("errors", []) + life[side].get("errors", [])
        shown = errors[0][:160].replace("|", "/").replace("`", "'") if errors else ""
        cells.append(f"{failed} (first: `{shown}`)" if shown else str(failed))
    if cells == ["0", "0"]:
        return []
    return [f"| cases that failed (intake and lifecycle, all rounds) | {cells[0]} | {cells[1]} | |"]


def markdown(results: dict[str, Any]) -> str:
    rows = _loop_rows(results) if "lifecycle" in results else []
    scale_rows, lever_rows = _scale_rows(results)
    if "burst" in results:
        lever_rows += burst_rows(results["burst"])
    target_rows = ["", "| target (issue 10) | this run | met |", "|---|---|---|"]
    for target in results.get("targets", []):
        value = target["value"]
        shown = "not measured" if value is None else f"{value:.2f}"
        met = {True: "yes", False: "**no**", None: "–"}[target["met"]]
        target_rows.append(f"| {target['target']} | {shown} | {met} |")
    return "\n".join(rows + scale_rows + lever_rows + target_rows).lstrip("\n") + "\n"


def _loop_rows(results: dict[str, Any]) -> list[str]:
    intake, life, hist = results["intake"], results["lifecycle"], results["history"]
    args = results["meta"]["args"] if "meta" in results else {}
    n, c, n_life = args.get("intake"), args.get("concurrency"), args.get("lifecycle")
    category = args.get("category", "outage")  # runs before --category filed outage
    bi, si = intake["bare"], intake["service"]
    bl, sl = life["bare"], life["service"]
    bare_cpu, service_cpu = bl["cpu_ms_per_case"], sl["cpu_ms_per_case"]
    bare_total = bare_cpu["temporal"] + bare_cpu["bare"]
    service_total = sum(service_cpu[g] for g in ("temporal", "api", "worker", "postgres"))
    rounds = ", ".join(_ratio(r) for r in intake["round_ratios"])
    rounds_life = ", ".join(_ratio(r) for r in life["round_ratios"])
    hb, hs = hist["bare"], hist["service"]
    steps = sl["steps"]
    rows = [
        "| figure | bare Temporal | this service | ratio |",
        "|---|---|---|---|",
        f"| intake: starts/s ({n} at concurrency {c}, per round; `{category}`) | {bi['rate']:.1f} `start_workflow`/s"
        f" (p50 {_ms(bi['steps']['start']['p50'])}, p95 {_ms(bi['steps']['start']['p95'])})"
        f" | {si['rate']:.1f} `POST /api/v1/inquiries`/s (p50 {_ms(si['steps']['intake']['p50'])},"
        f" p95 {_ms(si['steps']['intake']['p95'])}) | **{_ratio(intake['ratio'])}** (rounds: {rounds}) |",
        f"| full lifecycle/s ({n_life} at concurrency {c}, per round; `{category}`)"
        f" | {bl['rate']:.1f}/s"
        f" | {sl['rate']:.2f} closed/s (intake → 签收 → reply → rating → closed)"
        f" | **{_ratio(life['ratio'])}** (rounds: {rounds_life}) |",
        f"| CPU per closed case | {_cpu(bare_cpu, ('temporal', 'bare'))} = {bare_total:.0f} ms"
        f" | {_cpu(service_cpu, ('temporal', 'api', 'worker', 'postgres'))} = {service_total:.0f} ms"
        f" | {_ratio(service_total / bare_total if bare_total else None)}× the CPU |",
        *_client_row(bare_cpu, service_cpu),
        *_failures_row(intake, life),
        *_shape_rows(life, hist, bare_total, results.get("unloaded", {})),
        f"| history of one closed case | {hb['events']:.0f} events, {hb['activities']:.0f} activities"
        f" | {hs['events']:.0f} events, {hs['activities']:.0f} activities,"
        f" {hs['local_activities']:.0f} local activities,{_patches(hs)} {hs['workflow_tasks']:.0f} workflow tasks,"
        f" {hs['search_attribute_upserts']:.0f} search-attribute upserts,"
        f" {hs['timers_started']:.0f} timers started / {hs['timers_cancelled']:.0f} cancelled,"
        f" {hs['updates']:.0f} updates | {_ratio(hs['events'] / hb['events'] if hb['events'] else None)}× the events |",
        f"| each staff action under that load (p50 / p95) | {_steps(bl['steps'], BARE_STEPS)} | "
        + _steps(steps, SERVICE_STEPS)
        + " | |",
    ]  # fmt: skip
    unloaded = results.get("unloaded")
    if unloaded and "service" in unloaded:
        rows.append(
            f"| the same, one case at a time ({unloaded['service']['done']} per side, p50 / p95)"
            f" | {_steps(unloaded['bare']['steps'], BARE_STEPS)}"
            f" | {_steps(unloaded['service']['steps'], SERVICE_STEPS)} | |"
        )
    return rows


def _history(h: dict[str, Any]) -> str:
    return (
        f"{h['events']:.0f} events, {h['local_activities']:.0f} local activities,"
        f" {h['workflow_tasks']:.0f} workflow tasks, {h['updates']:.0f} updates,"
        f" {h['timers_started']:.0f} timers started / {h['timers_cancelled']:.0f} cancelled"
    )


def _shape_rows(
    life: dict[str, Any], hist: dict[str, Any], bare_total: float, unloaded: dict[str, Any]
) -> list[str]:
    """The case's shape on bare Temporal (bench/bare.py `ShapedWorkflow`), beside both sides:
    how much of the gap is the shape's own (runs stored before it have none)."""
    if "shaped" not in life:
        return []
    shaped, to_bare, of_shaped = life["shaped"], life["shaped_ratio"], life["service_of_shaped"]
    cpu = shaped["cpu_ms_per_case"]
    total = cpu["temporal"] + cpu["bare"]
    rounds = ", ".join(_ratio(r) for r in to_bare["round_ratios"])
    history = f"; {_history(hist['shaped'])}" if "shaped" in hist else ""
    alone = unloaded.get("shaped")
    one_at_a_time = f"; one case at a time: {_steps(alone['steps'], SHAPED_STEPS)}" if alone else ""
    return [
        "| the closed case's shape on bare Temporal, nothing behind it (its local activities,"
        " upsert, timer and 签收 / reply / rating as updates, as counted in the row below; no API,"
        f" no PostgreSQL) | {life['bare']['rate']:.1f}/s | {shaped['rate']:.2f} closed/s"
        f" | **{_ratio(to_bare['ratio'])}** (rounds: {rounds}); the service runs at"
        f" {_ratio(of_shaped['ratio'])} of it |",
        f"| the same shape: CPU per closed case{history}; its updates under that load, and one case at a time (p50 / p95)"
        f" | | {_cpu(cpu, ('temporal', 'bare'))} = {total:.0f} ms;"
        f" {_steps(shaped['steps'], SHAPED_STEPS)}{one_at_a_time}"
        f" | {_ratio(total / bare_total if bare_total else None)}× the CPU |",
    ]


def _scale_rows(results: dict[str, Any]) -> tuple[list[str], list[str]]:
    if not results.get("scale"):
        return [], []
    scale_rows = [
        "",
        "| open cases M | intake/s while filling (not yet dispatched when intake ended; dispatch tail) | overdue list | staff list | unit's task list (paged) | worker RSS | API RSS | Temporal RSS |",
        "|---|---|---|---|---|---|---|---|",
    ]  # fmt: skip
    for step in results["scale"]:
        lists = step["lists_idle"]
        busy = step["lists_busy"]
        cells = [
            f"{lists[name]['median_ms']:.0f} ms (max {lists[name]['max_ms']:.0f}; busy {busy[name]['median_ms']:.0f}) of {_total(lists[name])}"
            for name in LISTS
        ]  # fmt: skip
        rss = step["rss_bytes"]
        scale_rows.append(
            f"| {step['open_cases']:,} | {step['fill']['intake_rate']:.1f}"
            f" ({step['fill'].get('backlog_at_end_of_intake', '–')};"
            f" {step['fill']['dispatch_tail_seconds']:.0f} s) | "
            + " | ".join(cells)
            + f" | {rss['worker'] / 2**20:.0f} MB | {rss['api'] / 2**20:.0f} MB | {rss['temporal'] / 2**20:.0f} MB |"
        )
    scale_rows += _copies_rows(results.get("copies", []))
    lever_rows = [
        "",
        "| read (SQL, median) | M | with migration 006 | without its indexes | as before issue 10 | counted exactly (no cap) |",
        "|---|---|---|---|---|---|",
    ]  # fmt: skip
    for step in [*results["scale"], *results.get("copies", [])]:
        for name, figures in step["read_levers"].items():
            lever_rows.append(
                f"| {name} | {step['open_cases']:,} | {figures['indexed_ms']:.1f} ms"
                f" | {figures['without_indexes_ms']:.1f} ms"
                f" | {_sql_ms(figures.get('before_issue_ms'))}"
                f" | {_sql_ms(figures.get('exact_ms'))} |"
            )
    return scale_rows, lever_rows


def _sql_ms(ms: float | None) -> str:
    return "–" if ms is None else f"{ms:.1f} ms"


def _total(timed: dict[str, Any]) -> str:
    """A list's total as its answer gave it: "more than N" past the cap."""
    if timed.get("total_exact") is False:
        return f"more than {timed['total']:,}"
    return str(timed["total"])


def _autovacuum(step: dict[str, Any]) -> str:
    """How long the lists waited for autovacuum before being timed idle (runs since 2026-12-07)."""
    waited = step.get("autovacuum")
    if waited is None:
        return ""
    if waited["pending"]:
        pending = ", ".join(waited["pending"])
        return f"; autovacuum still due on {pending} after {waited['waited_seconds']:.0f} s"
    return f"; autovacuum caught up {waited['waited_seconds']:.0f} s later"


def _copies_rows(steps: list[dict[str, Any]]) -> list[str]:
    """The lists at M reached by copying the filed cases in SQL (bench/copies.py)."""
    if not steps:
        return []
    rows = [
        "",
        "| open cases M, the read model grown by copies (no workflow behind a copy) | copied | overdue list | staff list | unit's task list (paged) |",
        "|---|---|---|---|---|",
    ]  # fmt: skip
    for step in steps:
        lists = step["lists_idle"]
        cells = [
            f"{lists[name]['median_ms']:.0f} ms (max {lists[name]['max_ms']:.0f}) of {_total(lists[name])}"
            for name in LISTS
        ]  # fmt: skip
        rows.append(
            f"| {step['open_cases']:,} | {step['copied']:,} in {step['copy_seconds']:.0f} s"
            f"{_autovacuum(step)} | " + " | ".join(cells) + " |"
        )
    return rows


def svg(results: dict[str, Any]) -> str:
    """Left: service/bare per round (intake, lifecycle; the case's shape/bare where the run has
    it) with the targets; right: each list's median time against M (log scale)."""
    width, height, pad = 860, 320, 50
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"'
        ' font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        '<text x="50" y="20" font-weight="bold">÷ bare Temporal, per round (higher is better)</text>',
        '<text x="480" y="20" font-weight="bold">list time (ms, median, idle) against open cases</text>',
    ]  # fmt: skip
    # Left panel: ratio bars, 0..1.
    x0, y0, w, h = pad, 40, 360, height - 90
    parts.append(f'<line x1="{x0}" y1="{y0 + h}" x2="{x0 + w}" y2="{y0 + h}" stroke="black"/>')
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = y0 + h - tick * h
        parts.append(f'<text x="{x0 - 8}" y="{y + 4}" text-anchor="end">{tick:.2f}</text>')
        parts.append(f'<line x1="{x0}" y1="{y}" x2="{x0 + w}" y2="{y}" stroke="#ddd"/>')
    groups = [
        ("intake (target 0.8)", results["intake"]["round_ratios"], "#4477aa", 0.8),
        ("lifecycle (target 0.6)", results["lifecycle"]["round_ratios"], "#cc6677", 0.6),
    ]
    if "shaped_ratio" in results["lifecycle"]:  # the case's shape on bare Temporal, since bd8ea4b
        shape = results["lifecycle"]["shaped_ratio"]["round_ratios"]
        groups.append(("the case's shape", shape, "#999933", 0.6))
    slot = w / len(groups)
    for gi, (label, round_ratios, colour, target) in enumerate(groups):
        ratios = [r or 0.0 for r in round_ratios]
        bar = slot * 0.7 / max(1, len(ratios))
        for ri, ratio in enumerate(ratios):
            x = x0 + gi * slot + slot * 0.15 + ri * bar
            top = y0 + h - min(ratio, 1.0) * h
            parts.append(
                f'<rect x="{x:.1f}" y="{top:.1f}" width="{bar * 0.9:.1f}" height="{y0 + h - top:.1f}" fill="{colour}"/>'
            )  # fmt: skip
        ty = y0 + h - target * h
        parts.append(
            f'<line x1="{x0 + gi * slot + 5}" y1="{ty}" x2="{x0 + (gi + 1) * slot - 5}" y2="{ty}" stroke="black" stroke-dasharray="4 3"/>'
        )  # fmt: skip
        parts.append(
            f'<text x="{x0 + gi * slot + slot / 2}" y="{y0 + h + 18}" text-anchor="middle">{label}</text>'
        )  # fmt: skip
    # Right panel: lines per list, log x.
    x1, w1 = 480, 340
    steps = results["scale"]
    ms = [s["lists_idle"][name]["median_ms"] for s in steps for name in LISTS]
    top_ms = float(max([*ms, 1.0])) * 1.15
    ms_values = [s["open_cases"] for s in steps]
    lo, hi = math.log10(max(1, min(ms_values))), math.log10(max(ms_values))
    span = hi - lo or 1.0

    def px(m: int) -> float:
        return x1 + (math.log10(max(1, m)) - lo) / span * w1 if len(steps) > 1 else x1 + w1 / 2

    def py(value: float) -> float:
        return y0 + h - value / top_ms * h

    parts.append(f'<line x1="{x1}" y1="{y0 + h}" x2="{x1 + w1}" y2="{y0 + h}" stroke="black"/>')
    parts.append(f'<line x1="{x1}" y1="{y0}" x2="{x1}" y2="{y0 + h}" stroke="black"/>')
    for m in ms_values:
        parts.append(f'<text x="{px(m):.1f}" y="{y0 + h + 18}" text-anchor="middle">{m:,}</text>')
    for tick in (0.0, top_ms / 2, top_ms):
        parts.append(
            f'<text x="{x1 - 6}" y="{py(tick) + 4:.1f}" text-anchor="end">{tick:.0f}</text>'
        )
    colours = {"overdue": "#228833", "staff_list": "#aa3377", "unit_tasks": "#ee7733"}
    for li, name in enumerate(LISTS):
        points = " ".join(
            f"{px(s['open_cases']):.1f},{py(s['lists_idle'][name]['median_ms']):.1f}" for s in steps
        )
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{colours[name]}" stroke-width="2"/>'
        )
        for s in steps:
            parts.append(
                f'<circle cx="{px(s["open_cases"]):.1f}" cy="{py(s["lists_idle"][name]["median_ms"]):.1f}" r="3" fill="{colours[name]}"/>'
            )  # fmt: skip
        parts.append(
            f'<text x="{x1 + 10}" y="{y0 + 14 + li * 15}" fill="{colours[name]}">{name}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def write_docs(path: Path, results: dict[str, Any], table: str, output: Path) -> None:
    """Put the table between the page's markers and the plot beside the page."""
    plot = path.with_suffix(".svg")
    if "intake" in results and results.get("scale"):
        plot.write_text(svg(results))
    meta = results["meta"]
    try:
        shown = output.resolve().relative_to(path.resolve().parents[1])
    except ValueError:
        shown = output
    block = (
        f"{BEGIN}\n_Run of {meta['when']} on commit `{meta['commit']}`, {meta['cores']} cores,"
        f" {meta['seconds'] / 60:.0f} min, load average at the end {meta['loadavg_at_end'][0]:.1f};"
        f" figures in `{shown}`._\n\n{table}\n![ratios per round and list times against open cases]"
        f"({plot.name})\n{END}"
    )
    text = path.read_text() if path.exists() else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    path.write_text(head + block + tail)
