"""The demo directory (CLI and `inquiry run`); the account rules themselves are in
service/accounts.py, shared with the admin API."""

from __future__ import annotations

import argparse
import secrets
from dataclasses import asdict, dataclass

import asyncpg

from domain import directory as demo
from repository import cases as case_repo
from repository import directory
from service.accounts import (  # re-exported: the CLI and the tests create accounts here
    AccountError as AccountError,
)
from service.accounts import NoSuchAccount as NoSuchAccount
from service.accounts import add_intake_key as add_intake_key
from service.accounts import add_user as add_user
from service.accounts import change_password, revoke_intake_key, set_email, set_user_active

CLI_ACTOR = "cli"


async def command(args: argparse.Namespace, pool: asyncpg.Pool, password: str) -> str:
    """`inquiry user add|passwd|disable|email` and `inquiry intake-key add|list|revoke`: what to print."""
    async with pool.acquire() as conn, conn.transaction():
        if args.command == "user" and args.action == "add":
            await add_user(
                conn, username=args.username, role=args.role, unit_code=args.unit,
                password=password, actor=CLI_ACTOR,
            )  # fmt: skip
            return f"user {args.username} added"
        if args.command == "user" and args.action == "passwd":
            await change_password(conn, username=args.username, password=password, actor=CLI_ACTOR)
            return f"password of {args.username} changed; its earlier tokens no longer work"
        if args.command == "user" and args.action == "disable":
            await set_user_active(conn, username=args.username, active=False, actor=CLI_ACTOR)
            return f"user {args.username} disabled; its tokens no longer work"
        if args.command == "user" and args.action == "email":
            if (args.address is None) == (not args.clear):
                raise AccountError("give an address, or --clear to remove it")
            await set_email(conn, username=args.username, email=args.address, actor=CLI_ACTOR)
            if args.address is None:
                return f"email of {args.username} removed; its notices go to the log"
            return f"email of {args.username} set"
        if args.action == "add":
            return await add_intake_key(conn, name=args.name, channel=args.channel, actor=CLI_ACTOR)
        if args.action == "revoke":
            await revoke_intake_key(conn, name=args.name, actor=CLI_ACTOR)
            return (
                f"intake key {args.name} revoked (a running API stops taking it within"
                " INTAKE_REFRESH_SECONDS)"
            )
        rows = await directory.list_intake_keys(conn)
    lines = [
        f"{r['name']:<24} {r['channel']:<12} {r['key_prefix']}…  "
        + ("active" if r["active"] else f"revoked {r['revoked_at']:%Y-%m-%d %H:%M}")
        for r in rows
    ]
    return "\n".join(lines) or "no intake keys"


@dataclass
class DemoSecrets:
    passwords: dict[str, str]
    intake_key: str | None


async def load_demo_data(pool: asyncpg.Pool) -> DemoSecrets:
    """Load units, categories, rules, one user per role and one intake key, once.

    Rows that exist are left as they are (an admin may have changed them); secrets are returned
    only for accounts created now.
    """
    created = DemoSecrets(passwords={}, intake_key=None)
    async with pool.acquire() as conn, conn.transaction():
        for unit in demo.UNITS:
            await directory.insert_row(conn, "units", asdict(unit), if_missing=True)
        for category in demo.CATEGORIES:
            fields = {**asdict(category), **demo.POLICIES.get(category.code, {})}
            await directory.insert_row(conn, "categories", fields, if_missing=True)
        for (code, priority), targets in demo.PRIORITY_TARGETS.items():
            exists = await case_repo.priority_override(conn, category=code, priority=priority)
            if exists is None:
                await case_repo.set_priority_override(
                    conn, category=code, priority=priority, fields=dict(targets)
                )
        for rule in demo.RULES:
            fields = {**asdict(rule), "keywords": list(rule.keywords)}
            await directory.insert_row(conn, "routing_rules", fields, if_missing=True)
        for username, role, unit in demo.DEMO_USERS:
            if await directory.get_user(conn, username=username):
                continue
            password = secrets.token_urlsafe(12)
            await add_user(
                conn,
                username=username,
                role=role,
                unit_code=unit,
                password=password,
                actor="demo-data",
            )
            created.passwords[username] = password
        name, channel = demo.DEMO_INTAKE_KEY
        if not await directory.intake_key_named(conn, name=name):
            created.intake_key = await add_intake_key(
                conn, name=name, channel=channel, actor="demo-data"
            )
    return created
