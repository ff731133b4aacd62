"""structlog set up once per process: JSON off a terminal, personal data masked in every event."""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from domain.privacy import mask_value

_SAFE_KEYS = frozenset({"level", "timestamp", "logger", "inquiry_id", "workflow_id", "request_id"})


def mask_personal_data(_: Any, __: str, event: MutableMapping[str, Any]) -> dict[str, Any]:
    """Mask phone numbers, emails and names in every field before any renderer sees them."""
    return {k: v if k in _SAFE_KEYS else mask_value(k, v) for k, v in event.items()}


def configure_logging(*, log_format: str = "auto", level: str = "INFO") -> None:
    """Route structlog and the standard library (uvicorn, temporalio) through one masked output."""
    json_output = log_format == "json" or (log_format == "auto" and not sys.stderr.isatty())
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if json_output
        else structlog.dev.ConsoleRenderer()
    )
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.PositionalArgumentsFormatter(),
        structlog.processors.format_exc_info,
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            mask_personal_data,
            renderer,
        ],
    )
    handler = logging.StreamHandler()
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # pgserver narrates every pg_ctl call at INFO; its warnings are what matter.
    logging.getLogger("pgserver").setLevel(logging.WARNING)
