"""Assertion helpers that say what is missing or extra, not just that a comparison failed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any


def assert_same_items(actual: Iterable[Any], expected: Iterable[Any], what: str) -> None:
    """The same items the same number of times, in any order; names the differences."""
    have, want = Counter(actual), Counter(expected)
    missing, extra = want - have, have - want
    assert not missing and not extra, (
        f"{what}: missing {sorted(map(str, missing.elements()))}, "
        f"unexpected {sorted(map(str, extra.elements()))}"
    )


def assert_once_each(actual: Iterable[Any], what: str) -> None:
    """No item twice (a retried write must not duplicate anything)."""
    repeated = sorted(str(item) for item, n in Counter(actual).items() if n > 1)
    assert not repeated, f"{what}: written more than once: {repeated}"


def assert_fields(row: Any, what: str, **expected: Any) -> None:
    """A record has these values; names every field that differs."""
    wrong = {name: (row[name], value) for name, value in expected.items() if row[name] != value}
    assert not wrong, f"{what}: " + ", ".join(
        f"{name} is {got!r}, expected {want!r}" for name, (got, want) in wrong.items()
    )
