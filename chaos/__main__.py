"""`python -m chaos`: full case lifecycles through the HTTP API while parts of the stack are
killed with kill -9 and kept down for a while; then every accepted case must close, with no
notice and no event twice. Prints a table and JSON; exits 1 when anything was lost or doubled.

    python -m chaos                      # 100 lifecycles, 10 kills, outages of 30-60 s
    python -m chaos --short              # 10 lifecycles, 2 kills, outages of 3-5 s (make test)
    python -m chaos --database-url postgresql://postgres@127.0.0.1:5432/postgres
                                         # a database of the run on that server (then not killed)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chaos.lifecycle import HANDLER, PASSWORD, SUPERVISOR, UNIT, Driver, Outcome
from chaos.report import Report, count, until_delivered
from chaos.stack import Stack
from core.db import create_pool

TARGETS = ("api", "worker", "temporal", "postgres", "all")
# Seconds the outbox gets after the last case closed: a dispatcher killed mid-send holds its
# notice for its lease (NOTIFY_ATTEMPT_TIMEOUT, 10 s, and a margin of 30 s) before another
# claims it; a send refused while PostgreSQL was down waits out its backoff.
DELIVERY_WAIT = 120.0


def _range(text: str) -> tuple[float, float]:
    low, _, high = text.partition("-")
    return float(low), float(high or low)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m chaos", description=__doc__.split("\n")[0])
    parser.add_argument("--short", action="store_true", help="10 lifecycles, 2 kills, 3-5 s")
    parser.add_argument("--lifecycles", type=int, help="default 100 (short: 10)")
    parser.add_argument("--kills", type=int, help="default 10 (short: 2)")
    parser.add_argument("--outage", type=_range, help="seconds down, MIN-MAX; default 30-60")
    parser.add_argument("--gap", type=_range, help="seconds up between kills; default 20-40")
    parser.add_argument("--drain", type=float, help="seconds to let open cases close at the end")
    parser.add_argument("--targets", default=",".join(TARGETS), help="what may be killed")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--database-url", help="an admin DSN of an outside PostgreSQL")
    parser.add_argument("--workdir", type=Path, help="default: a new temporary folder")
    parser.add_argument("--keep", action="store_true", help="keep the workdir (logs, var/)")
    parser.add_argument("--json", type=Path, help="also write the report here")
    return parser


def _settle(args: argparse.Namespace) -> None:
    short = args.short
    args.lifecycles = args.lifecycles or (10 if short else 100)
    args.kills = args.kills if args.kills is not None else (2 if short else 10)
    args.outage = args.outage or ((3.0, 5.0) if short else (30.0, 60.0))
    args.gap = args.gap or ((2.0, 4.0) if short else (20.0, 40.0))
    args.drain = args.drain or (60.0 if short else 600.0)
    args.seed = args.seed if args.seed is not None else random.randrange(1_000_000)  # noqa: S311


class Log:
    def __init__(self) -> None:
        self.started = time.monotonic()

    def __call__(self, message: str) -> None:
        print(
            f"[chaos {time.monotonic() - self.started:7.1f}s] {message}",
            file=sys.stderr,
            flush=True,
        )


async def _accounts(stack: Stack) -> str:
    """Migrations, the demo directory, and the run's own handler, supervisor and intake key."""

    from infra import accounts
    from repository.migrations import migrate

    with contextlib.redirect_stdout(sys.stderr):  # stdout is for the report
        await migrate(stack.database_url)
    pool = await create_pool(stack.database_url, min_size=1, max_size=2)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            await accounts.load_demo_data(pool)
        async with pool.acquire() as conn:
            for username, role, unit in ((HANDLER, "handler", UNIT), (SUPERVISOR, "supervisor", None)):  # fmt: skip
                await accounts.add_user(
                    conn, username=username, role=role, unit_code=unit, password=PASSWORD
                )
            return await accounts.add_intake_key(conn, name="chaos", channel="web")
    finally:
        await pool.close()


def _schedule(args: argparse.Namespace, rng: random.Random, targets: list[str]) -> list[str]:
    """Which part each kill takes down: every target once before any twice, in random order."""
    chosen: list[str] = []
    while len(chosen) < args.kills:
        batch = list(targets)
        rng.shuffle(batch)
        chosen += batch
    return chosen[: args.kills]


