"""`inquiry user passwd|disable` and `inquiry intake-key list|revoke`, as an operator runs them."""

from __future__ import annotations

import uuid

import asyncpg

from tests.infra.test_cli import _inquiry


async def test_password_disable_list_and_revoke_from_the_command_line(
    database_url: str, pool: asyncpg.Pool
) -> None:
    username = f"cli-{uuid.uuid4().hex[:6]}"
    added = await _inquiry(
        database_url, "user", "add", "--username", username, "--role", "supervisor",
        stdin="first-password\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    passwd = await _inquiry(
        database_url, "user", "passwd", "--username", username, stdin="second-password\n"
    )
    assert passwd.returncode == 0, passwd.stderr
    disabled = await _inquiry(database_url, "user", "disable", "--username", username)
    assert disabled.returncode == 0, disabled.stderr
    async with pool.acquire() as conn:
        user = await conn.fetchrow("SELECT * FROM users WHERE username = $1", username)
        audit = await conn.fetch(
            "SELECT action, actor FROM audit_log WHERE target = $1 ORDER BY id", username
        )
    assert user["token_version"] == 2 and user["active"] is False
    assert [(r["action"], r["actor"]) for r in audit] == [
        ("user.create", "cli"), ("user.password", "cli"), ("user.disable", "cli"),
    ]  # fmt: skip
    nobody = await _inquiry(database_url, "user", "disable", "--username", "no-such-user")
    assert nobody.returncode != 0 and "no user" in nobody.stderr

    name = f"cli-key-{uuid.uuid4().hex[:6]}"
    key = await _inquiry(database_url, "intake-key", "add", "--name", name, "--channel", "web")
    assert key.returncode == 0, key.stderr
    listed = await _inquiry(database_url, "intake-key", "list")
    line = next(x for x in listed.stdout.splitlines() if x.startswith(name))
    assert "active" in line and key.stdout.strip() not in listed.stdout
    revoked = await _inquiry(database_url, "intake-key", "revoke", "--name", name)
    assert revoked.returncode == 0, revoked.stderr
    listed = await _inquiry(database_url, "intake-key", "list")
    line = next(x for x in listed.stdout.splitlines() if x.startswith(name))
    assert "revoked" in line
