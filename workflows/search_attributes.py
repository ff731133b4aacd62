"""Custom search attributes kept current by the inquiry workflow (overdue lists in the web UI)."""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

INQUIRY_STATUS = SearchAttributeKey.for_keyword("InquiryStatus")
RESPONSIBLE_UNIT = SearchAttributeKey.for_keyword("ResponsibleUnit")
REPLY_DUE_AT = SearchAttributeKey.for_datetime("ReplyDueAt")
ESCALATION_LEVEL = SearchAttributeKey.for_int("EscalationLevel")
OVERDUE = SearchAttributeKey.for_bool("Overdue")

ALL = (INQUIRY_STATUS, RESPONSIBLE_UNIT, REPLY_DUE_AT, ESCALATION_LEVEL, OVERDUE)

_CLI_TYPES = {"KEYWORD": "Keyword", "DATETIME": "Datetime", "INT": "Int", "BOOL": "Bool"}


def dev_server_flags() -> list[str]:
    """`--search-attribute Name=Type` flags that register them on `temporal server start-dev`."""
    flags: list[str] = []
    for key in ALL:
        flags += ["--search-attribute", f"{key.name}={_CLI_TYPES[key.indexed_value_type.name]}"]
    return flags
