"""SLA policies and a conversation's clocks over HTTP.

GET    /api/v1/sla-policies                   the rows and the built-in defaults
PUT    /api/v1/sla-policies                   create or replace one (admin)
DELETE /api/v1/sla-policies/{policy_id}       remove one (admin)
GET    /api/v1/conversations/{id}/sla         clocks, policy in force, breaches
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, StrictInt

from balie.api import PREFIX
from balie.api.schemas import In
from balie.auth import Caller, require
from balie.conversations import actions as conversation_actions
from balie.ids import Id, IdPath
from balie.policy import sla as policy
from balie.sla import actions, queries
from balie.store.tables import Conversation, SlaBreach, SlaPolicy

router = APIRouter(prefix=PREFIX, tags=["sla"])
Agent = Annotated[Caller, Depends(require("agent"))]
Admin = Annotated[Caller, Depends(require("admin"))]


class SlaPolicyIn(In):
    inbox_id: Id | None = None
    severity: str
    first_response_minutes: StrictInt
    next_response_minutes: StrictInt
    resolution_minutes: StrictInt


class SlaPolicyOut(BaseModel):
    id: int | None
    inbox_id: int | None
    severity: str
    first_response_minutes: int
    next_response_minutes: int
    resolution_minutes: int
    calendar_time: bool

    @classmethod
    def of(cls, row: SlaPolicy) -> SlaPolicyOut:
        return cls(
            id=row.id,
            inbox_id=row.inbox_id,
            severity=row.severity,
            first_response_minutes=row.first_response_minutes,
            next_response_minutes=row.next_response_minutes,
            resolution_minutes=row.resolution_minutes,
            calendar_time=policy.counts_calendar_time(row.severity),
        )


class SlaPolicies(BaseModel):
    policies: list[SlaPolicyOut]
    defaults: list[SlaPolicyOut]


class InForceOut(BaseModel):
    severity: str
    source: str
    policy_id: int | None
    first_response_minutes: int
    next_response_minutes: int
    resolution_minutes: int
    calendar_time: bool


class ClocksOut(BaseModel):
    status: str
    paused: bool
    first_response_due_at: dt.datetime | None
    next_response_due_at: dt.datetime | None
    resolution_due_at: dt.datetime | None
    first_response_at: dt.datetime | None
    awaiting_since: dt.datetime | None
    bumped_at: dt.datetime | None

    @classmethod
    def of(cls, c: Conversation) -> ClocksOut:
        return cls(
            status=c.status,
            paused=c.status in ("pending", "snoozed"),
            first_response_due_at=c.first_response_due_at,
            next_response_due_at=c.next_response_due_at,
            resolution_due_at=c.resolution_due_at,
            first_response_at=c.first_response_at,
            awaiting_since=c.awaiting_since,
            bumped_at=c.bumped_at,
        )


class BreachOut(BaseModel):
    id: int
    target: str
    severity: str
    owner_id: int | None
    due_at: dt.datetime
    breached_at: dt.datetime

    model_config = ConfigDict(from_attributes=True)

    @classmethod
    def of(cls, b: SlaBreach) -> BreachOut:
        return cls.model_validate(b)


class ConversationSla(BaseModel):
    conversation_id: int
    clocks: ClocksOut
    policy: InForceOut
    breaches: list[BreachOut]


@router.get("/sla-policies")
async def list_policies(caller: Agent) -> SlaPolicies:
    async with caller.reading() as act:
        rows = await queries.policies(act.session)
    defaults = [
        SlaPolicyOut(
            id=None,
            inbox_id=None,
            severity=severity,
            first_response_minutes=t.first_response_minutes,
            next_response_minutes=t.next_response_minutes,
            resolution_minutes=t.resolution_minutes,
            calendar_time=policy.counts_calendar_time(severity),
        )
        for severity, t in policy.DEFAULTS.items()
    ]
    return SlaPolicies(policies=[SlaPolicyOut.of(r) for r in rows], defaults=defaults)


@router.put("/sla-policies")
async def put_policy(body: SlaPolicyIn, caller: Admin) -> SlaPolicyOut:
    async with caller.writing() as act:
        row = await actions.set_policy(
            act,
            inbox_id=body.inbox_id,
            severity=body.severity,
            first_response_minutes=body.first_response_minutes,
            next_response_minutes=body.next_response_minutes,
            resolution_minutes=body.resolution_minutes,
        )
        return SlaPolicyOut.of(row)


@router.delete("/sla-policies/{policy_id}", status_code=204)
async def delete_policy(policy_id: IdPath, caller: Admin) -> Response:
    async with caller.writing() as act:
        await actions.delete_policy(act, policy_id)
    return Response(status_code=204)


@router.get("/conversations/{conversation_id}/sla")
async def conversation_sla(conversation_id: IdPath, caller: Agent) -> ConversationSla:
    async with caller.reading() as act:
        conversation = await conversation_actions.get_visible(act, conversation_id)
        in_force = await queries.policy_in_force(
            act.session, conversation.inbox_id, conversation.severity
        )
        breaches = await queries.breaches_of(act.session, conversation.id)
    return ConversationSla(
        conversation_id=conversation.id,
        clocks=ClocksOut.of(conversation),
        policy=InForceOut(
            severity=in_force.severity,
            source=in_force.source,
            policy_id=in_force.policy_id,
            first_response_minutes=in_force.targets.first_response_minutes,
            next_response_minutes=in_force.targets.next_response_minutes,
            resolution_minutes=in_force.targets.resolution_minutes,
            calendar_time=in_force.calendar,
        ),
        breaches=[BreachOut.of(b) for b in breaches],
    )
