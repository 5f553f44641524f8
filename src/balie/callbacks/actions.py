"""Promised phone calls: scheduled in a slot, reminded, and a missed one recorded and
planned again (SCENARIOS B5). Every change is audited on the conversation, so an open
agent page shows it live."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from balie import moments
from balie.abuse import queries as abuse_queries
from balie.act import Act
from balie.callbacks import slots
from balie.chat import actions as chat_actions
from balie.chat.visitors import Visitor
from balie.conversations import actions as conversation_actions
from balie.errors import Conflict, InvalidInput, NotFound
from balie.hours import BusinessHours, parse_hours
from balie.store.tables import Callback, Conversation, Customer, Inbox
from balie.timers import actions as timers
from balie.zone import LOCAL_ZONE

OUTCOMES = ("done", "no_show")
REMIND_BEFORE = dt.timedelta(minutes=15)
# How long after the slot we ask whether the call happened.
CHECK_AFTER = dt.timedelta(minutes=30)


def remind_key(callback_id: int) -> str:
    return f"callback:{callback_id}:remind"


def check_key(callback_id: int) -> str:
    return f"callback:{callback_id}:check"


def card(callback: Callback) -> dict[str, Any]:
    return {
        "id": callback.id,
        "conversation_id": callback.conversation_id,
        "customer_id": callback.customer_id,
        "owner_id": callback.owner_id,
        "phone": callback.phone,
        "slot_start": callback.slot_start.isoformat(),
        "slot_end": callback.slot_end.isoformat(),
        "note": callback.note,
        "status": callback.status,
        "rescheduled_from_id": callback.rescheduled_from_id,
        "created_at": callback.created_at.isoformat(),
        "updated_at": callback.updated_at.isoformat(),
    }


def _local(moment: dt.datetime) -> str:
    return moment.astimezone(LOCAL_ZONE).strftime("%Y-%m-%d %H:%M")


async def hours_of(act: Act, conversation: Conversation) -> BusinessHours | None:
    """The business hours of the conversation's inbox; none configured is always open."""
    inbox = await act.session.get(Inbox, conversation.inbox_id) if conversation.inbox_id else None
    return parse_hours(inbox.hours) if inbox is not None else None


def _phone(raw: Any) -> str:
    if not isinstance(raw, str) or len(raw) > 40:
        raise InvalidInput("Give a phone number (at most 40 characters).", field="phone")
    try:
        return slots.normalise_phone(raw)
    except slots.SlotProblem as problem:
        raise InvalidInput(str(problem), field=problem.field) from problem


def _note(raw: Any) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, str) or len(raw) > slots.MAX_NOTE_CHARS or "\x00" in raw:
        raise InvalidInput("A note is text of at most 2,000 characters.", field="note")
    return raw.strip()


def _slot(
    start: dt.datetime, end: dt.datetime, now: dt.datetime, hours: BusinessHours | None
) -> None:
    try:
        slots.check_slot(start, end, now=now, hours=hours)
    except slots.SlotProblem as problem:
        raise InvalidInput(str(problem), field=problem.field) from problem


async def _arm(act: Act, callback: Callback) -> None:
    """Remind before the slot and ask after it whether the call happened. Same keys: a
    moved slot moves the timers. The recipient is chosen when each fires
    (balie.callbacks.timers.responsible), so a hand-over in between is followed."""
    await timers.schedule(
        act,
        key=remind_key(callback.id),
        kind="callbacks.remind",
        due_at=max(callback.slot_start - REMIND_BEFORE, act.now),
        payload={"callback_id": callback.id},
    )
    await timers.schedule(
        act,
        key=check_key(callback.id),
        kind="callbacks.check",
        due_at=callback.slot_end + CHECK_AFTER,
        payload={"callback_id": callback.id},
    )


async def _disarm(act: Act, callback_id: int) -> None:
    await timers.cancel(act, remind_key(callback_id))
    await timers.cancel(act, check_key(callback_id))


