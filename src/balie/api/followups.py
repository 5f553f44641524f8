"""Follow-ups over HTTP: promises to keep (C4) and what a conversation is about (E2)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from balie.api import PREFIX
from balie.api.schemas import ConversationOut, In
from balie.auth import Caller, require
from balie.conversations import actions as conversation_actions
from balie.errors import NotFound
from balie.ids import Id, IdPath
from balie.promises import actions, queries
from balie.promises.actions import MAX_REASON_CHARS
from balie.promises.queries import FollowUp
from balie.repeats import actions as repeats

router = APIRouter(prefix=PREFIX, tags=["follow-ups"])
Agent = Annotated[Caller, Depends(require("agent"))]


class PromiseOut(BaseModel):
    id: int
    conversation_id: int
    message_id: int
    agent_id: int | None
    owner_id: int | None
    text: str
    due_at: dt.datetime | None
    status: str
    created_at: dt.datetime
    subject: str
    customer_name: str

    @classmethod
    def of(cls, row: FollowUp) -> PromiseOut:
        return cls.model_validate(row, from_attributes=True)


class PromiseCancel(In):
    reason: str = Field(min_length=1, max_length=MAX_REASON_CHARS)


class About(In):
    order_id: Id | None
    product_id: Id | None


@router.get("/promises")
async def list_promises(
    caller: Agent,
    mine: bool = False,
    status: Annotated[str | None, Query(pattern="^(open|kept|cancelled|unkept)$")] = None,
    limit: Annotated[int, Query(ge=1, le=queries.MAX_PAGE)] = 100,
) -> list[PromiseOut]:
    """Promises due soonest first. An agent sees the ones they must keep; a supervisor
    sees all (``mine=true``: their own)."""
    async with caller.reading() as act:
        rows = await queries.follow_ups(
            act.session, act.actor, mine=mine, status=status, limit=limit
        )
    return [PromiseOut.of(r) for r in rows]


@router.get("/promises/{promise_id}")
async def get_promise(promise_id: IdPath, caller: Agent) -> PromiseOut:
    async with caller.reading() as act:
        row = await queries.follow_up(act.session, act.actor, promise_id)
    if row is None:
        raise NotFound(f"Promise {promise_id} does not exist.")
    return PromiseOut.of(row)


@router.post("/promises/{promise_id}/kept")
async def mark_kept(promise_id: IdPath, caller: Agent) -> PromiseOut:
    async with caller.writing() as act:
        await actions.mark_kept(act, promise_id)
    return await get_promise(promise_id, caller)


@router.post("/promises/{promise_id}/cancel")
async def cancel_promise(promise_id: IdPath, body: PromiseCancel, caller: Agent) -> PromiseOut:
    async with caller.writing() as act:
        await actions.cancel(act, promise_id, reason=body.reason)
    return await get_promise(promise_id, caller)


@router.post("/conversations/{conversation_id}/about")
async def set_about(conversation_id: IdPath, body: About, caller: Agent) -> ConversationOut:
    """Which order and/or product the conversation is about; the repeat flag follows."""
    async with caller.writing() as act:
        conversation = await conversation_actions.get_visible(act, conversation_id)
        await repeats.set_about(
            act, conversation, order_id=body.order_id, product_id=body.product_id
        )
        tags = await conversation_actions.tags_of(act, conversation_id)
    return ConversationOut.of(conversation, tags)
