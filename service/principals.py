"""Who calls the service: a signed-in member of staff, as the routes authenticate them."""

from __future__ import annotations

from dataclasses import dataclass

from domain.case import Actor
from domain.models import UNIT_BOUND_ROLES, Role


@dataclass(frozen=True)
class Staff:
    username: str
    role: Role
    unit_code: str | None

    @property
    def unit_bound(self) -> bool:
        return self.role in UNIT_BOUND_ROLES

    def may_see_unit(self, unit_code: str | None) -> bool:
        return not self.unit_bound or unit_code == self.unit_code

    @property
    def actor(self) -> Actor:
        """The caller as the case rules see them."""
        return Actor(username=self.username, role=self.role.value, unit_code=self.unit_code)
