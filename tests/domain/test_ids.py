"""Ids of an inquiry: workflow ids derived from the inquiry, tracking codes beyond guessing."""

from __future__ import annotations

import math

from domain.ids import (
    _CODE_ALPHABET,
    case_workflow_id,
    cohandling_workflow_id,
    inquiry_id_of,
    new_tracking_code,
)


def test_a_tracking_code_carries_at_least_80_random_bits() -> None:
    code = new_tracking_code()
    random_part = code.removeprefix("WQ")
    bits = len(random_part) * math.log2(len(set(_CODE_ALPHABET)))
    assert bits >= 80, f"{code} carries only {bits:.1f} random bits"
    assert set(random_part) <= set(_CODE_ALPHABET), code
    assert len({new_tracking_code() for _ in range(1000)}) == 1000


def test_workflow_ids_lead_back_to_their_inquiry() -> None:
    inquiry = "0f7c4a9e-2b1d-4c3e-9a8b-7d6e5f4a3b2c"
    assert inquiry_id_of(case_workflow_id(inquiry)) == inquiry
    assert inquiry_id_of(cohandling_workflow_id(inquiry, "water_quality")) == inquiry
    assert cohandling_workflow_id(inquiry, "drainage").startswith(case_workflow_id(inquiry))
