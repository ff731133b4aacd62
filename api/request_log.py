"""Every request gets an id (the caller's `X-Request-ID`, or a new one), bound to its log lines
and sent back, and one `request` log line with its status and duration.

A pure ASGI middleware: Starlette's `BaseHTTPMiddleware` (`@app.middleware("http")`) runs the
rest of the app in a task group of its own and streams its answer back through a queue, which
cost every request more than all of this does.
"""

from __future__ import annotations

import time
import uuid

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = structlog.get_logger("api.app")

REQUEST_ID = b"x-request-id"


class RequestLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        id_header = (REQUEST_ID, request_id.encode("latin-1"))

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k != REQUEST_ID]
                message = {**message, "headers": [*headers, id_header]}
                # Logged once the answer's head is ready, as before (its body may stream on).
                log.info(
                    "request",
                    method=scope["method"],
                    path=scope["path"],
                    status=message["status"],
                    ms=round((time.perf_counter() - started) * 1000, 1),
                )
            await send(message)

        await self.app(scope, receive, sending)


def _request_id(scope: Scope) -> str:
    for key, value in scope["headers"]:
        if key == REQUEST_ID and value:
            return str(value.decode("latin-1"))
    return uuid.uuid4().hex