async def _create(
    act: Act,
    conversation: Conversation,
    *,
    phone: str,
    slot_start: dt.datetime,
    slot_end: dt.datetime,
    note: str,
    owner_id: int | None,
    rescheduled_from_id: int | None = None,
) -> Callback:
    callback = Callback(
        conversation_id=conversation.id,
        customer_id=conversation.customer_id,
        owner_id=owner_id,
        phone=phone,
        slot_start=slot_start,
        slot_end=slot_end,
        note=note,
        status="scheduled",
        rescheduled_from_id=rescheduled_from_id,
        created_at=act.now,
        updated_at=act.now,
    )
    act.session.add(callback)
    await act.session.flush()
    await act.audit("callback.schedule", f"conversation:{conversation.id}", after=card(callback))
    await _arm(act, callback)
    return callback


async def schedule_callback(
    act: Act,
    conversation: Conversation,
    *,
    phone: Any,
    slot_start: dt.datetime,
    slot_end: dt.datetime,
    note: Any = None,
) -> Callback:
    """An agent promises a call. It belongs to the conversation's owner, or to the agent
    who planned it when nobody owns the conversation."""
    number = _phone(phone)
    text = _note(note)
    _slot(slot_start, slot_end, act.now, await hours_of(act, conversation))
    owner_id = conversation.owner_id or (act.actor.id if act.actor.kind == "agent" else None)
    return await _create(
        act,
        conversation,
        phone=number,
        slot_start=slot_start,
        slot_end=slot_end,
        note=text,
        owner_id=owner_id,
    )


async def get_visible(act: Act, callback_id: int) -> tuple[Callback, Conversation]:
    """The callback and its conversation, if the actor may see the conversation."""
    callback = await act.session.get(Callback, callback_id)
    if callback is None:
        raise NotFound(f"Callback {callback_id} does not exist.")
    try:
        conversation = await conversation_actions.get_visible(act, callback.conversation_id)
    except NotFound:
        raise NotFound(f"Callback {callback_id} does not exist.") from None
    return callback, conversation


async def _set_status(act: Act, callback: Callback, status: str, **extra: Any) -> None:
    before = card(callback)
    callback.status = status
    callback.updated_at = act.now
    await act.audit(
        f"callback.{status}",
        f"conversation:{callback.conversation_id}",
        before=before,
        after={**card(callback), **extra},
    )


async def record_outcome(act: Act, callback_id: int, outcome: Any, note: Any = None) -> Callback:
    """The call happened (``done``) or nobody answered (``no_show``); either way the
    conversation gets a note so the next agent knows."""
    if outcome not in OUTCOMES:
        raise InvalidInput("outcome must be done or no_show.", field="outcome")
    text = _note(note)
    callback, conversation = await get_visible(act, callback_id)
    if callback.status != "scheduled":
        raise Conflict(f"This callback is already {callback.status}.", status=callback.status)
    await _set_status(act, callback, outcome, note=text)
    await _disarm(act, callback.id)
    when = _local(callback.slot_start)
    line = (
        f"Callback to {callback.phone} ({when}) done."
        if outcome == "done"
        else f"Callback to {callback.phone} ({when}): no answer (no-show). Plan it again."
    )
    await conversation_actions.add_message(
        act,
        conversation,
        text=line + (f"\n{text}" if text else ""),
        internal=True,
        author_kind="system",
        reopen=False,
    )
    return callback


async def reschedule(
    act: Act, callback_id: int, *, slot_start: dt.datetime, slot_end: dt.datetime
) -> Callback:
    """A new slot for a planned or missed call: a new callback linked to the old one (the
    history keeps the missed one), and the reminders move to the new slot."""
    callback, conversation = await get_visible(act, callback_id)
    if callback.status not in ("scheduled", "no_show"):
        raise Conflict(
            f"A {callback.status} callback cannot be planned again.", status=callback.status
        )
    _slot(slot_start, slot_end, act.now, await hours_of(act, conversation))
    await _set_status(act, callback, "rescheduled")
    await _disarm(act, callback.id)
    return await _create(
        act,
        conversation,
        phone=callback.phone,
        slot_start=slot_start,
        slot_end=slot_end,
        note=callback.note,
        owner_id=callback.owner_id or conversation.owner_id,
        rescheduled_from_id=callback.id,
    )


async def cancel_callback(act: Act, callback_id: int) -> Callback:
    callback, _ = await get_visible(act, callback_id)
    if callback.status != "scheduled":
        raise Conflict(f"This callback is already {callback.status}.", status=callback.status)
    await _set_status(act, callback, "cancelled")
    await _disarm(act, callback.id)
    return callback


