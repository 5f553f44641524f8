"""What every action receives: the open write transaction, who acts, and when.

Actions (the ``actions`` module of each domain room) are the only code that changes
state. Each one validates, writes, and records an audit entry in the caller's transaction,
so a change and its audit entry are committed together or not at all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from balie import audit


@dataclass(frozen=True)
class Actor:
    """Who is acting: an agent (with role and team), the system, or the command line."""

    kind: str  # "agent" | "system" | "cli"
    id: int | None
    # No default: an actor whose role was forgotten must not silently see everything.
    role: str
    team_id: int | None = None

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.id}" if self.id is not None else self.kind


# Balie itself and the operator at the command line act with full rights.
SYSTEM = Actor("system", None, "admin")
CLI = Actor("cli", None, "admin")


@dataclass(frozen=True)
class Act:
    session: AsyncSession
    actor: Actor
    now: dt.datetime

    async def audit(
        self,
        action: str,
        target: str,
        *,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> None:
        await audit.record(
            self.session,
            actor=self.actor.label,
            action=action,
            target=target,
            at=self.now,
            before=before,
            after=after,
        )


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
