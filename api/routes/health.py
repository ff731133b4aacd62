"""Liveness and readiness."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import Pool, Temporal
from api.errors import error_body
from api.schemas import Health, NotReady, Ready
from repository import health

router = APIRouter(tags=["health"])
PROBE_TIMEOUT = 3.0


@router.get("/healthz")
async def healthz() -> Health:
    return Health()


@router.get(
    "/readyz",
    response_model=Ready,
    responses={503: {"model": NotReady, "description": "names what does not answer"}},
)
async def readyz(pool: Pool, temporal: Temporal) -> JSONResponse:
    """200 when PostgreSQL and Temporal both answer; 503 naming the one that does not."""
    failing: list[str] = []
    try:
        async with asyncio.timeout(PROBE_TIMEOUT), pool.acquire() as conn:
            await health.ping(conn)
    except Exception:
        failing.append("postgresql")
    try:
        async with asyncio.timeout(PROBE_TIMEOUT):
            await temporal.service_client.check_health()
    except Exception:
        failing.append("temporal")
    if failing:
        return JSONResponse(
            error_body("not_ready", f"not answering: {', '.join(failing)}", failing=failing),
            status_code=503,
        )
    return JSONResponse(Ready().model_dump())
