"""Custom search attributes kept current by the case workflow (overdue lists in the web UI).

Each upsert is two costs on the server: an event in the case's history and a write to its
visibility store. Cases started at revision 2 or later (workflows/revision.py) upsert only what
changed; earlier ones upsert every attribute at every transition, as their histories recorded.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeKey, SearchAttributeUpdate

with workflow.unsafe.imports_passed_through():
    from domain.case import CaseState

INQUIRY_STATUS = SearchAttributeKey.for_keyword("InquiryStatus")
RESPONSIBLE_UNIT = SearchAttributeKey.for_keyword("ResponsibleUnit")
REPLY_DUE_AT = SearchAttributeKey.for_datetime("ReplyDueAt")
ESCALATION_LEVEL = SearchAttributeKey.for_int("EscalationLevel")
OVERDUE = SearchAttributeKey.for_bool("Overdue")

ALL = (INQUIRY_STATUS, RESPONSIBLE_UNIT, REPLY_DUE_AT, ESCALATION_LEVEL, OVERDUE)

_CLI_TYPES = MappingProxyType(
    {"KEYWORD": "Keyword", "DATETIME": "Datetime", "INT": "Int", "BOOL": "Bool"}
)


def dev_server_flags() -> list[str]:
    """`--search-attribute Name=Type` flags that register them on `temporal server start-dev`."""
    flags: list[str] = []
    for key in ALL:
        flags += ["--search-attribute", f"{key.name}={_CLI_TYPES[key.indexed_value_type.name]}"]
    return flags


def upsert(state: CaseState) -> None:
    """Status, unit, reply due time, level and overdue of the case, as the web UI filters them."""
    updates: list[SearchAttributeUpdate[Any]] = [
        INQUIRY_STATUS.value_set(state.status),
        ESCALATION_LEVEL.value_set(state.level),
        OVERDUE.value_set(state.overdue),
    ]
    if state.unit is not None:
        updates.append(RESPONSIBLE_UNIT.value_set(state.unit))
    if state.deadlines.reply_due is not None:
        updates.append(REPLY_DUE_AT.value_set(state.deadlines.reply_due))
    workflow.upsert_search_attributes(updates)


def upsert_changed(state: CaseState) -> None:
    """The overdue view (unit, reply due time, level, overdue) where it differs from what the
    run shows; no upsert when nothing does. What the run shows is its start's search attributes
    (carried over by continue-as-new) and its upserts since, so a replay decides the same.
    InquiryStatus is not set: the status is the read model's (the staff pages and the API)."""
    shown = workflow.info().typed_search_attributes
    updates: list[SearchAttributeUpdate[Any]] = []
    if shown.get(ESCALATION_LEVEL) != state.level:
        updates.append(ESCALATION_LEVEL.value_set(state.level))
    if shown.get(OVERDUE) != state.overdue:
        updates.append(OVERDUE.value_set(state.overdue))
    if state.unit is not None and shown.get(RESPONSIBLE_UNIT) != state.unit:
        updates.append(RESPONSIBLE_UNIT.value_set(state.unit))
    due = state.deadlines.reply_due
    if due is not None and shown.get(REPLY_DUE_AT) != due:
        updates.append(REPLY_DUE_AT.value_set(due))
    if updates:
        workflow.upsert_search_attributes(updates)
