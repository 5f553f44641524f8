"""Setting and removing SLA policies (admins only)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from balie.act import Act
from balie.agents.roles import at_least
from balie.errors import Forbidden, InvalidInput, NotFound
from balie.policy import sla as policy
from balie.store.tables import Inbox, SlaPolicy


def _require_admin(act: Act) -> None:
    if not at_least(act.actor.role, "admin"):
        raise Forbidden("Only an admin can change SLA policies.")


def _row(p: SlaPolicy) -> dict[str, Any]:
    return {
        "inbox_id": p.inbox_id,
        "severity": p.severity,
        "first_response_minutes": p.first_response_minutes,
        "next_response_minutes": p.next_response_minutes,
        "resolution_minutes": p.resolution_minutes,
    }


async def set_policy(
    act: Act,
    *,
    inbox_id: int | None,
    severity: str,
    first_response_minutes: int,
    next_response_minutes: int,
    resolution_minutes: int,
) -> SlaPolicy:
    """Create or replace the targets of one inbox (or, with None, of every inbox without
    its own) for one severity. Conversations take them on at their next message or status
    change; due times already set stay as they were promised."""
    _require_admin(act)
    if severity not in policy.SEVERITIES:
        raise InvalidInput(
            f"Severity must be one of {', '.join(policy.SEVERITIES)}.", field="severity"
        )
    problem = policy.targets_error(
        first_response_minutes, next_response_minutes, resolution_minutes
    )
    if problem is not None:
        field, message = problem
        raise InvalidInput(message, field=field)
    if inbox_id is not None and await act.session.get(Inbox, inbox_id) is None:
        raise NotFound(f"Inbox {inbox_id} does not exist.", field="inbox_id")
    query = select(SlaPolicy).where(SlaPolicy.severity == severity)
    query = query.where(
        SlaPolicy.inbox_id == inbox_id if inbox_id is not None else SlaPolicy.inbox_id.is_(None)
    )
    row = await act.session.scalar(query)
    before = _row(row) if row is not None else None
    if row is None:
        row = SlaPolicy(inbox_id=inbox_id, severity=severity)
        act.session.add(row)
    row.first_response_minutes = first_response_minutes
    row.next_response_minutes = next_response_minutes
    row.resolution_minutes = resolution_minutes
    row.updated_at = act.now
    await act.session.flush()
    await act.audit("sla_policy.set", f"sla_policy:{row.id}", before=before, after=_row(row))
    return row


async def delete_policy(act: Act, policy_id: int) -> None:
    """Remove a policy row: its inbox falls back to the all-inbox row, then the defaults."""
    _require_admin(act)
    row = await act.session.get(SlaPolicy, policy_id)
    if row is None:
        raise NotFound(f"SLA policy {policy_id} does not exist.")
    await act.audit("sla_policy.delete", f"sla_policy:{row.id}", before=_row(row))
    await act.session.delete(row)
