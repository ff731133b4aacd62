"""The benchmark's HTTP client: the intake form and the staff, as one keep-alive connection pool.

It shares the 2 cores with what it measures, so it must cost little. At 20 requests in flight,
httpx took 3.0–3.5 ms of CPU per request on this machine and aiohttp 0.3 ms
(`python -m bench.client_cost`, docs/levers/bench-client.md). The bare side's client is the
Temporal SDK's Rust core."""

from __future__ import annotations

import json
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import aiohttp


@dataclass(frozen=True)
class Answer:
    status_code: int
    text: str

    def json(self) -> Any:
        return json.loads(self.text)

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise RuntimeError(f"HTTP {self.status_code}: {self.text[:200]}")


class Api:
    """POST and GET against the service's API, each answer read whole before it is returned."""

    def __init__(self, base_url: str, *, timeout: float = 120.0) -> None:
        self._base_url = base_url
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Api:
        self._session = aiohttp.ClientSession(self._base_url, timeout=self._timeout)
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()

    async def post(self, path: str, *, json: Any, headers: dict[str, str]) -> Answer:
        return await self._send("POST", path, json=json, headers=headers)

    async def get(self, path: str, *, params: dict[str, Any], headers: dict[str, str]) -> Answer:
        return await self._send("GET", path, params=params, headers=headers)

    async def _send(self, method: str, path: str, **options: Any) -> Answer:
        assert self._session is not None, "use Api in `async with`"
        async with self._session.request(method, path, **options) as response:
            return Answer(response.status, await response.text())
