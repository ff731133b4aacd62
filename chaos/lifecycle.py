"""One citizen's case through the HTTP API, as the people involved would drive it through an
unreliable service: file (受理) → sign for (签收) → reply (答复) → rating (回访) → closed (办结).

Every step is retried until the service answers: a connection refused, a 5xx or a 429 means
"try again later". Before each step the case is read, so a step whose answer was lost (the
API killed after applying it) is not sent twice; whatever the service does with a repeat is
what the report counts.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

CATEGORY = "outage"  # "爆管" in the content routes it to pipe_repair (rule burst-main)
UNIT = "pipe_repair"
PASSWORD = "chaos-horse-battery-staple"  # noqa: S105 - accounts of a throwaway run
HANDLER, SUPERVISOR = "chaos.handler", "chaos.supervisor"


@dataclass
class Outcome:
    """What one lifecycle saw."""

    index: int
    external_ref: str
    inquiry_id: str | None = None
    tracking_code: str | None = None
    closed: bool = False
    steps: list[str] = field(default_factory=list)
    started: float = 0.0
    seconds: float = 0.0
    phase: str = "waiting"  # then filing, the case's status as last read, closed


@dataclass
class Driver:
    """Shared by every lifecycle of a run: the API, the credentials, the answer counts."""

    api: str
    intake_key: str
    run: str
    think: tuple[float, float] = (0.5, 3.0)
    # When lifecycles give up; set once the last outage is over (the drain's end).
    deadline: float = math.inf
    answers: Counter[str] = field(default_factory=Counter)
    _tokens: dict[str, str] = field(default_factory=dict)
    _http: httpx.AsyncClient | None = None

    async def __aenter__(self) -> Driver:
        self._http = httpx.AsyncClient(base_url=self.api, timeout=httpx.Timeout(40, connect=3))
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._http is not None
        await self._http.aclose()

    async def _send(self, method: str, path: str, **kw: Any) -> httpx.Response | None:
        """One request; None when the service did not answer (refused, reset, timed out)."""
        assert self._http is not None
        try:
            response = await self._http.request(method, path, **kw)
        except httpx.HTTPError:
            self.answers["no answer"] += 1
            return None
        self.answers[str(response.status_code)] += 1
        return response

    async def _pause(self, response: httpx.Response | None) -> None:
        wait = random.uniform(*self.think)  # noqa: S311 - pacing, not security
        if response is not None and response.status_code in (429, 503):
            try:
                wait = max(wait, min(float(response.headers.get("Retry-After", 0)), 10.0))
            except ValueError:
                pass
        await asyncio.sleep(wait)

    async def _token(self, username: str, *, renew: bool = False) -> str:
        while renew or username not in self._tokens:
            if time.monotonic() > self.deadline:
                return self._tokens.get(username, "")
            renew = False
            answer = await self._send(
                "POST", "/api/v1/auth/token", data={"username": username, "password": PASSWORD}
            )
            if answer is not None and answer.status_code == 200:
                self._tokens[username] = answer.json()["access_token"]
            else:
                await self._pause(answer)
        return self._tokens[username]

    async def _as(self, username: str, method: str, path: str, **kw: Any) -> httpx.Response | None:
        token = await self._token(username)
        answer = await self._send(method, path, headers={"Authorization": f"Bearer {token}"}, **kw)
        if answer is not None and answer.status_code == 401:
            token = await self._token(username, renew=True)
            answer = await self._send(
                method, path, headers={"Authorization": f"Bearer {token}"}, **kw
            )
        return answer

    async def file(self, outcome: Outcome) -> None:
        """File with an Idempotency-Key until the service says 201 or 200 (the same inquiry)."""
        body = {
            "category": CATEGORY,
            "content": f"中山路{outcome.index}号爆管，水漫到路面（{outcome.external_ref}）",
            "citizen": {"name": f"测试{outcome.index}", "phone": "13812345678"},
            "address": f"中山路{outcome.index}号",
            "district": "和平区",
            "external_ref": outcome.external_ref,
        }
        headers = {"X-API-Key": self.intake_key, "Idempotency-Key": outcome.external_ref}
        while time.monotonic() < self.deadline:
            answer = await self._send("POST", "/api/v1/inquiries", json=body, headers=headers)
            if answer is not None and answer.status_code in (200, 201):
                outcome.inquiry_id = answer.json()["id"]
                outcome.tracking_code = answer.json()["tracking_code"]
                outcome.steps.append(f"filed {answer.status_code}")
                return
            if answer is not None and answer.status_code < 500 and answer.status_code != 429:
                outcome.steps.append(f"filing refused {answer.status_code} {answer.text[:200]}")
            await self._pause(answer)

    async def status(self, outcome: Outcome) -> str | None:
        answer = await self._as(SUPERVISOR, "GET", f"/api/v1/inquiries/{outcome.inquiry_id}")
        if answer is None or answer.status_code != 200:
            return None
        status: str = answer.json()["status"]
        return status

    async def step(self, outcome: Outcome, status: str) -> None:
        """The next move for the case's status; anything else is only waited for."""
        case = f"/api/v1/inquiries/{outcome.inquiry_id}"
        answer: httpx.Response | None = None
        if status == "dispatched":
            answer = await self._as(HANDLER, "POST", f"{case}/acknowledge", json={})
            what = "acknowledge"
        elif status == "handling":
            reply = {"content": f"抢修队已到场，{outcome.external_ref} 今晚恢复供水。"}
            answer = await self._as(HANDLER, "POST", f"{case}/reply", json=reply)
            what = "reply"
        elif status == "follow_up":
            answer = await self._send(
                "POST",
                f"/api/v1/public/inquiries/{outcome.tracking_code}/rating",
                json={"rating": "satisfied"},
            )
            what = "rating"
        else:
            what = "wait"
        if answer is not None:
            outcome.steps.append(f"{what} {answer.status_code}")
        await self._pause(answer)

    async def lifecycle(self, outcome: Outcome) -> Outcome:
        outcome.started, outcome.phase = time.monotonic(), "filing"
        await self.file(outcome)
        while outcome.inquiry_id is not None and time.monotonic() < self.deadline:
            status = await self.status(outcome)
            if status is not None:
                outcome.phase = status
            if status == "closed":
                outcome.closed = True
                break
            await self.step(outcome, status or "unknown")
        outcome.seconds = time.monotonic() - outcome.started
        return outcome
