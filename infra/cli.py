"""The `inquiry` command: run the embedded stack, or the API, worker, migrations and accounts."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import getpass
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import structlog
import uvicorn
from fastapi import FastAPI
from temporalio.client import Client
from temporalio.service import RPCError

from api.app import create_app
from api.routes.calendar import FIRST_YEAR, LAST_YEAR
from core.db import create_pool
from core.logging import configure_logging
from core.settings import Settings, get_settings
from core.telemetry import flush_traces
from core.temporal import connect_temporal
from infra import accounts
from infra.embedded import EmbeddedPostgres, SupervisedPostgres, TemporalDevServer, port_free
from infra.install_secret import use_install_secret
from repository import calendar as calendar_repo
from repository.migrations import migrate
from service import calendar_audit, case_import, reproject
from service.errors import ServiceError
from service.schedules import ensure_schedules
from worker import build_worker

log = structlog.get_logger(__name__)


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the command decides when to stop."""

    @contextlib.contextmanager
    def capture_signals(self):  # type: ignore[no-untyped-def]
        yield


def api_server(
    app: FastAPI, settings: Settings, *, host: str | None = None, port: int | None = None
) -> uvicorn.Server:
    """The API's server as `inquiry api` runs it; the tests serve the app through it too (on a
    free port). No access log: the app logs each request itself, personal data masked. The
    client address is taken from X-Forwarded-For only when the connection comes from
    FORWARDED_ALLOW_IPS (the proxy). Idle connections are kept longer than the proxy keeps its
    pool. A failing lifespan stops the server rather than serving without its clients."""
    config = uvicorn.Config(
        app,
        host=settings.api_host if host is None else host,
        port=settings.api_port if port is None else port,
        log_config=None,
        lifespan="on",
        access_log=False,
        server_header=False,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        timeout_keep_alive=settings.api_keep_alive_seconds,
    )
    return _Server(config)


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)


async def _serve(settings: Settings, *, client: Client, with_api: bool, with_worker: bool) -> None:
    """Run the API and/or the worker until SIGINT or SIGTERM, then drain both."""
    assert settings.database_url is not None
    pool = await create_pool(settings.database_url, max_size=settings.database_pool_size)
    stop = asyncio.Event()
    _stop_on_signals(stop)
    tasks: list[asyncio.Task[None]] = []
    worker = (
        build_worker(client, pool, task_queue=settings.task_queue, settings=settings)
        if with_worker
        else None
    )
    server = None
    if worker is not None:
        await _ensure_schedules(client, settings)
        tasks.append(asyncio.create_task(worker.run()))
    if with_api:
        server = api_server(create_app(settings, pool=pool, temporal=client), settings)
        tasks.append(asyncio.create_task(server.serve()))
    await _freeze_startup_heap(server, tasks, stop)
    try:
        done, _ = await asyncio.wait(
            [asyncio.create_task(stop.wait()), *tasks], return_when=asyncio.FIRST_COMPLETED
        )
        for task in done:
            if task in tasks and task.exception():
                raise task.exception()  # type: ignore[misc]
    finally:
        log.info("stopping")
        if server is not None:
            server.should_exit = True
        if worker is not None:
            await worker.shutdown()
        await asyncio.gather(*tasks, return_exceptions=True)
        await pool.close()
        await asyncio.to_thread(flush_traces, settings)


async def _freeze_startup_heap(
    server: uvicorn.Server | None, tasks: list[asyncio.Task[None]], stop: asyncio.Event
) -> None:
    """Once the process has started (the app's lifespan done, the worker built), move what the
    start created (modules, routes, models, the SDK's tables: most of the heap) out of the
    garbage collector's reach. A full collection then scans only what requests and workflows
    created since, instead of pausing the process for the whole heap."""
    while server is not None and not server.started:
        if stop.is_set() or any(task.done() for task in tasks):
            break  # a signal, or it failed to start: _serve stops or raises its error
        await asyncio.sleep(0.05)
    gc.collect()
    gc.freeze()
    log.info("startup_heap_frozen", objects=gc.get_freeze_count())


async def _ensure_schedules(client: Client, settings: Settings) -> None:
    """The digest and summary schedules, created or updated as a worker starts (README:
    Scheduled work); a refusal is logged and the worker runs on, cases come first."""
    try:
        await ensure_schedules(client, settings)
    except RPCError as exc:
        log.warning("schedules_not_ensured", error=str(exc))


