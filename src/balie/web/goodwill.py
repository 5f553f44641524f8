"""The goodwill panel of a conversation, and the supervisors' approvals page.

The panel shows what the customer is entitled to, what to offer, how much of the agent's
mandate is left this month, and the conversation's goodwill with its status; supervisors
approve or deny right there. Every form posts through the goodwill actions and comes
back to the page it was sent from.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from babel.numbers import format_currency
from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from balie.act import Act
from balie.agents.roles import at_least
from balie.auth import Caller
from balie.conversations import actions as conversation_actions
from balie.errors import BalieError, Forbidden, InvalidInput
from balie.goodwill import actions, queries
from balie.ids import IdPath
from balie.policy import mandate
from balie.store.tables import Conversation, GoodwillAction
from balie.web import directory
from balie.web.pages import (
    PageRoute,
    SignedIn,
    checked_form,
    field,
    language_of,
    redirect,
    render,
    render_error,
)

router = APIRouter(route_class=PageRoute)


def parse_amount(text: str) -> int:
    """Euros as people type them, into cents (``mandate.parse_euros``)."""
    try:
        return mandate.parse_euros(text)
    except mandate.BadAmount as bad:
        raise InvalidInput(str(bad), field="amount") from None


def _amount_in(request: Request) -> Callable[[int, str], str]:
    """Amounts in the agent's language: "€ 80,00" in Dutch, "€80.00" in English."""
    language = language_of(request)

    def amount(cents: int, currency: str) -> str:
        return format_currency(Decimal(cents) / 100, currency, locale=language)

    return amount


async def _beyond(act: Act, waiting: list[GoodwillAction]) -> dict[int, str]:
    """The waiting actions beyond the reader's own mandate (only an admin may approve
    those), with the limit each passes: Approve is shown disabled with the reason."""
    if not at_least(act.actor.role, "supervisor"):
        return {}
    out: dict[int, str] = {}
    for action in waiting:
        reason = await queries.beyond_approver(act.session, act.actor, action, act.now)
        if reason is not None:
            out[action.id] = reason
    return out


def _back(form_value: str, conversation_id: int) -> str:
    # Only the approvals page or the conversation: never somewhere the form names freely.
    return "/approvals" if form_value == "/approvals" else f"/conversations/{conversation_id}"


async def _panel(request: Request, caller: Caller, conversation: Conversation) -> Response:
    async with caller.reading() as act:
        advice = await queries.advice(act.session, conversation, act.now)
        left = await queries.mandate_left(act.session, act.actor, act.now)
        done = await queries.of_conversation(act.session, conversation.id)
        names = await directory.agent_names(act.session)
        beyond = await _beyond(act, [a for a in done if a.status == "pending_approval"])
    return render(
        request,
        "_goodwill_panel.html",
        conversation=conversation,
        advice=advice,
        mandate_left=left,
        actions=done,
        names=names,
        kinds=mandate.KINDS,
        amount=_amount_in(request),
        is_lead=at_least(caller.agent.role, "supervisor"),
        beyond=beyond,
    )


@router.get("/conversations/{conversation_id}/goodwill")
async def panel(request: Request, conversation_id: IdPath, caller: SignedIn) -> Response:
    async with caller.reading() as act:
        conversation = await conversation_actions.get_visible(act, conversation_id)
    return await _panel(request, caller, conversation)


@router.post("/conversations/{conversation_id}/goodwill")
async def grant(request: Request, conversation_id: IdPath, caller: SignedIn) -> Response:
    form = await checked_form(request)
    try:
        amount = parse_amount(field(form, "amount"))
        async with caller.writing() as act:
            conversation = await conversation_actions.get_visible(act, conversation_id)
            await actions.grant(
                act,
                conversation,
                kind=field(form, "kind"),
                amount_cents=amount,
                reason=field(form, "reason"),
            )
    except BalieError as error:
        return render_error(request, error)
    return redirect(f"/conversations/{conversation_id}")


@router.post("/goodwill/{goodwill_id}/decision")
async def decide(request: Request, goodwill_id: IdPath, caller: SignedIn) -> Response:
    form = await checked_form(request)
    choice = field(form, "decision")
    try:
        if choice not in ("approve", "deny"):
            raise InvalidInput("Choose approve or deny.", field="decision")
        async with caller.writing() as act:
            action = await actions.decide(
                act, goodwill_id, approve=choice == "approve", note=field(form, "note")
            )
            conversation_id = action.conversation_id
    except BalieError as error:
        return render_error(request, error)
    return redirect(_back(field(form, "next"), conversation_id))


@router.post("/goodwill/{goodwill_id}/tell")
async def tell(request: Request, goodwill_id: IdPath, caller: SignedIn) -> Response:
    await checked_form(request)
    try:
        async with caller.writing() as act:
            message = await actions.tell_customer(act, goodwill_id)
            conversation_id = message.conversation_id
    except BalieError as error:
        return render_error(request, error)
    return redirect(f"/conversations/{conversation_id}")


@router.get("/approvals")
async def approvals(request: Request, caller: SignedIn) -> Response:
    """Goodwill waiting for a supervisor, oldest first, with the reason for each."""
    if not at_least(caller.agent.role, "supervisor"):
        return render_error(request, Forbidden("Only supervisors and admins decide on approvals."))
    async with caller.reading() as act:
        waiting = await queries.listed(act.session, act.actor, status="pending_approval")
        ids = {a.conversation_id for a in waiting}
        rows = await act.session.execute(
            select(Conversation.id, Conversation.subject).where(Conversation.id.in_(ids))
        )
        subjects = {conversation_id: subject for conversation_id, subject in rows}
        names = await directory.agent_names(act.session)
        beyond = await _beyond(act, waiting)
    return render(
        request,
        "approvals.html",
        waiting=waiting,
        subjects=subjects,
        names=names,
        amount=_amount_in(request),
        beyond=beyond,
    )
