"""Roles and what they may do. Pure."""

from __future__ import annotations

from typing import Literal

Role = Literal["agent", "supervisor", "admin"]
ROLES: tuple[Role, ...] = ("agent", "supervisor", "admin")
_RANK: dict[str, int] = {role: rank for rank, role in enumerate(ROLES)}

# Default goodwill an agent may grant without approval, per role (in cents).
DEFAULT_MANDATE_CENTS: dict[str, int] = {"agent": 5_000, "supervisor": 50_000, "admin": 100_000}


def at_least(role: str, required: Role) -> bool:
    return _RANK.get(role, -1) >= _RANK[required]
