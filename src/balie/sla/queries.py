"""Reading what the SLA clocks need: the policy in force, the hours, the status history."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from balie.hours import BusinessHours, parse_hours
from balie.policy import sla as policy
from balie.store.tables import AuditEvent, Conversation, Inbox, SlaBreach, SlaPolicy

log = logging.getLogger("balie.sla")


@dataclass(frozen=True)
class InForce:
    """The targets that apply to a conversation and where they come from."""

    targets: policy.Targets
    severity: str
    source: str  # "inbox" (an override), "all_inboxes" (a row for every inbox), "default"
    policy_id: int | None
    calendar: bool


async def policy_in_force(session: AsyncSession, inbox_id: int | None, severity: str) -> InForce:
    """The inbox's own row for the severity, else the row for all inboxes, else built-in."""
    rows = list(
        await session.scalars(
            select(SlaPolicy).where(
                SlaPolicy.severity == severity,
                (SlaPolicy.inbox_id == inbox_id) | SlaPolicy.inbox_id.is_(None)
                if inbox_id is not None
                else SlaPolicy.inbox_id.is_(None),
            )
        )
    )
    calendar = policy.counts_calendar_time(severity)
    for row in sorted(rows, key=lambda r: r.inbox_id is None):
        return InForce(
            policy.Targets(
                row.first_response_minutes, row.next_response_minutes, row.resolution_minutes
            ),
            severity,
            "inbox" if row.inbox_id is not None else "all_inboxes",
            row.id,
            calendar,
        )
    targets = policy.DEFAULTS.get(severity, policy.DEFAULTS["normal"])
    return InForce(targets, severity, "default", None, calendar)


async def hours_of(session: AsyncSession, inbox_id: int | None) -> BusinessHours | None:
    """The inbox's business hours; none configured (or no inbox) means always open."""
    if inbox_id is None:
        return None
    inbox = await session.get(Inbox, inbox_id)
    if inbox is None or inbox.hours is None:
        return None
    try:
        return parse_hours(inbox.hours)
    except ValueError:
        # Hours are validated when they are saved; should a stored value still not parse,
        # timing around the clock is the safe side: nobody waits unnoticed.
        log.warning("inbox %s has unreadable business hours; SLA clocks run 24/7", inbox_id)
        return None


async def status_history(
    session: AsyncSession, conversation_id: int
) -> list[tuple[dt.datetime, str]]:
    """Every status change of the conversation, oldest first, from its audit trail."""
    rows = await session.execute(
        select(AuditEvent.at, AuditEvent.after)
        .where(
            AuditEvent.target == f"conversation:{conversation_id}",
            AuditEvent.action == "conversation.status",
        )
        .order_by(AuditEvent.seq)
    )
    return [(at, str((after or {}).get("status", ""))) for at, after in rows]


async def facts_of(session: AsyncSession, conversation: Conversation) -> policy.Facts:
    history = await status_history(session, conversation.id)
    return policy.Facts(
        created_at=conversation.created_at,
        status=conversation.status,
        severity=conversation.severity,
        first_response_at=conversation.first_response_at,
        awaiting_since=conversation.awaiting_since,
        history=history,
    )


async def breaches_of(session: AsyncSession, conversation_id: int) -> list[SlaBreach]:
    return list(
        await session.scalars(
            select(SlaBreach)
            .where(SlaBreach.conversation_id == conversation_id)
            .order_by(SlaBreach.breached_at, SlaBreach.id)
        )
    )


async def policies(session: AsyncSession) -> list[SlaPolicy]:
    return list(
        await session.scalars(
            select(SlaPolicy).order_by(
                SlaPolicy.inbox_id.is_not(None), SlaPolicy.inbox_id, SlaPolicy.severity
            )
        )
    )
