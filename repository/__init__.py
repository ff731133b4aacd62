"""SQL of the service: the only place besides migrations/ that speaks to PostgreSQL."""

from __future__ import annotations

from typing import TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

# A connection as repository functions take it: bare, or acquired from a pool.
Conn: TypeAlias = asyncpg.Connection | PoolConnectionProxy
