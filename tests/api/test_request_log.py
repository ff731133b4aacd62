"""Every answer carries the request's id: the caller's X-Request-ID, or one made for it."""

from __future__ import annotations

from tests.conftest import Service


async def test_the_callers_request_id_comes_back_and_a_missing_one_is_made(
    service: Service,
) -> None:
    given = await service.http.get("/healthz", headers={"X-Request-ID": "trace-abc-123"})
    made = [await service.http.get("/healthz") for _ in range(2)]
    assert given.status_code == 200, given.text
    assert given.headers.get_list("x-request-id") == ["trace-abc-123"]
    ids = [answer.headers["x-request-id"] for answer in made]
    assert all(len(i) == 32 for i in ids) and ids[0] != ids[1], ids
