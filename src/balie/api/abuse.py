"""Abusive customers over HTTP (docs/abusive-customers.md): the boundary message, ending
the chat, blocking, asking a supervisor to join."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import Field, StrictInt

from balie.abuse import actions, queries
from balie.agents.roles import at_least
from balie.api import PREFIX
from balie.api.schemas import In
from balie.auth import Caller, require
from balie.conversations import actions as conversation_actions
from balie.ids import Id, IdPath
from balie.policy import abuse as policy

router = APIRouter(prefix=PREFIX, tags=["abuse"])
Agent = Annotated[Caller, Depends(require("agent"))]
Supervisor = Annotated[Caller, Depends(require("supervisor"))]


class BoundaryIn(In):
    text: str | None = Field(None, max_length=10_000)
    # Set by clients that retry: the same client_id in a conversation is one warning.
    client_id: str | None = Field(None, min_length=1, max_length=100)


class EndIn(In):
    reason: str = Field(max_length=policy.MAX_REASON_CHARS)


class BlockIn(In):
    # A whole number: true, "7" or 7.0 are mistakes, not days.
    days: StrictInt
    reason: str = Field(max_length=policy.MAX_REASON_CHARS)
    conversation_id: Id | None = None


class AskIn(In):
    note: str = Field("", max_length=policy.MAX_NOTE_CHARS)


def warnings_limit(request: Request) -> int:
    limit: int = request.app.state.settings.abuse_warnings_before_end
    return limit


async def _safety(caller: Caller, conversation_id: int, limit: int) -> dict[str, Any]:
    async with caller.reading() as act:
        conversation = await conversation_actions.get_visible(act, conversation_id)
        state = await queries.safety(act.session, conversation, limit=limit, now=act.now)
        return state.as_json(at_least(caller.agent.role, "supervisor"))


@router.get("/conversations/{conversation_id}/safety")
async def safety(conversation_id: IdPath, request: Request, caller: Agent) -> dict[str, Any]:
    """Warnings given, what may follow, and whether the customer is blocked."""
    return await _safety(caller, conversation_id, warnings_limit(request))


@router.post("/conversations/{conversation_id}/boundary", status_code=201)
async def boundary(
    conversation_id: IdPath,
    request: Request,
    caller: Agent,
    body: BoundaryIn | None = None,
) -> dict[str, Any]:
    async with caller.writing() as act:
        conversation = await conversation_actions.get_visible(act, conversation_id)
        warning = await actions.send_boundary(
            act,
            conversation,
            text=body.text if body else None,
            client_id=body.client_id if body else None,
        )
        warning_id, message_id = warning.id, warning.message_id
    state = await _safety(caller, conversation_id, warnings_limit(request))
    return {"warning_id": warning_id, "message_id": message_id, **state}


@router.post("/conversations/{conversation_id}/end")
async def end(
    conversation_id: IdPath, body: EndIn, request: Request, caller: Agent
) -> dict[str, Any]:
    async with caller.writing() as act:
        conversation = await conversation_actions.get_visible(act, conversation_id)
        await actions.end_chat(act, conversation, reason=body.reason, limit=warnings_limit(request))
    return await _safety(caller, conversation_id, warnings_limit(request))


def _blocked(customer: Any) -> dict[str, Any]:
    return {
        "customer_id": customer.id,
        "blocked_until": customer.blocked_until.isoformat() if customer.blocked_until else None,
        "blocked_reason": customer.blocked_reason,
    }


@router.post("/customers/{customer_id}/block")
async def block(
    customer_id: IdPath, body: BlockIn, request: Request, caller: Agent
) -> dict[str, Any]:
    async with caller.writing() as act:
        customer = await actions.block_customer(
            act,
            customer_id,
            days=body.days,
            reason=body.reason,
            limit=warnings_limit(request),
            conversation_id=body.conversation_id,
        )
        return _blocked(customer)


@router.delete("/customers/{customer_id}/block")
async def unblock(customer_id: IdPath, caller: Supervisor) -> dict[str, Any]:
    async with caller.writing() as act:
        customer = await actions.unblock_customer(act, customer_id)
        return _blocked(customer)


@router.post("/conversations/{conversation_id}/ask-supervisor", status_code=201)
async def ask_supervisor(
    conversation_id: IdPath, caller: Agent, body: AskIn | None = None
) -> dict[str, Any]:
    async with caller.writing() as act:
        conversation = await conversation_actions.get_visible(act, conversation_id)
        await actions.ask_supervisor(act, conversation, note=body.note if body else "")
    return {"conversation_id": conversation_id, "supervisor_asked": True}


@router.post("/conversations/{conversation_id}/join")
async def join(conversation_id: IdPath, caller: Supervisor) -> dict[str, Any]:
    async with caller.writing() as act:
        conversation = await conversation_actions.get_visible(act, conversation_id)
        joined = await actions.join(act, conversation)
    return {"conversation_id": conversation_id, "joined": True, "already_joined": not joined}
