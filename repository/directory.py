"""The directory: units, categories with SLA policies, routing rules, staff, intake keys."""

from __future__ import annotations

from typing import Any

import asyncpg

from domain.routing import RoutingRule
from repository import Conn

# The closed-loop policy of a category (migration 003; domain.policy.CasePolicy).
POLICY_COLUMNS = (
    "ack_unit", "ack_within", "ack_grace", "ack_repeat_minutes", "warnings",
    "supervision_after", "notice_after", "hold_notices", "review", "return_window_days",
    "max_returns", "max_extensions", "max_extension", "extension_notice_days",
    "pause_limit_days", "restart_on_supplement", "followup_days", "office_start", "office_end",
)  # fmt: skip

# Tables the admin API may write: the key column and the columns that may be set.
EDITABLE: dict[str, tuple[str, tuple[str, ...]]] = {
    "units": ("code", ("code", "name", "name_zh", "duty_24h", "active")),
    "categories": (
        "code",
        (
            "code",
            "name",
            "name_zh",
            "clock",
            "reply_within",
            "level2_grace",
            "reminder_ratio",
            "urgent",
            "active",
            *POLICY_COLUMNS,
        ),
    ),
    "routing_rules": (
        "id",
        ("name", "priority", "category", "district", "keywords", "unit_code", "active"),
    ),
}


async def list_rows(conn: Conn, table: str) -> list[asyncpg.Record]:
    key, _ = EDITABLE[table]
    order = "priority, name" if table == "routing_rules" else key
    return await conn.fetch(f"SELECT * FROM {table} ORDER BY {order}")


async def get_category(conn: Conn, *, code: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM categories WHERE code = $1", code)


async def active_rules(conn: Conn) -> list[RoutingRule]:
    rows = await conn.fetch("SELECT * FROM routing_rules WHERE active ORDER BY priority, name")
    return [
        RoutingRule(
            name=r["name"],
            priority=r["priority"],
            unit_code=r["unit_code"],
            category=r["category"],
            district=r["district"],
            keywords=tuple(r["keywords"]),
        )
        for r in rows
    ]


def _columns(table: str, fields: dict[str, Any]) -> tuple[str, list[str]]:
    key, allowed = EDITABLE[table]
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValueError(f"unknown fields for {table}: {sorted(unknown)}")
    return key, list(fields)


async def insert_row(
    conn: Conn, table: str, fields: dict[str, Any], *, if_missing: bool = False
) -> asyncpg.Record | None:
    """Create a directory row; with if_missing an existing row is left as it is (demo data)."""
    _, columns = _columns(table, fields)
    placeholders = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    conflict = " ON CONFLICT DO NOTHING" if if_missing else ""
    return await conn.fetchrow(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders}){conflict} RETURNING *",
        *fields.values(),
    )


async def update_row(
    conn: Conn, table: str, key_value: Any, fields: dict[str, Any]
) -> asyncpg.Record | None:
    """Change the given columns of one row; None when there is no such row."""
    key, columns = _columns(table, fields)
    if not columns:
        return await conn.fetchrow(f"SELECT * FROM {table} WHERE {key} = $1", key_value)
    sets = ", ".join(f"{c} = ${i}" for i, c in enumerate(columns, start=2))
    return await conn.fetchrow(
        f"UPDATE {table} SET {sets}, updated_at = now() WHERE {key} = $1 RETURNING *",
        key_value,
        *fields.values(),
    )