async def _kill_and_restore(stack: Stack, target: str, outage: float, log: Log) -> dict[str, Any]:
    names = stack.order() if target == "all" else [target]
    killed_at = time.monotonic()
    for name in names:
        stack.parts[name].kill()
    log(f"kill -9 {target}; down for {outage:.0f} s")
    await asyncio.sleep(outage)
    while True:
        try:
            await stack.start(names)
            break
        except RuntimeError as exc:
            log(f"restarting {target} failed ({exc}); trying again")
            await asyncio.sleep(5)
    back = time.monotonic() - killed_at
    log(f"{target} back after {back:.0f} s")
    return {"target": target, "at": round(killed_at - log.started, 1),
            "outage": round(outage, 1), "back_after": round(back, 1)}  # fmt: skip


async def _chaos(args: argparse.Namespace, stack: Stack, log: Log) -> Report:
    rng = random.Random(args.seed)  # noqa: S311 - reproducible chaos, not secrets
    run = uuid.uuid4().hex[:8]
    targets = [t for t in args.targets.split(",") if t in stack.parts or t == "all"]
    await stack.start(["temporal"])
    key = await _accounts(stack)
    await stack.start(["worker", "api"])
    log(f"stack up: API {stack.api}, Temporal 127.0.0.1:{stack.temporal_port}, data {stack.home}")
    keeper = asyncio.create_task(stack.keep_up(log))
    outcomes = [
        Outcome(index=i, external_ref=f"chaos-{run}-{i:04d}") for i in range(args.lifecycles)
    ]
    kills: list[dict[str, Any]] = []
    think = (0.5, 3.0) if args.short else (1.0, 8.0)
    async with Driver(api=stack.api, intake_key=key, run=run, think=think) as driver:
        running: list[asyncio.Task[Outcome]] = []

        async def start_later(outcome: Outcome, delay: float) -> Outcome:
            await asyncio.sleep(delay)
            return await driver.lifecycle(outcome)

        # One wave of lifecycles per kill, started at random moments of the gap before it, so
        # that each kill finds cases filing, waiting for 签收, for the reply and for the rating.
        schedule = _schedule(args, rng, targets)
        waves = [outcomes[i :: len(schedule) or 1] for i in range(len(schedule) or 1)]
        for target, wave in zip(schedule or [None], waves, strict=True):
            gap = rng.uniform(*args.gap)
            running += [
                asyncio.create_task(start_later(o, rng.uniform(0, 0.9 * gap))) for o in wave
            ]
            await asyncio.sleep(gap)
            if target is None:
                break
            phases = Counter(o.phase for o in outcomes if o.phase not in ("waiting", "closed"))
            record = await _kill_and_restore(stack, target, rng.uniform(*args.outage), log)
            kills.append({**record, "in_flight": dict(phases)})
        driver.deadline = time.monotonic() + args.drain
        log(f"all {len(outcomes)} lifecycles started; up to {args.drain:.0f} s for them to close")
        await asyncio.gather(*running)
        answers = dict(driver.answers)
    keeper.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await keeper
    waited = await until_delivered(stack.database_url, outcomes, within=DELIVERY_WAIT)
    log(f"the outbox had {waited:.0f} s to deliver the cases' notices")
    report = await count(stack.database_url, outcomes, run)
    report.kills = kills
    report.answers = answers
    report.unplanned_exits = {n: p.unplanned_exits for n, p in stack.parts.items()}
    report.parameters = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "lifecycles": args.lifecycles,
        "kills": args.kills,
        "outage_seconds": list(args.outage),
        "gap_seconds": list(args.gap),
        "targets": targets,
        "seed": args.seed,
        "postgres": "outside (not killed)" if args.database_url else "embedded (killed too)",
        "run": run,
    }
    return report


async def _main(args: argparse.Namespace) -> Report:
    home = args.workdir or Path(tempfile.mkdtemp(prefix="chaos-"))
    stack = Stack(home=home.resolve(), outside_database=args.database_url)
    log = Log()
    log(f"seed {args.seed}; {args.lifecycles} lifecycles, {args.kills} kills, outages "
        f"{args.outage[0]:.0f}-{args.outage[1]:.0f} s; work folder {stack.home}")  # fmt: skip
    report: Report | None = None
    try:
        await stack.prepare()
        report = await _chaos(args, stack, log)
        return report
    finally:
        await stack.stop()
        if report is not None and not report.failed and not args.keep:
            shutil.rmtree(stack.home, ignore_errors=True)
        else:
            log(f"logs and data kept in {stack.home}")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _settle(args)
    report = asyncio.run(_main(args))
    print(report.table())
    document = json.dumps(report.as_json(), ensure_ascii=False, indent=2)
    print(document)
    if args.json is not None:
        args.json.write_text(document + "\n", encoding="utf-8")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
