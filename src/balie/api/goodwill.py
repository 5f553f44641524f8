"""Goodwill over HTTP: mandate limits, granting, approvals, and what to offer."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import Field, StrictBool, StrictInt

from balie.api import PREFIX
from balie.api.schemas import In
from balie.auth import Caller, require
from balie.conversations import actions as conversation_actions
from balie.goodwill import actions, queries
from balie.ids import IdPath
from balie.policy.mandate import DEFAULT_CURRENCY, MAX_CENTS, Kind

router = APIRouter(prefix=PREFIX, tags=["goodwill"])
Agent = Annotated[Caller, Depends(require("agent"))]
Lead = Annotated[Caller, Depends(require("supervisor"))]
Admin = Annotated[Caller, Depends(require("admin"))]

Cents = Annotated[StrictInt, Field(ge=0, le=MAX_CENTS)]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
Status = Literal["granted", "pending_approval", "approved", "denied"]


class GoodwillCreate(In):
    kind: Kind
    amount_cents: Cents
    reason: str = Field(min_length=1, max_length=actions.MAX_REASON)
    currency: Currency = DEFAULT_CURRENCY


class GoodwillDecision(In):
    approve: StrictBool
    note: str | None = Field(None, max_length=actions.MAX_NOTE)


class LimitUpdate(In):
    per_action_cents: Cents
    per_month_cents: Cents
    currency: Currency = DEFAULT_CURRENCY


@router.get("/mandate-limits")
async def list_limits(caller: Agent) -> list[dict[str, Any]]:
    """Every role's limit per kind: configured, or the built-in default."""
    async with caller.reading() as act:
        return await queries.all_limits(act.session)


@router.put("/mandate-limits/{role}/{kind}")
async def put_limit(
    role: Annotated[str, Path(max_length=20)],
    kind: Annotated[str, Path(max_length=30)],
    body: LimitUpdate,
    caller: Admin,
) -> dict[str, Any]:
    async with caller.writing() as act:
        row = await actions.set_limit(
            act,
            role,
            kind,
            per_action_cents=body.per_action_cents,
            per_month_cents=body.per_month_cents,
            currency=body.currency,
        )
        limit = await queries.limit_for(act.session, row.role, row.kind)
    return queries.limit_card(role, kind, limit, configured=True)


@router.get("/mandate")
async def my_mandate(caller: Agent) -> list[dict[str, Any]]:
    """The caller's own limits per kind and what is left of them this month."""
    async with caller.reading() as act:
        return await queries.mandate_left(act.session, act.actor, act.now)


@router.post("/conversations/{conversation_id}/goodwill", status_code=201)
async def grant(conversation_id: IdPath, body: GoodwillCreate, caller: Agent) -> dict[str, Any]:
    """Granted at once within the caller's mandate, else ``pending_approval``."""
    async with caller.writing() as act:
        conversation = await conversation_actions.get_visible(act, conversation_id)
        action = await actions.grant(
            act,
            conversation,
            kind=body.kind,
            amount_cents=body.amount_cents,
            reason=body.reason,
            currency=body.currency,
        )
        return queries.card(action)


@router.get("/conversations/{conversation_id}/goodwill")
async def conversation_goodwill(conversation_id: IdPath, caller: Agent) -> list[dict[str, Any]]:
    async with caller.reading() as act:
        await conversation_actions.get_visible(act, conversation_id)
        return [
            queries.card(a) for a in await queries.of_conversation(act.session, conversation_id)
        ]


@router.get("/conversations/{conversation_id}/goodwill/advice")
async def advice(conversation_id: IdPath, caller: Agent) -> dict[str, Any]:
    """Entitlement (warranty state of the conversation's order) and suggested gestures."""
    async with caller.reading() as act:
        conversation = await conversation_actions.get_visible(act, conversation_id)
        return queries.advice_card(await queries.advice(act.session, conversation, act.now))


@router.get("/goodwill")
async def list_goodwill(
    caller: Lead, status: Annotated[Status | None, Query()] = None
) -> list[dict[str, Any]]:
    """Goodwill actions, oldest first; ``?status=pending_approval`` for the approvals."""
    async with caller.reading() as act:
        rows = await queries.listed(act.session, act.actor, status=status)
        return [queries.card(a) for a in rows]


@router.post("/goodwill/{goodwill_id}/decision")
async def decide(goodwill_id: IdPath, body: GoodwillDecision, caller: Lead) -> dict[str, Any]:
    async with caller.writing() as act:
        action = await actions.decide(act, goodwill_id, approve=body.approve, note=body.note)
        return queries.card(action)


@router.post("/goodwill/{goodwill_id}/tell", status_code=201)
async def tell(goodwill_id: IdPath, caller: Agent) -> dict[str, Any]:
    """Reply to the customer that the gesture was approved (once, however often sent)."""
    async with caller.writing() as act:
        message = await actions.tell_customer(act, goodwill_id)
        return {"message_id": message.id, "seq": message.seq, "text": message.text}
