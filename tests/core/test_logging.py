"""Personal data never reaches the log output unmasked."""

from __future__ import annotations

import io
import json
import logging

import structlog

from core.logging import configure_logging
from domain.privacy import mask_email, mask_name, mask_phone, mask_text


def _capture(emit) -> list[dict]:  # type: ignore[no-untyped-def]
    configure_logging(log_format="json", level="INFO")
    stream = io.StringIO()
    logging.getLogger().handlers[0].stream = stream  # type: ignore[attr-defined]
    emit()
    return [json.loads(line) for line in stream.getvalue().splitlines() if line]


def test_structured_fields_and_free_text_are_masked() -> None:
    log = structlog.get_logger("test")

    def emit() -> None:
        with structlog.contextvars.bound_contextvars(inquiry_id="abc-123"):
            log.info(
                "filed",
                phone="13812345678",
                email="zhang.san@example.com",
                name="张三丰",
                note="市民 13987654321 来电，邮箱 li@example.org，座机 024-2345-6789",
            )
        logging.getLogger("uvicorn.error").warning("caller 13812345678 says hi")

    lines = _capture(emit)
    text = json.dumps(lines, ensure_ascii=False)
    for secret in ("13812345678", "13987654321", "zhang.san@", "li@example", "张三丰", "2345-6789"):
        assert secret not in text
    assert lines[0]["phone"] == "138****5678"
    assert lines[0]["email"] == "z***@example.com"
    assert lines[0]["name"] == "张**"
    assert lines[0]["inquiry_id"] == "abc-123"
    assert "139****4321" in lines[0]["note"]
    assert lines[1]["event"] == "caller 138****5678 says hi"


def test_masking_helpers() -> None:
    assert mask_phone("+8613812345678") == "138****5678"
    assert mask_phone("138 1234 5678") == "138****5678"
    assert mask_email("a@b.cn") == "a***@b.cn"
    assert mask_name("Li") == "L*"
    assert mask_text("no personal data here") == "no personal data here"