async def _run_embedded(settings: Settings) -> None:
    """`make run`: PostgreSQL (unless DATABASE_URL), Temporal dev server, migrations, demo
    directory, worker and API, all in the foreground. PostgreSQL and Temporal are children that
    die with this process and are restarted when they die alone."""
    var = settings.var_dir.resolve()
    var.mkdir(parents=True, exist_ok=True)
    temporal = TemporalDevServer(
        var_dir=var, port=settings.temporal_port, ui_port=settings.temporal_ui_port
    )
    postgres = None if settings.database_url else SupervisedPostgres(var / "pg")
    try:
        async with _stopped_by_signals():
            await temporal.claim()  # first: a second `make run` on this var/ is told so
            if not port_free(settings.api_port):
                raise SystemExit(f"port {settings.api_port} is taken; set API_PORT to another port")
            await temporal.start()
            if postgres is not None:
                settings.database_url = await postgres.start()
            settings.temporal_address = temporal.address
            # With the payload codec (core/codec.py); its runtime serves the worker's metrics.
            client = await connect_temporal(settings, worker_metrics=True)
            assert settings.database_url is not None
            await migrate(settings.database_url)
            await _print_demo_secrets(settings.database_url)
        print(
            f"\nAPI          http://{settings.api_host}:{settings.api_port}  "
            f"(docs: http://{settings.api_host}:{settings.api_port}/docs)\n"
            f"Pages        http://{settings.api_host}:{settings.api_port}/  "
            f"(staff: http://{settings.api_host}:{settings.api_port}/console)\n"
            f"Temporal UI  http://127.0.0.1:{settings.temporal_ui_port}\n"
            f"Data         {var}\nPress Ctrl-C to stop.\n",
            flush=True,
        )
        await _serve(settings, client=client, with_api=True, with_worker=True)
    finally:
        await temporal.stop()
        if postgres is not None:
            await postgres.stop()
        print("stopped; `make run` again resumes every open inquiry", flush=True)


async def _run_temporal(settings: Settings) -> None:
    """`inquiry temporal`: the embedded Temporal dev server alone, for split mode."""
    var = settings.var_dir.resolve()
    temporal = TemporalDevServer(
        var_dir=var, port=settings.temporal_port, ui_port=settings.temporal_ui_port
    )
    stop = asyncio.Event()
    try:
        async with _stopped_by_signals():
            await temporal.start()
        print(
            f"Temporal     {temporal.address}  (UI: http://127.0.0.1:{settings.temporal_ui_port})"
            f"\nData         {temporal.db_file}\nPress Ctrl-C to stop.",
            flush=True,
        )
        _stop_on_signals(stop)
        await stop.wait()
    finally:
        await temporal.stop()


@contextlib.asynccontextmanager
async def _stopped_by_signals() -> AsyncIterator[None]:
    """While starting up, SIGINT or SIGTERM abandons the start (the caller's finally cleans up)."""
    task = asyncio.current_task()
    assert task is not None
    loop = asyncio.get_running_loop()
    signalled = False

    def cancel() -> None:
        nonlocal signalled
        if not signalled:
            signalled = True
            task.cancel()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, cancel)
    try:
        yield
    except asyncio.CancelledError:
        if not signalled:
            raise
        task.uncancel()
        raise SystemExit("stopped while starting") from None
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


async def _embedded_postgres(settings: Settings) -> EmbeddedPostgres | None:
    """Without DATABASE_URL, start (or attach to) pgserver's PostgreSQL under var/pg."""
    if settings.database_url is not None:
        return None
    postgres = EmbeddedPostgres(settings.var_dir / "pg")
    settings.database_url = await postgres.start()
    return postgres


async def _print_demo_secrets(dsn: str) -> None:
    pool = await create_pool(dsn, max_size=2)
    try:
        made = await accounts.load_demo_data(pool)
    finally:
        await pool.close()
    if made.passwords or made.intake_key:
        print("\nDemo accounts created now (shown this once; store them):", flush=True)
        for username, password in made.passwords.items():
            print(f"  {username:<16} {password}")
        if made.intake_key:
            print(f"  intake key (web-form, channel web): {made.intake_key}")
    else:
        print("\nDemo directory present; its secrets were shown when it was first created.")


async def _with_pool(settings: Settings, action):  # type: ignore[no-untyped-def]
    if settings.database_url is None:
        raise SystemExit("DATABASE_URL is not set")
    pool = await create_pool(settings.database_url, max_size=2)
    try:
        return await action(pool)
    finally:
        await pool.close()


