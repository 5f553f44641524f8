"""Reading goodwill: limits in force, what an agent has used this month, a conversation's
actions, the approvals waiting, and what to offer (entitlement and suggestions)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from balie.act import Actor
from balie.agents.roles import ROLES, at_least
from balie.conversations.access import visible_to
from balie.orders.queries import order_line
from balie.policy import mandate, suggestions
from balie.store.tables import Conversation, GoodwillAction, MandateLimit
from balie.zone import LOCAL_ZONE

# What counts against a mandate: given at once (the granter's), or approved by a
# supervisor (the approver's).
SPENT = ("granted", "approved")
MAX_LIST = 200


async def limit_for(session: AsyncSession, role: str, kind: str) -> mandate.Limit:
    row = await session.get(MandateLimit, (role, kind))
    if row is None:
        return mandate.default_limit(role, kind)
    return mandate.Limit(row.per_action_cents, row.per_month_cents, row.currency)


async def all_limits(session: AsyncSession) -> list[dict[str, Any]]:
    """Every role and kind, configured or built in (``source`` says which)."""
    rows = {(r.role, r.kind): r for r in await session.scalars(select(MandateLimit))}
    out = []
    for role in ROLES:
        for kind in mandate.KINDS:
            row = rows.get((role, kind))
            limit = (
                mandate.Limit(row.per_action_cents, row.per_month_cents, row.currency)
                if row is not None
                else mandate.default_limit(role, kind)
            )
            out.append(limit_card(role, kind, limit, configured=row is not None))
    return out


def limit_card(role: str, kind: str, limit: mandate.Limit, *, configured: bool) -> dict[str, Any]:
    return {
        "role": role,
        "kind": kind,
        "per_action_cents": limit.per_action_cents,
        "per_month_cents": limit.per_month_cents,
        "currency": limit.currency,
        "source": "configured" if configured else "default",
    }


async def spent_this_month(
    session: AsyncSession,
    *,
    agent_id: int | None,
    kind: str,
    currency: str,
    now: dt.datetime,
) -> int:
    """What this person gave of ``kind`` in the calendar month of ``now``: each action is
    charged to whoever decided it, in the month of the decision. An agent's grant within
    their mandate is their own decision (at once); a request a supervisor approved is the
    supervisor's, in the month they approved it, and uses nothing of the requester's
    mandate (else one approved exception would leave the agent asking a supervisor for
    every small refund for the rest of the month)."""
    start, end = mandate.month_of(now)
    total = await session.scalar(
        select(func.coalesce(func.sum(GoodwillAction.amount_cents), 0)).where(
            GoodwillAction.decided_by == agent_id,
            GoodwillAction.kind == kind,
            GoodwillAction.currency == currency,
            GoodwillAction.status.in_(SPENT),
            GoodwillAction.decided_at >= start,
            GoodwillAction.decided_at < end,
        )
    )
    return int(total or 0)


async def beyond_approver(
    session: AsyncSession, actor: Actor, action: GoodwillAction, now: dt.datetime
) -> str | None:
    """Why ``actor`` may not approve ``action`` (it is beyond their own mandate: "above
    your 500.00 EUR per refund"), or None when they may. Admins may approve anything."""
    if at_least(actor.role, "admin"):
        return None
    limit = await limit_for(session, actor.role, action.kind)
    spent = await spent_this_month(
        session, agent_id=actor.id, kind=action.kind, currency=limit.currency, now=now
    )
    verdict = mandate.decide(
        actor.role, action.kind, action.amount_cents, spent, limit, currency=action.currency
    )
    return None if verdict.granted else verdict.reason


async def mandate_left(
    session: AsyncSession, actor: Actor, now: dt.datetime
) -> list[dict[str, Any]]:
    """Per kind: the caller's limits and what is left of them this month."""
    out = []
    for kind in mandate.KINDS:
        limit = await limit_for(session, actor.role, kind)
        spent = await spent_this_month(
            session, agent_id=actor.id, kind=kind, currency=limit.currency, now=now
        )
        out.append(
            {
                "kind": kind,
                "per_action_cents": limit.per_action_cents,
                "per_month_cents": limit.per_month_cents,
                "currency": limit.currency,
                "spent_cents": spent,
                "left_cents": max(0, limit.per_month_cents - spent),
            }
        )
    return out


def card(action: GoodwillAction) -> dict[str, Any]:
    return {
        "id": action.id,
        "conversation_id": action.conversation_id,
        "customer_id": action.customer_id,
        "agent_id": action.agent_id,
        "kind": action.kind,
        "amount_cents": action.amount_cents,
        "currency": action.currency,
        "reason": action.reason,
        "status": action.status,
        "decided_by": action.decided_by,
        "decided_at": action.decided_at.isoformat() if action.decided_at else None,
        "decision_note": action.decision_note,
        "created_at": action.created_at.isoformat(),
    }


async def of_conversation(session: AsyncSession, conversation_id: int) -> list[GoodwillAction]:
    rows = await session.scalars(
        select(GoodwillAction)
        .where(GoodwillAction.conversation_id == conversation_id)
        .order_by(GoodwillAction.id)
    )
    return list(rows)


async def listed(
    session: AsyncSession, actor: Actor, *, status: str | None, limit: int = MAX_LIST
) -> list[GoodwillAction]:
    """Actions on conversations the actor may see, oldest waiting first."""
    query = (
        select(GoodwillAction)
        .join(Conversation, Conversation.id == GoodwillAction.conversation_id)
        .where(visible_to(actor))
    )
    if status is not None:
        query = query.where(GoodwillAction.status == status)
    return list(await session.scalars(query.order_by(GoodwillAction.id).limit(limit)))


@dataclass(frozen=True)
class Advice:
    entitlement: suggestions.Entitlement
    product_name: str | None
    order_reference: str | None
    suggestions: list[suggestions.Suggestion]


async def advice(session: AsyncSession, conversation: Conversation, now: dt.datetime) -> Advice:
    """Entitlement from the conversation's order, and what to offer. Reads the severity
    and repeat flags, never anger or abuse (A3)."""
    today = now.astimezone(LOCAL_ZONE).date()
    line = await order_line(session, conversation.order_id) if conversation.order_id else None
    held = suggestions.entitlement(
        line.purchase_date if line else None, line.warranty_ends if line else None, today
    )
    return Advice(
        entitlement=held,
        product_name=line.product_name if line else None,
        order_reference=line.reference if line else None,
        suggestions=suggestions.suggest(held, conversation.severity, conversation.repeat),
    )


def advice_card(found: Advice) -> dict[str, Any]:
    held = found.entitlement
    return {
        "entitlement": {
            "state": held.state,
            "purchase_date": held.purchase_date.isoformat() if held.purchase_date else None,
            "warranty_ends": held.warranty_ends.isoformat() if held.warranty_ends else None,
            "days": held.days,
            "product": found.product_name,
            "order_reference": found.order_reference,
        },
        "suggestions": [
            {"kind": s.kind, "code": s.code, "percent": s.percent} for s in found.suggestions
        ],
    }
