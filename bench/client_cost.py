"""What one request costs the benchmark's own process: httpx against aiohttp (bench/client.py).

    .venv/bin/python -m bench.client_cost [--requests 3000] [--concurrency 20]

A minimal Starlette app in a uvicorn child answers an intake-sized JSON POST; this process posts
to it with each client in turn (twice, alternating) and prints the CPU time it spent per
request (`time.process_time`, this process only, so the server's CPU is not in it)."""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable

import aiohttp
import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bench.client import Api
from bench.phases import inquiry_body
from infra.embedded import free_port


async def _filed(request: Request) -> JSONResponse:
    await request.body()
    return JSONResponse({"id": "0" * 36, "tracking_code": "RX20261206000001"}, status_code=201)


app = Starlette(routes=[Route("/api/v1/inquiries", _filed, methods=["POST"])])
HEADERS = {"X-API-Key": "k" * 40}


async def _cpu_per_request(
    post: Callable[[int], Awaitable[int]], requests: int, concurrency: int
) -> float:
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with gate:
            if await post(i) != 201:
                raise RuntimeError("the server did not answer 201")

    started = time.process_time()
    await asyncio.gather(*(one(i) for i in range(requests)))
    return (time.process_time() - started) / requests * 1000


async def _measure(name: str, url: str, requests: int, concurrency: int) -> float:
    client = (
        httpx.AsyncClient(base_url=url, timeout=60) if name == "httpx" else Api(url, timeout=60)
    )
    async with client:

        async def post(i: int) -> int:
            answer = await client.post(
                "/api/v1/inquiries", json=inquiry_body("outage", i), headers=HEADERS
            )
            answer.json()
            return answer.status_code

        return await _cpu_per_request(post, requests, concurrency)


async def _ready(url: str) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(100):
            try:
                async with session.post(f"{url}/api/v1/inquiries", json={}) as response:
                    if response.status == 201:
                        return
            except aiohttp.ClientError:
                await asyncio.sleep(0.1)
    raise RuntimeError("the test server did not come up")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.client_cost", description=__doc__)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "uvicorn", "bench.client_cost:app", "--port", str(port)]
    command += ["--log-level", "warning", "--no-access-log"]
    server = subprocess.Popen(command)  # noqa: S603 - this Python and uvicorn
    try:
        asyncio.run(_ready(url))
        for name in ["httpx", "aiohttp"] * 2:
            cost = asyncio.run(_measure(name, url, args.requests, args.concurrency))
            print(f"{name:8} {cost:.3f} ms of CPU per request", flush=True)
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
