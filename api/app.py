"""The FastAPI application: routes, error handlers, and clients made once in the lifespan."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from fastapi import FastAPI, Request, Response
from temporalio.client import Client

from api import pages, telemetry
from api.edge_answers import document_edge_answers
from api.errors import install_error_handlers
from api.middleware import EdgeGuard
from api.pages.web import PAGE_HEADERS, PageRoute, error_page
from api.ratelimit import TokenBucket
from api.request_log import RequestLog
from api.routes import (
    accounts,
    admin,
    audit,
    auth,
    calendar,
    cases,
    codec,
    health,
    inquiries,
    open311,
    public,
    reports,
    supervision,
    work,
)
from api.routes.webhooks import router as webhooks_router
from api.security import LoginGuard
from core.db import create_pool
from core.settings import Settings, get_settings
from core.temporal import connect_temporal
from service.errors import ServiceError
from service.intake_directory import IntakeDirectory


def create_app(
    settings: Settings | None = None,
    *,
    pool: asyncpg.Pool | None = None,
    temporal: Client | None = None,
) -> FastAPI:
    """Build the app; a pool or client passed in is used as is and not closed by the app."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own_pool = pool is None
        if settings.database_url is None and own_pool:
            raise RuntimeError("DATABASE_URL is not set")
        app.state.settings = settings
        app.state.pool = pool or await create_pool(
            settings.database_url or "", max_size=settings.database_pool_size
        )
        app.state.temporal = temporal or await connect_temporal(settings)
        # Intake's copy of its checks, so filing works while PostgreSQL is down.
        app.state.intake_directory = checks = IntakeDirectory(app.state.pool)
        await checks.refresh()
        refresher = asyncio.create_task(checks.keep_fresh(settings.intake_refresh_seconds))
        telemetry.attach_domain_metrics(
            app, settings, pool=app.state.pool, temporal=app.state.temporal
        )
        try:
            yield
        finally:
            telemetry.detach_domain_metrics(app)
            refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await refresher
            if own_pool:
                await app.state.pool.close()

    app = FastAPI(
        title="Citizen inquiry service",
        summary="Water-group inquiries from intake to the citizen's feedback, on SLA clocks.",
        version="0.1.0",
        lifespan=lifespan,
    )
    install_error_handlers(app, page_error=_page_error)
    app.state.public_limiter = TokenBucket(settings.public_rate_per_minute)
    app.state.login_guard = LoginGuard.from_settings(settings)
    routers = (health, auth, inquiries, work, supervision, public, admin, calendar, cases, reports)
    for module in (*routers, accounts, audit, codec, open311):
        app.include_router(module.router)
    app.include_router(webhooks_router)
    pages.install(app)
    telemetry.install(app, settings)  # /metrics, and traces when OTEL_EXPORTER_OTLP_ENDPOINT
    document_edge_answers(app)

    app.add_middleware(RequestLog)
    # Outermost, so an oversized, slow or NUL-carrying request is refused before anything else.
    app.add_middleware(
        EdgeGuard,
        max_body_bytes=settings.max_body_bytes,
        body_timeout=settings.body_timeout_seconds,
    )
    return app


def _page_error(request: Request, error: ServiceError) -> Response | None:
    """An error met outside a page's own handling (an outage) shown as a page, on pages."""
    if not isinstance(request.scope.get("route"), PageRoute):
        return None
    response = error_page(request, error)
    response.headers.update(PAGE_HEADERS)
    return response
