"""One conversation: its timeline, replies and notes, status, tags, owner and hand-overs.

Every change is a form post that goes through the conversation actions in one write
transaction, then redirects back (so a reload never posts twice). A refused change
shows the conversation again with the reason, keeping what the agent typed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from babel.numbers import format_decimal
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from balie import downloads
from balie.act import Act
from balie.analysis.coach import coach as coach_draft
from balie.auth import Caller
from balie.conversations import actions, guardrails, queries
from balie.conversations.rules import STATUSES
from balie.customers.queries import customer_profile
from balie.email import outbound
from balie.email import queries as email_queries
from balie.errors import BalieError, CoachBlocked, InvalidInput
from balie.ids import IdPath, parse_id
from balie.live import feed
from balie.store.tables import Conversation, Customer, Message, Order
from balie.web import coach, directory, flags, live
from balie.web.i18n import DISPLAY_ZONE
from balie.web.pages import (
    PageRoute,
    SignedIn,
    checked_form,
    field,
    language_of,
    redirect,
    render,
)

router = APIRouter(route_class=PageRoute)
Change = Callable[[Act, Conversation], Awaitable[object]]


async def _timeline(act: Act, conversation_id: IdPath) -> list[Message]:
    messages: list[Message] = []
    while True:
        batch = await queries.messages_after(
            act.session, conversation_id, after=messages[-1].seq if messages else 0, limit=500
        )
        messages.extend(batch)
        if len(batch) < 500:
            return messages


def _size(size: int, language: str) -> str:
    """A file size as people read it, with the language's decimal mark ("1,5 MB")."""
    for unit, scale in (("MB", 1_000_000), ("kB", 1_000)):
        if size >= scale:
            return f"{format_decimal(size / scale, '#,##0.#', locale=language)} {unit}"
    return f"{size} B"


async def _mail_and_files(
    request: Request, session: AsyncSession, messages: list[Message]
) -> dict[str, Any]:
    """What the timeline shows besides the words: per message how it came or went by
    e-mail (one query for all shown messages), and its files with signed download links.
    The links are the chat's: always served as a download, never rendered in our origin."""
    secret_key: str = request.app.state.settings.secret_key
    language = language_of(request)
    files = {
        m.id: [
            {
                "name": str(a.get("name") or ""),
                "size": _size(int(a.get("size") or 0), language),
                "url": feed.attachment_url(secret_key, int(a["id"])),
            }
            for a in m.attachments
            if isinstance(a, dict) and isinstance(a.get("id"), int)
        ]
        for m in messages
        if m.attachments
    }
    mails = await email_queries.mail_of_messages(session, [m.id for m in messages])
    return {"mails": mails, "files": files}


async def _page(
    request: Request,
    caller: Caller,
    conversation_id: IdPath,
    *,
    error: BalieError | None = None,
    drafts: dict[str, str] | None = None,
    box: str | None = None,
) -> Response:
    coached = None
    draft = (drafts or {}).get(box or "", "")
    async with caller.reading() as act:
        live_cursor = await live.cursor(act.session)  # before the data, see live.cursor
        conversation = await actions.get_visible(act, conversation_id)
        if box is not None and draft.strip():
            # A refused send: the coach's flags under the box, with the ways past a block.
            if isinstance(error, CoachBlocked):
                verdict = error.data.get("coaching", {})
            else:
                about = await guardrails.reply_context(act, conversation, internal=box == "note")
                verdict = coach_draft(draft, about).as_json()
            coached = coach.panel(draft, verdict, box)
        customer = await act.session.get(Customer, conversation.customer_id)
        # The customer's other conversations, on every channel, next to this one (D5).
        profile = (
            await customer_profile(act.session, act.actor, customer.id)
            if customer is not None and customer.merged_into_id is None
            else None
        )
        order = (
            await act.session.get(Order, conversation.order_id) if conversation.order_id else None
        )
        context: dict[str, Any] = {
            "conversation": conversation,
            "customer": customer,
            "profile": profile,
            "order": order,
            "tags": await actions.tags_of(act, conversation_id),
            "messages": await _timeline(act, conversation_id),
            "handover": await actions.pending_handover(act, conversation_id),
            "names": await directory.agent_names(act.session),
            "colleagues": await directory.colleagues(act.session),
            "overrides": await coach.my_overrides(
                request, act.session, act.actor, conversation_id, act.now
            ),
        }
        context.update(await _mail_and_files(request, act.session, context["messages"]))
    return render(
        request,
        "conversation.html",
        shown=flags.shown_all(context["messages"], mask_profanity=caller.agent.mask_profanity),
        coached=coached,
        live_cursor=live_cursor,
        last_seq=context["messages"][-1].seq if context["messages"] else 0,
        status=error.status if error else 200,
        error=error,
        drafts=drafts or {},
        statuses=STATUSES,
        is_lead=caller.agent.role in ("supervisor", "admin"),
        **context,
    )