def _read_password() -> str:
    if sys.stdin.isatty():
        return getpass.getpass("password: ")
    return sys.stdin.readline().rstrip("\n")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="inquiry", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="the whole embedded stack in the foreground (make run)")
    sub.add_parser("temporal", help="the embedded Temporal dev server alone (split mode)")
    sub.add_parser("api", help="the HTTP API")
    sub.add_parser("worker", help="the Temporal worker")
    sub.add_parser("migrate", help="apply SQL migrations")
    sub.add_parser("demo-data", help="load the demo directory, users and intake key once")
    user = sub.add_parser("user", help="staff accounts").add_subparsers(
        dest="action", required=True
    )
    add_user = user.add_parser("add", help="add a user; the password is read from stdin")
    add_user.add_argument("--username", required=True)
    add_user.add_argument("--role", required=True)
    add_user.add_argument("--unit", default=None)
    passwd = user.add_parser("passwd", help="a new password (from stdin); old tokens stop working")
    passwd.add_argument("--username", required=True)
    disable = user.add_parser("disable", help="the user can no longer sign in; tokens stop working")
    disable.add_argument("--username", required=True)
    email = user.add_parser(
        "email", help="set the address a user's staff notices and digests go to (or --clear)"
    )
    email.add_argument("username")
    email.add_argument("address", nargs="?", default=None)
    email.add_argument("--clear", action="store_true", help="remove the address")
    key = sub.add_parser("intake-key", help="intake keys").add_subparsers(
        dest="action", required=True
    )
    add_key = key.add_parser("add", help="create a key for an intake client; printed once")
    add_key.add_argument("--name", required=True)
    add_key.add_argument("--channel", required=True)
    key.add_parser("list", help="every intake key: name, channel, prefix, active")
    revoke = key.add_parser("revoke", help="the key stops working")
    revoke.add_argument("--name", required=True)
    cal = sub.add_parser(
        "calendar", help="the operator calendar: holidays and make-up working days"
    ).add_subparsers(dest="action", required=True)
    set_day = cal.add_parser("set", help="override days; open cases are told to re-project")
    set_day.add_argument("--day", required=True, action="append", type=date.fromisoformat,
                         help="YYYY-MM-DD; repeat for several days")  # fmt: skip
    kind = set_day.add_mutually_exclusive_group(required=True)
    kind.add_argument("--holiday", dest="working", action="store_false", help="a day off")
    kind.add_argument("--workday", dest="working", action="store_true", help="make-up working day")
    set_day.add_argument("--note", default="")
    set_day.add_argument("--reason", default="")
    list_days = cal.add_parser("list", help="list the overrides")
    list_days.add_argument("--year", type=int, default=None)
    legacy = sub.add_parser(
        "legacy", help="the first workflow version (legacy v1), kept for its running workflows"
    ).add_subparsers(dest="action", required=True)
    legacy.add_parser("status", help="count its still-running workflows in Temporal")
    imports = sub.add_parser("import", help="bring in records of past years").add_subparsers(
        dest="action", required=True
    )
    closed = imports.add_parser(
        "closed-cases", help="closed cases from CSV, reported line by line; safe to repeat"
    )
    closed.add_argument("file", type=Path)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    settings = get_settings()
    use_install_secret(settings)
    configure_logging(log_format=settings.log_format, level=settings.log_level)
    try:
        asyncio.run(_dispatch(args, settings))
    except (accounts.AccountError, accounts.NoSuchAccount) as refused:
        raise SystemExit(f"refused: {refused}") from None
    if argv is None:
        _leave_without_finalizing()


