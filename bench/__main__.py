"""`python -m bench [--short] [--large]`: the service beside bare Temporal, interleaved in one run.

Prints the table, stores the figures in bench/results/<time>.json and (not in short mode) writes
them with a plot into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import burst, copies, report, scale, stack
from bench.client import Api
from bench.load import Run, summary
from bench.phases import (
    AUTOVACUUM_WAIT,
    DB_CALLS,
    GROUPS,
    LIFECYCLE_CATEGORY,
    SHORT_AUTOVACUUM_WAIT,
    Context,
    bare_intake,
    bare_lifecycle,
    history_of,
    looping_categories,
    service_intake,
    service_lifecycle,
    shaped_lifecycle,
    unit_of,
)

RESULTS = stack.ROOT / "bench" / "results"
DOCS = stack.ROOT / "docs" / "benchmarks.md"


def _setting(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip() or not value.strip():
        raise argparse.ArgumentTypeError(f"{text!r}: give KEY=JSON, as system.someKey=true")
    return key.strip(), value.strip()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--short", action="store_true", help="tiny sizes: proves the suite works")
    parser.add_argument("--large", action="store_true", help="scale up to 100,000 open cases")
    parser.add_argument("--intake", type=int, default=300, help="starts per intake sub-phase")
    parser.add_argument("--lifecycle", type=int, default=200, help="cases per lifecycle sub-phase")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument(
        "--category",
        default=LIFECYCLE_CATEGORY,
        choices=looping_categories(),
        help="the demo category the intake and lifecycle phases file (outage: natural hours;"
        " consultation, help: working days)",
    )
    parser.add_argument(
        "--unloaded", type=int, default=30, help="lifecycles per side at concurrency 1 (0: none)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="bare/service interleavings")
    parser.add_argument("--scale", default="1000,10000", help="open-case counts M, ascending")
    parser.add_argument(
        "--copies",
        default="100000",
        help="open-case counts reached after the scale steps by copying their cases in SQL, to"
        " time the lists beyond what a run files (bench/copies.py; '' for none)",
    )
    parser.add_argument("--repeats", type=int, default=11, help="timings per list and M")
    parser.add_argument(
        "--burst", type=int, default=5000, help="cases breaching at one instant (0: skip)"
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="worker processes of the service (deploy: 2)"
    )
    parser.add_argument(
        "--temporal-config",
        action="append",
        type=_setting,
        default=[],
        metavar="KEY=JSON",
        help="a dynamic config value of the Temporal dev server (repeatable; the server's levers)",
    )
    parser.add_argument(
        "--burst-lead",
        type=float,
        help="seconds from filing the burst to the office's opening (default: from its size)",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL"),
        help="a PostgreSQL server to create the benchmark's database on (default: pgserver)",
    )
    parser.add_argument("--output", type=Path, help="the JSON file (default bench/results/…)")
    parser.add_argument("--docs", type=Path, help="the Markdown page to write the figures into")
    parser.add_argument(
        "--render",
        type=Path,
        help="run nothing: write the figures of this stored JSON into the docs",
    )
    return parser


def _sizes(args: argparse.Namespace) -> None:
    if args.short:
        args.intake, args.lifecycle, args.concurrency, args.rounds = 20, 10, 5, 1
        args.unloaded = 3
        args.scale, args.repeats, args.burst = "200", 5, 50
        args.copies = "600"
        args.burst_lead = 10.0 if args.burst_lead is None else args.burst_lead
    if args.large:
        args.scale, args.copies = "1000,10000,100000", ""
    if args.docs is None and not args.short:
        args.docs = DOCS


def _aggregate(runs: list[Run], cpu: list[dict[str, float]]) -> dict[str, Any]:
    """Rate over every round together, per-round rates, step latencies and CPU per case."""
    done = sum(r.done for r in runs)
    seconds = sum(r.seconds for r in runs)
    steps: dict[str, list[float]] = {}
    for run in runs:
        for step, values in run.latencies.items():
            steps.setdefault(step, []).extend(values)
    return {
        "done": done,
        "failed": sum(r.failed for r in runs),
        "errors": [e for r in runs for e in r.errors][:5],
        "rate": done / seconds if seconds else 0.0,
        "round_rates": [r.rate for r in runs],
        "steps": {step: summary(values) for step, values in steps.items()},
        "cpu_ms_per_case": {
            group: 1000 * sum(c[group] for c in cpu) / max(1, done) for group in GROUPS
        },
        "temporal_db_calls_per_case": sum(c.get(DB_CALLS, 0.0) for c in cpu) / max(1, done),
    }


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 - git on PATH
            cwd=stack.ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _ratios(sides: dict[str, Any], side: str, of: str) -> dict[str, Any]:
    """One side's rate against another's: over every round together, and per round."""
    base = sides[of]["rate"]
    return {
        "ratio": sides[side]["rate"] / base if base else None,
        "round_ratios": [
            s / b if b else None
            for s, b in zip(sides[side]["round_rates"], sides[of]["round_rates"], strict=True)
        ],
    }


async def _phases(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    kinds = {
        "intake": ([("bare", bare_intake), ("service", service_intake)], args.intake),
        # The case's shape on bare Temporal between the two: how much of the gap is the shape's.
        "lifecycle": (
            [
                ("bare", bare_lifecycle),
                ("shaped", shaped_lifecycle),
                ("service", service_lifecycle),
            ],
            args.lifecycle,
        ),
    }
    collected: dict[str, dict[str, tuple[list[Run], list[dict[str, float]]]]] = {
        kind: {side: ([], []) for side, _ in order} for kind, (order, _) in kinds.items()
    }
    for round_no in range(args.rounds):
        for kind, (order, n) in kinds.items():
            # Alternate who goes first, so a drift of the machine's load favours neither side.
            for side, phase in order if round_no % 2 == 0 else reversed(order):
                run, cpu = await phase(ctx, n, args.concurrency)
                collected[kind][side][0].append(run)
                collected[kind][side][1].append(cpu)
                print(
                    f"round {round_no + 1} {kind:9} {side:7} {run.rate:7.1f}/s"
                    f" ({run.done} done, {run.failed} failed)",
                    flush=True,
                )
    out: dict[str, Any] = {"unloaded": await _unloaded(ctx, args.unloaded)}
    for kind in kinds:
        sides = {side: _aggregate(*runs) for side, runs in collected[kind].items()}
        out[kind] = {**sides, **_ratios(sides, "service", "bare")}
        if "shaped" in sides:
            out[kind]["shaped_ratio"] = _ratios(sides, "shaped", "bare")
            out[kind]["service_of_shaped"] = _ratios(sides, "service", "shaped")
    return out


async def _unloaded(ctx: Context, n: int) -> dict[str, Any]:
    """Each side's lifecycle one case at a time: a step's latency with nothing queued before it,
    to read beside the same steps under the load of the rounds."""
    out: dict[str, Any] = {}
    sides = (("bare", bare_lifecycle), ("shaped", shaped_lifecycle), ("service", service_lifecycle))
    for side, phase in sides:
        if n <= 0:
            break
        run, _ = await phase(ctx, n, 1)
        out[side] = {
            "done": run.done,
            "steps": {step: summary(values) for step, values in run.latencies.items()},
        }
        print(f"unloaded {side:7} {run.done} done, {run.failed} failed", flush=True)
    return out


async def _scale(
    ctx: Context, args: argparse.Namespace, sizes: list[int], copied_sizes: list[int]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    await scale.prepare(ctx)
    staff = {
        "supervisor": await ctx.stack.token("supervisor"),
        "handler": await ctx.stack.token("handler", scale.UNIT),
    }
    steps = []
    for m in sizes:
        step = await scale.at_scale(
            ctx, m, staff, concurrency=args.concurrency, repeats=args.repeats
        )
        steps.append(step)
        # The whole step, so that a long run (--large) that is stopped keeps what it measured.
        print(f"scale M={m}: {json.dumps(step)}", flush=True)
    copied_steps = []
    for m in copied_sizes:
        step = await copies.at_copies(ctx, m, staff, repeats=args.repeats)
        copied_steps.append(step)
        print(f"copies M={m}: {json.dumps(step)}", flush=True)
    return steps, copied_steps


async def _run(args: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    commit = _commit()  # the code that runs: read before, not after a long run
    sizes = [int(m) for m in args.scale.split(",") if m.strip()]
    # The copies copy the scale steps' cases: without a scale step there is nothing to copy.
    copied_sizes = [int(m) for m in args.copies.split(",") if m.strip()] if sizes else []
    # SIGTERM (kill, a CI timeout) cancels the run like Ctrl-C, so the stack below is stopped
    # and its database dropped; Python's default would exit on the spot and leave both behind.
    main_task = asyncio.current_task()
    assert main_task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
    server_config = dict(args.temporal_config)
    running = await stack.start(args.database_url, workers=args.workers, temporal=server_config)
    try:
        async with Api(running.api_url, timeout=120) as http:
            ctx = Context(
                stack=running,
                http=http,
                key=await running.intake_key(),
                handler=await running.token("handler", unit_of(args.category)),
                category=args.category,
                autovacuum_wait=SHORT_AUTOVACUUM_WAIT if args.short else AUTOVACUUM_WAIT,
            )
            print(
                f"stack ready in {time.perf_counter() - started:.0f} s "
                f"(home {running.home}, database {running.database})",
                flush=True,
            )
            results: dict[str, Any] = {}
            if args.rounds:
                results.update(await _phases(ctx, args))
                results["history"] = {
                    "bare": await history_of(ctx, ctx.closed_bare[-5:]),
                    "shaped": await history_of(ctx, ctx.closed_shaped[-5:]),
                    "service": await history_of(ctx, ctx.closed_service[-5:]),
                }
            if sizes:
                results["scale"], copied = await _scale(ctx, args, sizes, copied_sizes)
                if copied:
                    results["copies"] = copied
            if args.burst:
                results["burst"] = await burst.run_burst(
                    ctx, args.burst, args.concurrency, args.burst_lead
                )
                print(f"burst: {json.dumps(results['burst'], default=str)}", flush=True)
    finally:
        await stack.stop(running)
    results["meta"] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": commit,
        "cores": os.cpu_count(),
        "loadavg_at_end": os.getloadavg(),
        "seconds": time.perf_counter() - started,
        "python": sys.version.split()[0],
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "database": "given PostgreSQL server" if args.database_url else "pgserver",
    }
    return results


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    _sizes(args)
    if args.render is not None:
        output = args.render
        results = json.loads(output.read_text())
        args.docs = args.docs or DOCS
    else:
        results = asyncio.run(_run(args))
        output = args.output or RESULTS / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    results["targets"] = report.targets(results)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    table = report.markdown(results)
    print("\n" + table + f"\nresults: {output}")
    if args.docs is not None:
        report.write_docs(args.docs, results, table, output)
        print(f"written into {args.docs}")


if __name__ == "__main__":
    main()
