"""The edge every request passes first: a size limit and a deadline on its body, no NUL bytes or
unencodable text in what reaches PostgreSQL, and the headers every answer carries.

A pure ASGI middleware: the body is read here, at most `max_body_bytes` of it and within
`body_timeout_seconds`, then handed on to the app unchanged. PostgreSQL refuses text holding a
NUL byte (or a lone surrogate, which UTF-8 cannot encode); checking once here, for the path, the
query and the decoded body alike, keeps every route from answering 500 for it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_body

# Every answer: no content sniffing. API answers (tokens, inquiries, lists, the public view)
# hold credentials or personal data, so no cache may keep them.
ALWAYS = {b"x-content-type-options": b"nosniff"}
API_PREFIX = "/api/"
NO_STORE = (b"cache-control", b"no-store")


class Refused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class EdgeGuard:
    """Refuse oversized, slow or NUL-carrying requests before the app sees them; add headers."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, body_timeout: float) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.body_timeout = body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            _check_target(scope)
            body, rest = await self._read_body(scope, receive)
            _check_body(body, _header(scope, b"content-type"))
        except Refused as refused:
            await _answer(send, refused, api=scope["path"].startswith(API_PREFIX))
            return
        await self.app(scope, _replay(body, rest), _with_headers(scope, send))

    async def _read_body(self, scope: Scope, receive: Receive) -> tuple[bytes, Receive]:
        declared = _header(scope, b"content-length")
        if declared is not None:
            if not declared.isdigit():
                raise Refused(400, "bad_content_length", "Content-Length is not a number")
            if int(declared) > self.max_body_bytes:  # answered at once, nothing read
                raise Refused(413, "body_too_large", self._too_large())
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(self.body_timeout):
                while True:
                    message = await receive()
                    if message["type"] != "http.request":  # the client went away
                        return b"", _first_then(message, receive)
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > self.max_body_bytes:  # chunked: counted while it streams
                        raise Refused(413, "body_too_large", self._too_large())
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        return b"".join(chunks), receive
        except TimeoutError:
            raise Refused(
                408, "request_timeout", f"the body did not arrive within {self.body_timeout:g} s"
            ) from None

    def _too_large(self) -> str:
        return f"the request body is larger than {self.max_body_bytes} bytes"


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return str(value.decode("latin-1")).strip()
    return None


def _first_then(message: Message, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return message
        return await receive()

    return replay


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body read here, once, then whatever the client sends next (a disconnect)."""
    return _first_then({"type": "http.request", "body": body, "more_body": False}, receive)


def _with_headers(scope: Scope, send: Send) -> Send:
    api = scope["path"].startswith(API_PREFIX)

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            present = {k.lower() for k, _ in headers}
            headers += [(k, v) for k, v in ALWAYS.items() if k not in present]
            if api and NO_STORE[0] not in present:
                headers.append(NO_STORE)
            message = {**message, "headers": headers}
        await send(message)

    return sending


async def _answer(send: Send, refused: Refused, *, api: bool) -> None:
    body = json.dumps(error_body(refused.code, refused.message)).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *ALWAYS.items(),
    ]
    if api:
        headers.append(NO_STORE)
    if refused.status in (408, 413):  # the rest of the body is not read: end the connection
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": refused.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _refuse_text(where: str) -> Refused:
    return Refused(
        422,
        "validation_error",
        f"{where}: text may not hold NUL bytes or characters that cannot be stored",
    )


def _storable(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_target(scope: Scope) -> None:
    if not _storable(scope["path"]):
        raise _refuse_text("path")
    query = scope.get("query_string", b"").decode("latin-1")
    if "\x00" in query or any(not _storable(k) or not _storable(v) for k, v in _query_pairs(query)):
        raise _refuse_text("query")


def _query_pairs(query: str) -> list[tuple[str, str]]:
    return parse_qsl(query, keep_blank_values=True, errors="surrogateescape")


def _check_body(body: bytes, content_type: str | None) -> None:
    if not body:
        return
    if b"\x00" in body:
        raise _refuse_text("body")
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        pairs = _query_pairs(body.decode("latin-1"))
        if any(not _storable(k) or not _storable(v) for k, v in pairs):
            raise _refuse_text("body")
    elif kind == "application/json" or kind.endswith("+json"):
        try:
            document = json.loads(body)
        except RecursionError:
            raise Refused(400, "malformed_json", "the JSON body is nested too deeply") from None
        except ValueError:
            return  # the app answers 400 malformed_json
        if not all(_storable(text) for text in _strings(document)):
            raise _refuse_text("body")


def _strings(value: Any) -> Iterator[str]:
    """Every string in a decoded JSON document, keys included (iteratively: no recursion limit)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            yield from item.keys()
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