async def get_user(conn: Conn, *, username: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM users WHERE username = $1", username)


async def add_user(
    conn: Conn,
    *,
    username: str,
    password_hash: str,
    role: str,
    unit_code: str | None,
) -> bool:
    """Create a user; False when the username is taken (nothing is changed then)."""
    created = await conn.fetchval(
        """
        INSERT INTO users (username, password_hash, role, unit_code) VALUES ($1, $2, $3, $4)
        ON CONFLICT (username) DO NOTHING RETURNING true
        """,
        username,
        password_hash,
        role,
        unit_code,
    )
    return bool(created)


async def add_intake_key(
    conn: Conn, *, name: str, channel: str, key_prefix: str, key_hash: str
) -> bool:
    created = await conn.fetchval(
        """
        INSERT INTO intake_keys (name, channel, key_prefix, key_hash) VALUES ($1, $2, $3, $4)
        ON CONFLICT (name) DO NOTHING RETURNING true
        """,
        name,
        channel,
        key_prefix,
        key_hash,
    )
    return bool(created)


async def find_intake_key(conn: Conn, *, key_hash: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT name, channel FROM intake_keys WHERE key_hash = $1 AND active", key_hash
    )


async def active_intake_keys(conn: Conn) -> list[asyncpg.Record]:
    """Every usable intake key (hash, name, channel): intake's copy for when PostgreSQL is down."""
    return await conn.fetch("SELECT key_hash, name, channel FROM intake_keys WHERE active")


async def active_category_codes(conn: Conn) -> list[str]:
    """The categories an inquiry may be filed under."""
    return [r["code"] for r in await conn.fetch("SELECT code FROM categories WHERE active")]


async def unit_exists(conn: Conn, *, code: str) -> bool:
    """Whether the unit is known, active or not."""
    return bool(await conn.fetchval("SELECT 1 FROM units WHERE code = $1", code))


async def intake_key_named(conn: Conn, *, name: str) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM intake_keys WHERE name = $1", name))


async def active_categories(conn: Conn) -> list[asyncpg.Record]:
    """The categories an inquiry may be filed under, with their names, for the forms."""
    return await conn.fetch(
        "SELECT code, name, name_zh, urgent FROM categories WHERE active ORDER BY urgent DESC, code"
    )


async def get_row(conn: Conn, table: str, key_value: Any) -> asyncpg.Record | None:
    """One editable row by its key, locked until the transaction ends (its `before` for audit)."""
    key, _ = EDITABLE[table]
    return await conn.fetchrow(f"SELECT * FROM {table} WHERE {key} = $1 FOR UPDATE", key_value)


# What the admin API and the audit log may show of a user: never the password hash.
USER_COLUMNS = "username, role, unit_code, email, active, token_version, created_at, updated_at"


async def list_users(conn: Conn) -> list[asyncpg.Record]:
    return await conn.fetch(f"SELECT {USER_COLUMNS} FROM users ORDER BY username")


async def user_view(conn: Conn, *, username: str) -> asyncpg.Record | None:
    """The user without the password hash, locked until the transaction ends."""
    return await conn.fetchrow(
        f"SELECT {USER_COLUMNS} FROM users WHERE username = $1 FOR UPDATE", username
    )


async def set_password(conn: Conn, *, username: str, password_hash: str) -> asyncpg.Record | None:
    """A new password; the token version moves on, so tokens issued before stop working."""
    return await conn.fetchrow(
        f"""
        UPDATE users SET password_hash = $2, token_version = token_version + 1, updated_at = now()
        WHERE username = $1 RETURNING {USER_COLUMNS}
        """,
        username,
        password_hash,
    )


async def set_user_active(conn: Conn, *, username: str, active: bool) -> asyncpg.Record | None:
    """Disable (or enable) a user; disabling moves the token version on as well."""
    return await conn.fetchrow(
        f"""
        UPDATE users SET active = $2, updated_at = now(),
               token_version = token_version + CASE WHEN $2 THEN 0 ELSE 1 END
        WHERE username = $1 RETURNING {USER_COLUMNS}
        """,
        username,
        active,
    )


async def set_email(conn: Conn, *, username: str, email: str | None) -> asyncpg.Record | None:
    """The user's email address (None removes it); staff notices to a unit head go there."""
    return await conn.fetchrow(
        f"""
        UPDATE users SET email = $2, updated_at = now()
        WHERE username = $1 RETURNING {USER_COLUMNS}
        """,
        username,
        email,
    )


# What may be shown of an intake key: never its hash.
KEY_COLUMNS = "name, channel, key_prefix, active, created_at, revoked_at"


async def list_intake_keys(conn: Conn) -> list[asyncpg.Record]:
    return await conn.fetch(f"SELECT {KEY_COLUMNS} FROM intake_keys ORDER BY name")


async def intake_key_view(conn: Conn, *, name: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {KEY_COLUMNS} FROM intake_keys WHERE name = $1 FOR UPDATE", name
    )


async def revoke_intake_key(conn: Conn, *, name: str) -> asyncpg.Record | None:
    """The key stops working; revoking a revoked key changes nothing (its first time is kept)."""
    return await conn.fetchrow(
        f"""
        UPDATE intake_keys SET active = false, revoked_at = coalesce(revoked_at, now())
        WHERE name = $1 RETURNING {KEY_COLUMNS}
        """,
        name,
    )
