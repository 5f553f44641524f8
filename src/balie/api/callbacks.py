"""Callbacks over HTTP: plan a call in a slot, record how it went, plan it again."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime, Field

from balie import moments
from balie.act import utcnow
from balie.api import PREFIX
from balie.api.schemas import In
from balie.auth import Caller, require
from balie.callbacks import actions, queries, slots
from balie.conversations import actions as conversation_actions
from balie.ids import IdPath
from balie.zone import LOCAL_ZONE

router = APIRouter(prefix=PREFIX, tags=["callbacks"])
Agent = Annotated[Caller, Depends(require("agent"))]


class CallbackCreate(In):
    phone: str = Field(min_length=1, max_length=40)
    slot_start: AwareDatetime
    slot_end: AwareDatetime
    note: str | None = Field(None, max_length=slots.MAX_NOTE_CHARS)


class OutcomeIn(In):
    outcome: Literal["done", "no_show"]
    note: str | None = Field(None, max_length=slots.MAX_NOTE_CHARS)


class RescheduleIn(In):
    slot_start: AwareDatetime
    slot_end: AwareDatetime


def _utc(moment: dt.datetime, field: str) -> dt.datetime:
    # A far-away moment is a 422 naming the field, not an overflow.
    return moments.check_moment(moment, field, now=utcnow())


@router.post("/conversations/{conversation_id}/callbacks", status_code=201)
async def schedule(conversation_id: IdPath, body: CallbackCreate, caller: Agent) -> dict[str, Any]:
    async with caller.writing() as act:
        conversation = await conversation_actions.get_visible(act, conversation_id)
        callback = await actions.schedule_callback(
            act,
            conversation,
            phone=body.phone,
            slot_start=_utc(body.slot_start, "slot_start"),
            slot_end=_utc(body.slot_end, "slot_end"),
            note=body.note,
        )
        return actions.card(callback)


@router.get("/conversations/{conversation_id}/callbacks")
async def of_conversation(conversation_id: IdPath, caller: Agent) -> list[dict[str, Any]]:
    async with caller.reading() as act:
        await conversation_actions.get_visible(act, conversation_id)
        return [
            actions.card(c) for c in await queries.of_conversation(act.session, conversation_id)
        ]


@router.get("/callbacks")
async def for_day(
    caller: Agent,
    mine: bool = True,
    day: Annotated[dt.date | None, Query(description="YYYY-MM-DD; default today")] = None,
) -> list[dict[str, Any]]:
    """The callbacks with a slot on ``day`` (Balie's local calendar day), the caller's own
    or (``mine=false``) every one the caller may see."""
    today = utcnow().astimezone(LOCAL_ZONE).date()
    wanted = moments.check_date(day, "day", now=today) if day else today
    async with caller.reading() as act:
        rows = await queries.for_day(act.session, caller.actor, wanted, mine=mine)
        return [{**actions.card(c), "subject": v.subject} for c, v in rows]


async def _offer(conversation_id: int, caller: Caller) -> list[dict[str, str]]:
    async with caller.reading() as act:
        conversation = await conversation_actions.get_visible(act, conversation_id)
        hours = await actions.hours_of(act, conversation)
        return [
            {"slot_start": s.isoformat(), "slot_end": e.isoformat()}
            for s, e in slots.offered_slots(hours, act.now)
        ]


@router.post("/callbacks/{callback_id}/outcome")
async def outcome(callback_id: IdPath, body: OutcomeIn, caller: Agent) -> dict[str, Any]:
    """Record the call. A no-show answer carries where and when to plan it again."""
    async with caller.writing() as act:
        callback = await actions.record_outcome(act, callback_id, body.outcome, body.note)
        out: dict[str, Any] = {"callback": actions.card(callback)}
    if callback.status == "no_show":
        out["reschedule"] = {
            "href": f"{PREFIX}/callbacks/{callback.id}/reschedule",
            "slots": await _offer(callback.conversation_id, caller),
        }
    return out


@router.post("/callbacks/{callback_id}/reschedule", status_code=201)
async def reschedule(callback_id: IdPath, body: RescheduleIn, caller: Agent) -> dict[str, Any]:
    async with caller.writing() as act:
        callback = await actions.reschedule(
            act,
            callback_id,
            slot_start=_utc(body.slot_start, "slot_start"),
            slot_end=_utc(body.slot_end, "slot_end"),
        )
        return actions.card(callback)


@router.post("/callbacks/{callback_id}/cancel")
async def cancel(callback_id: IdPath, caller: Agent) -> dict[str, Any]:
    async with caller.writing() as act:
        return actions.card(await actions.cancel_callback(act, callback_id))
