"""Raising and settling alerts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from balie.act import Act
from balie.alerts import queries
from balie.email import outbound
from balie.errors import Conflict, NotFound
from balie.store.tables import Agent, Alert, Conversation


async def _recipients(act: Act, alert: Alert, team_id: int | None) -> list[Agent]:
    if alert.agent_id is not None:
        agent = await act.session.get(Agent, alert.agent_id)
        return [agent] if agent is not None and agent.active else []
    # Supervisors of the conversation's team, and those without a team (who see all).
    query = select(Agent).where(Agent.active.is_(True), Agent.role == "supervisor")
    if team_id is not None:
        query = query.where((Agent.team_id == team_id) | Agent.team_id.is_(None))
    leads = list(await act.session.scalars(query.order_by(Agent.id)))
    if leads:
        return leads
    # Nobody supervises: the admins must hear of it instead of nobody.
    return list(
        await act.session.scalars(
            select(Agent).where(Agent.active.is_(True), Agent.role == "admin").order_by(Agent.id)
        )
    )


async def raise_alert(
    act: Act,
    *,
    kind: str,
    text: str,
    conversation_id: int | None = None,
    agent_id: int | None = None,
    data: dict[str, Any] | None = None,
    mail: bool = True,
) -> Alert:
    """Tell ``agent_id`` (or, when None, the supervisors) about something that needs them.
    They see it live at once; with ``mail`` they also get an e-mail, so an alert reaches
    a supervisor who is not looking at Balie."""
    alert = Alert(
        kind=kind,
        agent_id=agent_id,
        conversation_id=conversation_id,
        text=text,
        data=data or {},
        created_at=act.now,
    )
    act.session.add(alert)
    await act.session.flush()
    await act.audit(
        f"alert.{kind}",
        f"alert:{alert.id}",
        after={"agent_id": agent_id, "conversation_id": conversation_id, "text": text},
    )
    conversation = await act.session.get(Conversation, conversation_id) if conversation_id else None
    if mail and conversation is not None:
        for agent in await _recipients(act, alert, conversation.team_id):
            await outbound.mail_staff(
                act,
                conversation,
                to=agent.email,
                subject=f"[Balie] {text[:150]}",
                text=f"{text}\n\nConversation #{conversation.id}: {conversation.subject}",
            )
    return alert


async def settle_alert(act: Act, alert_id: int) -> Alert:
    """Mark an alert dealt with; for an all-supervisors alert, one lead settles it for all."""
    alert = await act.session.scalar(
        select(Alert).where(Alert.id == alert_id, queries.for_actor(act.actor))
    )
    if alert is None:
        raise NotFound(f"Alert {alert_id} does not exist.")
    if alert.done_at is not None:
        raise Conflict("This alert was already dealt with.")
    alert.done_by, alert.done_at = act.actor.id, act.now
    await act.audit("alert.done", f"alert:{alert.id}", after={"done_by": act.actor.id})
    return alert
