"""Sign-in backoff, tokens that expire and can be revoked, the install secret, the account admin
API and the audit log of admin changes."""

from __future__ import annotations

import os
import stat
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt

from api.security import JWT_ALGORITHM, LoginGuard
from core.settings import PLACEHOLDER_SECRET, Settings
from infra.accounts import add_user
from infra.install_secret import install_secret, use_install_secret
from tests.conftest import PASSWORD, Service


async def _user(service: Service, role: str = "operator", unit: str | None = None) -> str:
    username = f"{role}-{uuid.uuid4().hex[:8]}"
    async with service.pool.acquire() as conn:
        await add_user(conn, username=username, role=role, unit_code=unit, password=PASSWORD)
    return username


async def _sign_in(service: Service, username: str, password: str = PASSWORD) -> dict[str, str]:
    answer = await service.http.post(
        "/api/v1/auth/token", data={"username": username, "password": password}
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


async def test_failed_sign_ins_back_off_per_account_with_retry_after(service: Service) -> None:
    username = await _user(service)
    limit = service.settings.login_account_failures
    for _ in range(limit):
        wrong = await service.http.post(
            "/api/v1/auth/token", data={"username": username, "password": "wrong-password"}
        )
        assert wrong.status_code == 401
    locked = await service.http.post(
        "/api/v1/auth/token", data={"username": username, "password": PASSWORD}
    )
    assert locked.status_code == 429, locked.text  # even the right password waits
    assert locked.json()["code"] == "too_many_attempts"
    assert int(locked.headers["retry-after"]) > 0
    # Another account from the same address is not locked by these five.
    other = await _user(service)
    await _sign_in(service, other)


def test_the_wait_grows_with_each_failure_and_a_client_is_limited_across_accounts() -> None:
    now = [1000.0]
    guard = LoginGuard(account_limit=3, client_limit=5, backoff=10, clock=lambda: now[0])
    for _ in range(2):
        guard.failed(username="a", client="1.2.3.4")
    assert guard.wait_seconds(username="a", client="1.2.3.4") == 0
    waits = []
    for _ in range(3):
        guard.failed(username="a", client="9.9.9.9")
        waits.append(guard.wait_seconds(username="a", client="9.9.9.9"))
    assert waits == [10, 20, 40]
    now[0] += 41
    assert guard.wait_seconds(username="a", client="9.9.9.9") == 0
    guard.succeeded(username="a")
    assert guard.wait_seconds(username="a", client="1.2.3.4") == 0
    for name in "bcde":  # five different accounts from one address
        guard.failed(username=name, client="6.6.6.6")
    guard.failed(username="f", client="6.6.6.6")
    assert guard.wait_seconds(username="new", client="6.6.6.6") == 10
    assert guard.wait_seconds(username="new", client="7.7.7.7") == 0


async def test_a_token_without_exp_or_version_is_refused(service: Service) -> None:
    username = await _user(service, "supervisor")
    secret = service.settings.jwt_secret
    for claims in (
        {"sub": username, "role": "supervisor", "ver": 0},  # never expires
        {"sub": username, "role": "supervisor", "exp": datetime.now(UTC) + timedelta(hours=1)},
    ):
        forged = jwt.encode(claims, secret, algorithm=JWT_ALGORITHM)
        answer = await service.http.get(
            "/api/v1/inquiries", headers={"Authorization": f"Bearer {forged}"}
        )
        assert answer.status_code == 401, claims


async def test_a_password_change_or_disabling_revokes_every_token(service: Service) -> None:
    admin = await service.staff("admin")
    username = await _user(service, "supervisor")
    old = await _sign_in(service, username)
    assert (await service.http.get("/api/v1/inquiries", headers=old)).status_code == 200
    changed = await service.http.put(
        f"/api/v1/admin/users/{username}/password",
        json={"password": "a-new-long-password"},
        headers=admin,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["token_version"] == 1 and "password_hash" not in changed.json()
    assert (await service.http.get("/api/v1/inquiries", headers=old)).status_code == 401
    new = await _sign_in(service, username, "a-new-long-password")
    assert (await service.http.get("/api/v1/inquiries", headers=new)).status_code == 200
    disabled = await service.http.post(f"/api/v1/admin/users/{username}/disable", headers=admin)
    assert disabled.status_code == 200 and disabled.json()["active"] is False
    assert (await service.http.get("/api/v1/inquiries", headers=new)).status_code == 401
    refused = await service.http.post(
        "/api/v1/auth/token", data={"username": username, "password": "a-new-long-password"}
    )
    assert refused.status_code == 401
    missing = await service.http.post("/api/v1/admin/users/nobody-here/disable", headers=admin)
    assert missing.status_code == 404
    short = await service.http.put(
        f"/api/v1/admin/users/{username}/password", json={"password": "short"}, headers=admin
    )
    assert short.status_code == 422
    listed = await service.http.get("/api/v1/admin/users", headers=admin)
    assert username in {u["username"] for u in listed.json()}


async def test_intake_keys_are_listed_without_secrets_and_revoked_at_once(
    service: Service,
) -> None:
    admin = await service.staff("admin")
    key = await service.intake_key("web")
    listed = await service.http.get("/api/v1/admin/intake-keys", headers=admin)
    assert listed.status_code == 200
    mine = [k for k in listed.json() if key["X-API-Key"].startswith(k["key_prefix"])]
    assert mine and key["X-API-Key"] not in listed.text and "key_hash" not in listed.text
    name = mine[-1]["name"]
    revoked = await service.http.post(f"/api/v1/admin/intake-keys/{name}/revoke", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["active"] is False
    filed = await service.http.post("/api/v1/inquiries", json={}, headers=key)
    assert filed.status_code in (401, 422)
    from tests.conftest import inquiry_body

    filed = await service.http.post("/api/v1/inquiries", json=inquiry_body(), headers=key)
    assert filed.status_code == 401 and filed.json()["code"] == "invalid_api_key"


async def test_admin_changes_are_in_the_audit_log_with_before_and_after(service: Service) -> None:
    admin_name = await _user(service, "admin")
    admin = await _sign_in(service, admin_name)
    code = f"u_{uuid.uuid4().hex[:8]}"
    await service.http.post(
        "/api/v1/admin/units", json={"code": code, "name": "Before"}, headers=admin
    )
    changed = await service.http.patch(
        f"/api/v1/admin/units/{code}", json={"name": "After"}, headers=admin
    )
    assert changed.status_code == 200
    day = "2099-12-24"
    calendar = await service.http.put(
        "/api/v1/admin/calendar",
        json={"days": [{"day": day, "working": False, "note": "audit test"}]},
        headers=admin,
    )
    assert calendar.status_code == 200, calendar.text
    targets = await service.http.put(
        "/api/v1/admin/categories/billing/priorities/urgent",
        json={"reply_within": 12},
        headers=admin,
    )
    assert targets.status_code == 200, targets.text
    log = await service.http.get(
        "/api/v1/admin/audit", params={"actor": admin_name, "limit": 50}, headers=admin
    )
    assert log.status_code == 200, log.text
    entries = log.json()["items"]
    assert log.json()["total"] == len(entries) == 4
    by_action = {e["action"]: e for e in entries}
    assert by_action["units.create"]["before"] is None
    assert by_action["units.change"]["before"]["name"] == "Before"
    assert by_action["units.change"]["after"]["name"] == "After"
    assert by_action["calendar.set"]["after"]["days"][day]["working"] is False
    assert by_action["priority_targets.set"]["target"] == "billing/urgent"
    assert all(e["actor"] == admin_name and e["at"] for e in entries)
    # Filters and paging; only admins read it.
    one = await service.http.get(
        "/api/v1/admin/audit",
        params={"target_type": "units", "target": code, "limit": 1, "offset": 1},
        headers=admin,
    )
    assert one.json()["total"] == 2 and [e["action"] for e in one.json()["items"]] == [
        "units.create"
    ]
    supervisor = await service.staff("supervisor")
    assert (await service.http.get("/api/v1/admin/audit", headers=supervisor)).status_code == 403
    await service.http.request(
        "DELETE", "/api/v1/admin/calendar", json={"days": [day]}, headers=admin
    )


async def test_password_changes_by_the_api_leave_no_hash_in_the_audit_log(
    service: Service,
) -> None:
    admin = await service.staff("admin")
    username = await _user(service)
    await service.http.put(
        f"/api/v1/admin/users/{username}/password",
        json={"password": "another-long-password"},
        headers=admin,
    )
    log = await service.http.get(
        "/api/v1/admin/audit", params={"target_type": "user", "target": username}, headers=admin
    )
    actions = [e["action"] for e in log.json()["items"]]
    assert actions == ["user.password", "user.create"]
    assert "argon2" not in log.text and "password_hash" not in log.text


def test_the_install_secret_is_random_private_and_kept(tmp_path: Path) -> None:
    first = install_secret(tmp_path)
    assert len(first) >= 48 and first != PLACEHOLDER_SECRET
    assert stat.S_IMODE(os.stat(tmp_path / "jwt_secret").st_mode) == 0o600
    assert install_secret(tmp_path) == first
    assert install_secret(tmp_path / "other") != first
    dev = Settings(environment="development", var_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    dev.jwt_secret = PLACEHOLDER_SECRET
    use_install_secret(dev)
    assert dev.jwt_secret == first
    given = Settings(environment="development", var_dir=tmp_path, jwt_secret="x" * 40)
    use_install_secret(given)
    assert given.jwt_secret == "x" * 40
