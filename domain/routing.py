"""Routing rules: the first active rule that matches names the responsible unit."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from domain.case import OFFICE_UNIT


@dataclass(frozen=True)
class RoutingRule:
    name: str
    priority: int
    unit_code: str
    category: str | None = None
    district: str | None = None
    keywords: tuple[str, ...] = field(default_factory=tuple)

    def matches(self, *, category: str, district: str | None, content: str) -> bool:
        """A rule matches when each condition it sets holds; keywords match if any one appears."""
        if self.category is not None and self.category != category:
            return False
        if self.district is not None and (district or "").strip() != self.district:
            return False
        if self.keywords:
            text = content.casefold()
            return any(word.casefold() in text for word in self.keywords)
        return True


@dataclass(frozen=True)
class RouteDecision:
    unit_code: str
    rule_name: str | None


def choose_unit(
    rules: Iterable[RoutingRule], *, category: str, district: str | None, content: str
) -> RouteDecision:
    """Apply rules in priority order (ties by name); no match goes to the open-affairs office."""
    for rule in sorted(rules, key=lambda r: (r.priority, r.name)):
        if rule.matches(category=category, district=district, content=content):
            return RouteDecision(unit_code=rule.unit_code, rule_name=rule.name)
    return RouteDecision(unit_code=OFFICE_UNIT, rule_name=None)
