"""The world outside, as real local servers: an SMTP server (aiosmtpd), an SMS gateway and a
webhook receiver (Starlette on uvicorn). Each checks the signature as a real one would."""

from __future__ import annotations

import asyncio
import email
import hashlib
import hmac
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from email.message import Message as EmailMessage
from typing import Any

import uvicorn
from aiosmtpd.controller import Controller
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from infra.embedded import free_port

SMS_SECRET = "sms-gateway-secret-0123456789"


class _Quiet(uvicorn.Server):
    def install_signal_handlers(self) -> None:
        pass


async def serve(app: Starlette) -> tuple[_Quiet, asyncio.Task[None], str]:
    server = _Quiet(uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    return server, task, f"http://127.0.0.1:{port}"


@dataclass
class SmsGateway:
    """Accepts `{"to", "text", "id"}` signed `X-Signature: sha256=…`; a repeated id is answered
    200 and not sent to the phone again. `failing` numbers get 503; `hang_once` ids are sent to
    the phone and then left without an answer (a response lost with a dying dispatcher);
    while `slow`, every request waits for `release` first."""

    url: str = ""
    requests: list[str] = field(default_factory=list)  # ids, every request
    phone: dict[str, dict[str, Any]] = field(default_factory=dict)  # id → what the phone got
    refused: int = 0  # bad signatures
    failing: set[str] = field(default_factory=set)
    hang_once: set[str] = field(default_factory=set)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    slow: bool = False

    async def handle(self, request: Request) -> JSONResponse:
        if self.slow:
            await self.release.wait()
        body = await request.body()
        expected = "sha256=" + hmac.new(SMS_SECRET.encode(), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(request.headers.get("X-Signature", ""), expected):
            self.refused += 1
            return JSONResponse({"error": "bad signature"}, status_code=401)
        message = json.loads(body)
        self.requests.append(message["id"])
        if message["to"] in self.failing:
            return JSONResponse({"error": "carrier unavailable"}, status_code=503)
        if message["id"] in self.phone:
            return JSONResponse({"message_id": f"gw-{message['id']}", "duplicate": True})
        self.phone[message["id"]] = message
        if message["id"] in self.hang_once:
            self.hang_once.discard(message["id"])
            await self.release.wait()
        return JSONResponse({"message_id": f"gw-{message['id']}"})

    def sent_to_phone(self, text_part: str) -> list[dict[str, Any]]:
        return [m for m in self.phone.values() if text_part in m["text"]]


@dataclass
class WebhookReceiver:
    """Verifies `Inquiry-Signature: t=…,v1=…` with its secret (and a fresh timestamp), keeps
    each delivery once by its id; answers 500 to the first `fail_first` deliveries."""

    secret: str
    url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    seen: Counter[str] = field(default_factory=Counter)
    refused: int = 0
    fail_first: int = 0

    async def handle(self, request: Request) -> JSONResponse:
        body = await request.body()
        parts = dict(
            p.split("=", 1) for p in request.headers.get("Inquiry-Signature", "").split(",")
        )
        signed = f"{parts.get('t', '')}.".encode() + body
        expected = hmac.new(self.secret.encode(), signed, hashlib.sha256).hexdigest()
        fresh = abs(time.time() - int(parts.get("t", "0"))) < 300
        if not fresh or not hmac.compare_digest(parts.get("v1", ""), expected):
            self.refused += 1
            return JSONResponse({"error": "bad signature"}, status_code=400)
        if self.fail_first > 0:
            self.fail_first -= 1
            return JSONResponse({"error": "busy"}, status_code=500)
        event = json.loads(body)
        self.seen[event["id"]] += 1
        if self.seen[event["id"]] == 1:
            self.received.append(event)
        return JSONResponse({"ok": True})


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    controller: Controller
    inbox: _Inbox

    @property
    def port(self) -> int:
        return int(self.controller.port)

    @property
    def messages(self) -> list[EmailMessage]:
        return self.inbox.messages


def start_smtp() -> SmtpServer:
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    return SmtpServer(controller, inbox)


def gateway_app(gateway: SmsGateway) -> Starlette:
    return Starlette(routes=[Route("/sms", gateway.handle, methods=["POST"])])


def receiver_app(receiver: WebhookReceiver) -> Starlette:
    return Starlette(routes=[Route("/hook", receiver.handle, methods=["POST"])])
