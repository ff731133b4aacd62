"""Reads behind the Open311 GeoReport v2 endpoints: categories as services, inquiries as requests.

Only columns a citizen may see are selected: no contact, no staff name, no internal note.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

from repository import Conn

_SERVICES = """
SELECT c.code, c.name, c.name_zh, c.clock, c.reply_within,
    EXISTS (
        SELECT 1 FROM category_priorities p WHERE p.category = c.code AND p.priority = 'urgent'
    ) AS has_urgent_targets,
    EXISTS (
        SELECT 1 FROM routing_rules r
        WHERE r.active AND r.category = c.code AND r.district IS NOT NULL
    ) AS routes_by_district,
    COALESCE((
        SELECT array_agg(DISTINCT k ORDER BY k)
        FROM routing_rules r, unnest(r.keywords) AS k
        WHERE r.active AND r.category = c.code
    ), '{}') AS keywords,
    (
        SELECT COALESCE(NULLIF(u.name_zh, ''), u.name)
        FROM routing_rules r JOIN units u ON u.code = r.unit_code
        WHERE r.active AND r.category = c.code
        ORDER BY r.priority, r.id LIMIT 1
    ) AS unit_name
FROM categories c
WHERE c.active AND ($1::text IS NULL OR c.code = $1)
ORDER BY c.code
"""


async def services(conn: Conn, *, code: str | None = None) -> list[asyncpg.Record]:
    """The active categories (or the one named) with what Open311 shows of each."""
    return await conn.fetch(_SERVICES, code)


_REQUESTS = """
SELECT i.tracking_code, i.status, i.category, c.name AS category_name,
    c.name_zh AS category_name_zh, i.content, i.address, i.lat, i.long, i.received_at,
    i.updated_at, i.reply_due_at, i.reply_content,
    COALESCE(NULLIF(u.name_zh, ''), u.name) AS unit_name,
    CASE WHEN i.status = 'paused' THEN (
        SELECT e.detail->>'reason' FROM inquiry_events e
        WHERE e.inquiry_id = i.id AND e.kind = 'info_requested'
        ORDER BY e.occurred_at DESC, e.id DESC LIMIT 1
    ) END AS question
FROM inquiries i
JOIN categories c ON c.code = i.category
LEFT JOIN units u ON u.code = i.unit_code
WHERE ($1::text[] IS NULL OR i.tracking_code = ANY($1))
    AND ($2::text IS NULL OR i.submitted_by = $2)
    AND ($3::text[] IS NULL OR i.category = ANY($3))
    AND ($4::timestamptz IS NULL OR i.received_at >= $4)
    AND ($5::timestamptz IS NULL OR i.received_at <= $5)
    AND ($6::text[] IS NULL OR i.status = ANY($6))
ORDER BY i.received_at DESC, i.id
LIMIT $7 OFFSET $8
"""


async def find_requests(
    conn: Conn,
    *,
    tracking_codes: list[str] | None,
    submitted_by: str | None,
    categories: list[str] | None,
    received_from: datetime | None,
    received_to: datetime | None,
    statuses: list[str] | None,
    limit: int,
    offset: int,
) -> list[asyncpg.Record]:
    """Inquiries matching every filter given (None: no filter), the newest first."""
    return await conn.fetch(
        _REQUESTS,
        tracking_codes,
        submitted_by,
        categories,
        received_from,
        received_to,
        statuses,
        limit,
        offset,
    )