async def _change(
    request: Request,
    caller: Caller,
    conversation_id: IdPath,
    change: Change,
    *,
    drafts: dict[str, str] | None = None,
    box: str | None = None,
) -> Response:
    try:
        async with caller.writing() as act:
            conversation = await actions.get_visible(act, conversation_id)
            await change(act, conversation)
    except BalieError as error:
        return await _page(request, caller, conversation_id, error=error, drafts=drafts, box=box)
    return redirect(f"/conversations/{conversation_id}")


def _agent_id(value: str, name: str) -> int:
    agent_id = parse_id(value)
    if agent_id is None:
        raise InvalidInput("Choose an agent.", field=name)
    return agent_id


def _snooze_until(value: str) -> dt.datetime | None:
    """A ``datetime-local`` value, read as local time where the agents work."""
    if not value:
        return None
    try:
        local = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(
            "The snooze time is not a date and time.", field="snoozed_until"
        ) from exc
    return local.replace(tzinfo=DISPLAY_ZONE) if local.tzinfo is None else local


@router.get("/conversations/{conversation_id}")
async def conversation_page(
    request: Request, conversation_id: IdPath, caller: SignedIn
) -> Response:
    return await _page(request, caller, conversation_id)


@router.get("/conversations/{conversation_id}/timeline")
async def timeline_after(
    request: Request,
    conversation_id: IdPath,
    caller: SignedIn,
    after: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """The messages after ``after`` as timeline items: the open conversation page asks for
    them when the live socket tells of a change (static/live.js)."""
    async with caller.reading() as act:
        conversation = await actions.get_visible(act, conversation_id)
        messages = await queries.messages_after(act.session, conversation_id, after=after)
        if not messages:
            return Response(status_code=204)  # htmx leaves the page as it is
        customer = await act.session.get(Customer, conversation.customer_id)
        names = await directory.agent_names(act.session)
        extra = await _mail_and_files(request, act.session, messages)
    return render(
        request,
        "_messages.html",
        conversation=conversation,
        customer=customer,
        messages=messages,
        names=names,
        **extra,
        shown=flags.shown_all(messages, mask_profanity=caller.agent.mask_profanity),
        last_seq=messages[-1].seq,
    )


@router.get("/conversations/{conversation_id}/mail")
async def mail_lines(request: Request, conversation_id: IdPath, caller: SignedIn) -> Response:
    """The delivery line of each reply sent by e-mail, for the open page to swap in when the
    live socket tells of a change (sent, failed, retried): no reload to see it went."""
    async with caller.reading() as act:
        conversation = await actions.get_visible(act, conversation_id)
        messages = await email_queries.mailed_messages(act.session, conversation_id)
        extra = await _mail_and_files(request, act.session, messages)
    return render(
        request, "_mail_lines.html", conversation=conversation, messages=messages, **extra
    )


@router.get("/conversations/{conversation_id}/messages/{message_id}/original")
async def original_mail(
    request: Request, conversation_id: IdPath, message_id: IdPath, caller: SignedIn
) -> Response:
    """The received e-mail as an .eml download."""
    async with caller.reading() as act:
        return await downloads.original_mail(act, conversation_id, message_id)


@router.post("/conversations/{conversation_id}/outbox/{outbox_id}/retry")
async def retry_mail(
    request: Request, conversation_id: IdPath, outbox_id: IdPath, caller: SignedIn
) -> Response:
    """Send a failed reply again; a mail that is not failed (pressed twice, or already
    retried by a colleague) is refused and the page says so."""
    await checked_form(request)

    async def send_again(act: Act, conversation: Conversation) -> None:
        await outbound.retry(act, outbox_id, conversation.id)

    return await _change(request, caller, conversation_id, send_again)


def _lines(text: str) -> str:
    # Browsers send line breaks as CRLF; an approval is for the exact text, so one form.
    return text.replace("\r\n", "\n")


def _override_id(value: str) -> int | None:
    if not value:
        return None
    override_id = parse_id(value)
    if override_id is None:
        raise InvalidInput("Not a valid override.", field="override_id")
    return override_id


async def _write(request: Request, conversation_id: int, caller: Caller, box: str) -> Response:
    """A reply or a note. The coach checks it inside ``add_message``; a blocked text comes
    back with the coach's flags, unless an approved override or a supervisor's reason
    lets it through."""
    form = await checked_form(request)
    text = _lines(field(form, "text"))
    override_id = _override_id(field(form, "override_id"))
    override_reason = field(form, "override_reason").strip() or None

    async def write(act: Act, conversation: Conversation) -> None:
        await actions.add_message(
            act,
            conversation,
            text=text,
            internal=box == "note",
            override_id=override_id,
            override_reason=override_reason,
        )

    return await _change(request, caller, conversation_id, write, drafts={box: text}, box=box)


@router.post("/conversations/{conversation_id}/reply")
async def reply(request: Request, conversation_id: IdPath, caller: SignedIn) -> Response:
    return await _write(request, conversation_id, caller, "reply")


@router.post("/conversations/{conversation_id}/note")
async def note(request: Request, conversation_id: IdPath, caller: SignedIn) -> Response:
    return await _write(request, conversation_id, caller, "note")


@router.post("/conversations/{conversation_id}/coach-overrides")
async def ask_override(request: Request, conversation_id: IdPath, caller: SignedIn) -> Response:
    """An agent asks a supervisor to allow one exact text the coach blocked."""
    form = await checked_form(request)
    text, reason = _lines(field(form, "text")), field(form, "reason")
    box = coach.box_of(field(form, "box"))
    try:
        async with caller.writing() as act:
            conversation = await actions.get_visible(act, conversation_id)
            await guardrails.request_override(
                act, conversation, text=text, reason=reason, internal=box == "note"
            )
    except BalieError as error:
        return await _page(
            request, caller, conversation_id, error=error, drafts={box: text}, box=box
        )
    return redirect(f"/conversations/{conversation_id}")


@router.post("/conversations/{conversation_id}/status")
async def status(request: Request, conversation_id: IdPath, caller: SignedIn) -> Response:
    form = await checked_form(request)
    new_status = field(form, "status")
    until_text = field(form, "snoozed_until")

    async def set_status(act: Act, conversation: Conversation) -> None:
        # The snooze field is only read for "snoozed", so a leftover value does no harm.
        until = _snooze_until(until_text) if new_status == "snoozed" else None
        if new_status == "snoozed" and until is None:
            raise InvalidInput("Choose until when to snooze.", field="snoozed_until")
        await actions.change_status(act, conversation, new_status, snoozed_until=until)

    return await _change(request, caller, conversation_id, set_status)


@router.post("/conversations/{conversation_id}/tags")
async def tags(request: Request, conversation_id: IdPath, caller: SignedIn) -> Response:
    text = field(await checked_form(request), "tags")
    wanted = [t for t in text.replace(",", " ").split() if t]

    async def set_tags(act: Act, conversation: Conversation) -> None:
        await actions.set_tags(act, conversation, wanted)

    return await _change(request, caller, conversation_id, set_tags, drafts={"tags": text})


@router.post("/conversations/{conversation_id}/assign")
async def assign(request: Request, conversation_id: IdPath, caller: SignedIn) -> Response:
    choice = field(await checked_form(request), "owner_id")

    async def set_owner(act: Act, conversation: Conversation) -> None:
        owner_id = None if choice == "none" else _agent_id(choice, "owner_id")
        await actions.assign(act, conversation, owner_id)

    return await _change(request, caller, conversation_id, set_owner)


@router.post("/conversations/{conversation_id}/handover")
async def hand_over(request: Request, conversation_id: IdPath, caller: SignedIn) -> Response:
    form = await checked_form(request)
    to_agent, handover_note = field(form, "to_agent_id"), field(form, "note")

    async def offer(act: Act, conversation: Conversation) -> None:
        await actions.request_handover(
            act,
            conversation,
            to_agent_id=_agent_id(to_agent, "to_agent_id"),
            note=handover_note,
        )

    return await _change(
        request, caller, conversation_id, offer, drafts={"handover": handover_note}
    )


@router.post("/handovers/{handover_id}/{decision}")
async def decide(
    request: Request, handover_id: IdPath, decision: str, caller: SignedIn
) -> Response:
    await checked_form(request)
    if decision not in ("accept", "decline"):
        raise InvalidInput("A hand-over is accepted or declined.")
    async with caller.writing() as act:
        handover = await actions.decide_handover(act, handover_id, accept=decision == "accept")
    # After declining, the conversation may no longer be visible to this agent.
    return redirect(f"/conversations/{handover.conversation_id}" if decision == "accept" else "/")
