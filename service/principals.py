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

    def may_see_contact(self, unit_code: str | None) -> bool:
        """The citizen's full contact: for those who call the citizen back or answer for the
        case (operators, supervisors, admins) and the responsible unit's handlers. Unit heads
        review replies and need no phone number; they see it masked."""
        if self.role == Role.HANDLER:
            return unit_code is not None and unit_code == self.unit_code
        return self.role in (Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN)

    @property
    def actor(self) -> Actor:
        """The caller as the case rules see them."""
        return Actor(username=self.username, role=self.role.value, unit_code=self.unit_code)