def _leave_without_finalizing() -> None:
    """The Temporal client's native threads can abort the interpreter while it finalizes
    (temporalio/sdk-python#300, seen here as "PyGILState_Release … finalizing"): once the command
    has done its work, flush what it wrote and leave without that step."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


async def _dispatch(args: argparse.Namespace, settings: Settings) -> None:
    if args.command == "run":
        await _run_embedded(settings)
        return
    if args.command == "legacy":  # asks Temporal only; no database needed
        await _legacy_status(settings)
        return
    if args.command == "temporal":
        await _run_temporal(settings)
        return
    postgres = await _embedded_postgres(settings)
    try:
        await _dispatch_service(args, settings)
    finally:
        if postgres is not None:
            postgres.stop()


async def _dispatch_service(args: argparse.Namespace, settings: Settings) -> None:
    if args.command in ("api", "worker"):
        client = await connect_temporal(settings, worker_metrics=args.command == "worker")
        await _serve(
            settings,
            client=client,
            with_api=args.command == "api",
            with_worker=args.command == "worker",
        )
    elif args.command == "migrate":
        assert settings.database_url is not None
        applied = await migrate(settings.database_url)
        print(f"applied: {', '.join(applied) or 'nothing new'}")
    elif args.command == "demo-data":
        assert settings.database_url is not None
        await _print_demo_secrets(settings.database_url)
    elif args.command in ("user", "intake-key"):
        reads_password = args.command == "user" and args.action in ("add", "passwd")
        password = _read_password() if reads_password else ""
        print(await _with_pool(settings, lambda pool: accounts.command(args, pool, password)))
    elif args.command == "calendar":
        await _with_pool(settings, lambda pool: _calendar(args, settings, pool))
    elif args.command == "import":
        await _import_closed_cases(args.file, settings)


async def _import_closed_cases(path: Path, settings: Settings) -> None:
    """`inquiry import closed-cases FILE`: one line of output per CSV line, then the counts;
    exits 1 when any line was refused, so a script notices."""
    try:
        data = await asyncio.to_thread(path.read_bytes)
    except OSError as exc:
        raise SystemExit(f"cannot read {path}: {exc.strerror}") from None
    try:
        report = await _with_pool(
            settings, lambda pool: case_import.import_closed_cases(pool, data)
        )
    except ServiceError as refused:
        raise SystemExit(f"refused: {refused.message}") from None
    for line in report.lines:
        what = line.tracking_code or line.inquiry_id or ""
        print(f"line {line.line}: {line.outcome} {line.reason or what}".rstrip())
    print(
        f"imported {report.imported}, skipped as duplicates {report.skipped_duplicate},"
        f" errors {report.errors}"
    )
    if report.errors:
        raise SystemExit(1)


TEMPORAL_CONNECT_TIMEOUT = 15.0

# Legacy v1 runs under its recorded workflow type (workflows/legacy_v1.py); this module may not
# import it, so the name is spelled here and tests/test_cli_legacy.py proves the two agree.
LEGACY_RUNNING = "WorkflowType = 'InquiryWorkflow' AND ExecutionStatus = 'Running'"


async def _legacy_status(settings: Settings) -> None:
    """`inquiry legacy status`: how many legacy v1 workflows still run in this namespace."""
    try:
        async with asyncio.timeout(TEMPORAL_CONNECT_TIMEOUT):
            client = await connect_temporal(settings)
            running = (await client.count_workflows(LEGACY_RUNNING)).count
    except Exception as exc:
        reason = str(exc) or type(exc).__name__
        raise SystemExit(
            f"Temporal at {settings.temporal_address} did not answer ({reason});"
            " the count is unknown, keep the legacy modules"
        ) from None
    where = f"namespace {settings.temporal_namespace} at {settings.temporal_address}"
    print(f"legacy v1 workflows running: {running} ({where})")
    if running:
        print(
            "keep the legacy v1 modules and their worker registration until these runs end"
            " (each ends once its unit replies)"
        )
    else:
        print(
            "none here: once every deployment reports 0, the legacy v1 modules, their worker"
            " registration and the v1 histories/tests can be deleted (README.md)"
        )


async def _calendar(args: argparse.Namespace, settings: Settings, pool) -> None:  # type: ignore[no-untyped-def]
    """`inquiry calendar list|set`: the operator calendar, as the admin API changes it."""
    if args.action == "list":
        async with pool.acquire() as conn:
            rows = await calendar_repo.list_days(conn, year=args.year)
        for r in rows:
            kind = "workday" if r["working"] else "holiday"
            print(f"{r['day'].isoformat()}  {kind}  {r['note']}".rstrip())
        if not rows:
            print("no overrides")
        return
    if bad := [d for d in args.day if not FIRST_YEAR <= d.year <= LAST_YEAR]:
        raise SystemExit(f"refused: {bad[0].isoformat()} is outside {FIRST_YEAR}-{LAST_YEAR}")
    days = {d: (args.working, args.note) for d in args.day}
    async with pool.acquire() as conn, conn.transaction():
        before = await calendar_audit.days_as_set(conn, list(days))
        await calendar_repo.set_days(conn, days=days, updated_by="cli")
        change_id = await calendar_repo.record_change(
            conn, changed_by="cli", days=list(days), reason=args.reason
        )
        after = await calendar_audit.days_as_set(conn, list(days))
        await calendar_audit.record(
            conn, actor="cli", action="calendar.set", before=before, after=after
        )
    kind = "workday" if args.working else "holiday"
    print(f"set {', '.join(d.isoformat() for d in sorted(days))} as {kind}")
    # The data is stored; failing to reach Temporal is a warning, not a failure.
    try:
        async with asyncio.timeout(TEMPORAL_CONNECT_TIMEOUT):
            client = await connect_temporal(settings)
    except Exception as exc:
        async with pool.acquire() as conn:
            waiting = len(await calendar_repo.open_case_workflow_ids(conn))
        reason = str(exc) or type(exc).__name__
        print(
            f"warning: the calendar is stored, but Temporal at {settings.temporal_address} is"
            f" unreachable ({reason}); {waiting} open case(s) were not told and keep their due"
            " times. Run this command again once Temporal is up.",
            file=sys.stderr,
        )
        return
    told, unreached = await reproject.announce(
        pool, client, change_id=change_id, days=list(days), reason=args.reason
    )
    print(f"open cases told: {told}")
    if unreached:
        print(
            f"warning: {unreached} open case(s) could not be told; run this command again.",
            file=sys.stderr,
        )


if __name__ == "__main__":
    main()
