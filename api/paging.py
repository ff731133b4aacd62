"""Paging parameters with bounds: PostgreSQL's bigint ends at 2**63-1, so an offset or id past it
is refused as invalid input (422) instead of failing in the database."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

MAX_OFFSET = 1_000_000
MAX_ID = 2**63 - 1

Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]
RowId = Annotated[int, Path(ge=1, le=MAX_ID)]
