"""The reply coach over HTTP: check a draft, and overrides of blocked texts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select

from balie.analysis.coach import coach
from balie.analysis.model import ReplyContext
from balie.api import PREFIX
from balie.api.schemas import CoachRequest, OverrideCreate, OverrideOut
from balie.auth import Caller, require
from balie.conversations import actions, guardrails
from balie.store.tables import CoachOverride

router = APIRouter(prefix=PREFIX, tags=["coach"])
Agent = Annotated[Caller, Depends(require("agent"))]
Supervisor = Annotated[Caller, Depends(require("supervisor"))]


@router.post("/coach")
async def check_draft(body: CoachRequest, caller: Agent) -> dict[str, Any]:
    """The coach's verdict on a draft, in the context of its conversation when given.
    Nothing is stored: the inbox calls this as the agent types."""
    async with caller.reading() as act:
        if body.conversation_id is None:
            context = ReplyContext(internal=body.internal, now=act.now)
        else:
            conversation = await actions.get_visible(act, body.conversation_id)
            context = await guardrails.reply_context(act, conversation, internal=body.internal)
    return coach(body.text, context).as_json()


@router.post("/conversations/{conversation_id}/coach-overrides", status_code=201)
async def request_override(
    conversation_id: int, body: OverrideCreate, caller: Agent
) -> OverrideOut:
    async with caller.writing() as act:
        conversation = await actions.get_visible(act, conversation_id)
        override = await guardrails.request_override(
            act, conversation, text=body.text, reason=body.reason, internal=body.internal
        )
    return OverrideOut.model_validate(override, from_attributes=True)


@router.get("/coach-overrides")
async def list_overrides(
    caller: Supervisor,
    status: Annotated[str, Query(pattern="^(pending|approved|declined|used)$")] = "pending",
) -> list[OverrideOut]:
    async with caller.reading() as act:
        rows = await act.session.scalars(
            select(CoachOverride)
            .where(CoachOverride.status == status)
            .order_by(CoachOverride.id)
            .limit(200)
        )
        return [OverrideOut.model_validate(r, from_attributes=True) for r in rows]


@router.post("/coach-overrides/{override_id}/approve")
async def approve_override(override_id: int, caller: Supervisor) -> OverrideOut:
    async with caller.writing() as act:
        override = await guardrails.decide_override(act, override_id, approve=True)
    return OverrideOut.model_validate(override, from_attributes=True)


@router.post("/coach-overrides/{override_id}/decline")
async def decline_override(override_id: int, caller: Supervisor) -> OverrideOut:
    async with caller.writing() as act:
        override = await guardrails.decide_override(act, override_id, approve=False)
    return OverrideOut.model_validate(override, from_attributes=True)