def _aware(raw: Any, field: str, now: dt.datetime) -> dt.datetime:
    if not isinstance(raw, str) or len(raw) > 40:
        raise InvalidInput("Choose one of the offered times.", field=field)
    try:
        moment = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidInput("Choose one of the offered times.", field=field) from None
    if moment.tzinfo is None:
        raise InvalidInput("Give the time with its time zone.", field=field)
    # Also catches a moment that overflows when turned into UTC (year 9999 at -01:00).
    return moments.check_moment(moment, field, now=now)


async def request_from_widget(
    act: Act, inbox: Inbox, visitor: Visitor, body: dict[str, Any]
) -> Callback:
    """Outside business hours a visitor asks to be called in one of the offered slots.
    Everything is checked before anything is written; the conversation is the visitor's
    open chat, or a new one; nobody owns the callback until an agent takes it."""
    if not isinstance(body, dict):
        raise InvalidInput("Send a JSON object.")
    fields = {"phone", "slot_start", "name", "email", "text", "client_id", "preferred_time"}
    unknown = set(body) - fields
    if unknown:
        raise InvalidInput(f"Unknown field: {sorted(unknown)[0]}.", field=sorted(unknown)[0])
    number = _phone(body.get("phone"))
    start = _aware(body.get("slot_start"), "slot_start", act.now)
    preferred = body.get("preferred_time")
    if preferred is not None and (not isinstance(preferred, str) or len(preferred) > 100):
        raise InvalidInput(
            "preferred_time is text of at most 100 characters.", field="preferred_time"
        )
    hours = parse_hours(inbox.hours)
    offered = {s: e for s, e in slots.offered_slots(hours, act.now)}
    if start not in offered:
        raise InvalidInput("Choose one of the offered times.", field="slot_start")
    text = body.get("text")
    if text is not None and not isinstance(text, str):
        raise InvalidInput("text must be a string.", field="text")
    words = (text or "").strip()
    if not words:
        text = "Please call me back."
    current = await chat_actions.current_conversation(act, visitor)
    if current is not None and current.status != "resolved":
        conversation = current
        # Reusing the open chat skips start_chat, and with it the block check: a customer
        # blocked while the chat was open may not plan calls through it (SCENARIOS A2).
        customer = await act.session.get(Customer, conversation.customer_id)
        if customer is not None:
            abuse_queries.refuse_blocked(customer, act.now)
    else:
        conversation, _ = await chat_actions.start_chat(
            act,
            inbox,
            visitor,
            client_id=body.get("client_id"),
            text=text,
            fields={k: body.get(k) for k in ("name", "email") if body.get(k) is not None},
            prechat=[{"name": "email", "required": False}, {"name": "name", "required": False}],
        )
    same = await act.session.scalar(
        select(Callback).where(
            Callback.conversation_id == conversation.id,
            Callback.status == "scheduled",
            Callback.phone == number,
            Callback.slot_start == start,
        )
    )
    if same is not None:  # the widget retried a request that did arrive
        return same
    await conversation_actions.set_tags(
        act,
        conversation,
        sorted({*await conversation_actions.tags_of(act, conversation.id), "callback-request"}),
    )
    if conversation is current and words:
        # A new chat starts with the visitor's words; an open one gets them as a message,
        # so what they wrote with the request is not lost.
        await conversation_actions.add_message(
            act, conversation, text=words, internal=False, author_kind="customer"
        )
    callback = await _create(
        act,
        conversation,
        phone=number,
        slot_start=start,
        slot_end=offered[start],
        note="Requested in the chat widget.",
        owner_id=None,
    )
    # The request in the timeline, in the visitor's own words, for whoever takes it.
    details = [
        "Requested: callback",
        f"Phone: {body['phone'].strip()}",
        f"Slot: {_local(start)}-{_local(offered[start])[11:]}",
    ]
    if isinstance(preferred, str) and preferred.strip():
        details.append(f"Preferred time: {preferred.strip()}")
    await conversation_actions.add_message(
        act, conversation, text="\n".join(details), internal=True, author_kind="system"
    )
    return callback
