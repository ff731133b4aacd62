"""A per-client token bucket for the public lookups and the citizen forms (in process).

Each client IP holds up to `capacity` tokens and regains `capacity` per `period` seconds; a
request takes one. With several API processes each keeps its own buckets, so the limit is per
process: enough to stop one client from scanning tracking codes, not a quota. Behind a reverse
proxy the client IP is the proxy's unless uvicorn runs with --proxy-headers.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Annotated, cast

from fastapi import Depends, Request

from service.errors import ServiceError

MAX_CLIENTS = 10_000  # buckets kept; full ones are dropped first when there are more


class TokenBucket:
    def __init__(
        self, capacity: int, period: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.capacity, self._rate, self._clock = capacity, capacity / period, clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, when)

    def take(self, key: str) -> float:
        """Take a token: 0 if granted, else the seconds until one is there."""
        now = self._clock()
        tokens, then = self._buckets.get(key, (float(self.capacity), now))
        tokens = min(float(self.capacity), tokens + (now - then) * self._rate)
        if tokens < 1:
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / self._rate
        self._buckets[key] = (tokens - 1, now)
        if len(self._buckets) > MAX_CLIENTS:
            self._forget_full(now)
        return 0.0

    def _forget_full(self, now: float) -> None:
        refill = self.capacity / self._rate
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < refill}


async def public_limiter(request: Request) -> TokenBucket:
    return cast(TokenBucket, request.app.state.public_limiter)


async def rate_limited(
    request: Request, limiter: Annotated[TokenBucket, Depends(public_limiter)]
) -> None:
    """Refuse with 429 and Retry-After once the client has used up its tokens."""
    client = request.client.host if request.client else "unknown"
    wait = limiter.take(client)
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        raise ServiceError(
            429,
            "rate_limited",
            f"too many requests from this client; try again in {seconds} s",
            headers={"Retry-After": str(seconds)},
        )


RateLimited = Depends(rate_limited)
