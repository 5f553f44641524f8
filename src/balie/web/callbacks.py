"""Callbacks in the inbox: the conversation's panel (plan, record, plan again) and the
agent's callbacks of a day."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from balie import moments
from balie.act import utcnow
from balie.callbacks import actions, queries, slots
from balie.conversations import actions as conversation_actions
from balie.errors import InvalidInput
from balie.ids import IdPath
from balie.web import directory
from balie.web.i18n import DISPLAY_ZONE
from balie.web.pages import (
    PageRoute,
    SignedIn,
    checked_form,
    field,
    local_path,
    redirect,
    render,
)

router = APIRouter(route_class=PageRoute)
LENGTHS = (15, 30, 60, 120, 240)


def _slot_of(form: FormData) -> tuple[dt.datetime, dt.datetime]:
    """The slot from the form's date, start time and length, read where agents work."""
    try:
        day = dt.date.fromisoformat(field(form, "date"))
    except ValueError:
        raise InvalidInput("Choose a date.", field="date") from None
    moments.check_date(day, "date", now=utcnow())
    try:
        start_time = dt.time.fromisoformat(field(form, "time"))
    except ValueError:
        raise InvalidInput("Choose a start time.", field="time") from None
    minutes = field(form, "minutes")
    if not minutes.isdigit() or int(minutes) not in LENGTHS:
        raise InvalidInput("Choose how long the slot is.", field="minutes")
    start = dt.datetime.combine(day, start_time, tzinfo=DISPLAY_ZONE).astimezone(dt.UTC)
    return start, start + dt.timedelta(minutes=int(minutes))


def _back(form: FormData, conversation_id: int) -> Response:
    return redirect(local_path(field(form, "next"), f"/conversations/{conversation_id}"))


@router.get("/conversations/{conversation_id}/callbacks")
async def panel(request: Request, conversation_id: IdPath, caller: SignedIn) -> Response:
    async with caller.reading() as act:
        conversation = await conversation_actions.get_visible(act, conversation_id)
        rows = await queries.of_conversation(act.session, conversation_id)
        names = await directory.agent_names(act.session)
    today = act.now.astimezone(DISPLAY_ZONE).date()
    return render(
        request,
        "_callbacks_panel.html",
        conversation=conversation,
        callbacks=rows,
        names=names,
        today=today.isoformat(),
        lengths=LENGTHS,
        max_note=slots.MAX_NOTE_CHARS,
    )


@router.post("/conversations/{conversation_id}/callbacks")
async def schedule(request: Request, conversation_id: IdPath, caller: SignedIn) -> Response:
    form = await checked_form(request)
    start, end = _slot_of(form)
    async with caller.writing() as act:
        conversation = await conversation_actions.get_visible(act, conversation_id)
        await actions.schedule_callback(
            act,
            conversation,
            phone=field(form, "phone"),
            slot_start=start,
            slot_end=end,
            note=field(form, "note"),
        )
    return _back(form, conversation_id)


@router.post("/callbacks/{callback_id}/outcome")
async def outcome(request: Request, callback_id: IdPath, caller: SignedIn) -> Response:
    form = await checked_form(request)
    async with caller.writing() as act:
        callback = await actions.record_outcome(
            act, callback_id, field(form, "outcome"), field(form, "note")
        )
    return _back(form, callback.conversation_id)


@router.post("/callbacks/{callback_id}/reschedule")
async def reschedule(request: Request, callback_id: IdPath, caller: SignedIn) -> Response:
    form = await checked_form(request)
    start, end = _slot_of(form)
    async with caller.writing() as act:
        callback = await actions.reschedule(act, callback_id, slot_start=start, slot_end=end)
    return _back(form, callback.conversation_id)


@router.post("/callbacks/{callback_id}/cancel")
async def cancel(request: Request, callback_id: IdPath, caller: SignedIn) -> Response:
    form = await checked_form(request)
    async with caller.writing() as act:
        callback = await actions.cancel_callback(act, callback_id)
    return _back(form, callback.conversation_id)


@router.get("/callbacks")
async def callbacks_page(
    request: Request, caller: SignedIn, day: str = "", everyone: bool = False
) -> Response:
    """The callbacks of one day (today unless chosen): the agent's own, or everyone's."""
    today = utcnow().astimezone(DISPLAY_ZONE).date()
    try:
        shown = dt.date.fromisoformat(day) if day else today
    except ValueError:
        raise InvalidInput("Choose a date as YYYY-MM-DD.", field="day") from None
    # The day before and after must exist too: far-away days are refused.
    moments.check_date(shown, "day", now=today)
    async with caller.reading() as act:
        rows = await queries.for_day(act.session, caller.actor, shown, mine=not everyone)
        names = await directory.agent_names(act.session)
    return render(
        request,
        "callbacks.html",
        rows=rows,
        names=names,
        day=shown,
        today=today,
        previous=(shown - dt.timedelta(days=1)).isoformat(),
        following=(shown + dt.timedelta(days=1)).isoformat(),
        everyone=everyone,
        lengths=LENGTHS,
    )
