"""The conversation's safety panel (SCENARIOS A2, A4): warnings given and what may follow,
with the boundary message, ending the chat, blocking, and asking a supervisor to join.

Each button is a form post through the abuse actions, then back to the conversation; a
refused step shows the reason on the error page and changes nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.responses import Response

from balie.abuse import actions, queries
from balie.act import Act
from balie.agents.roles import at_least
from balie.api.abuse import warnings_limit
from balie.auth import Caller
from balie.conversations import actions as conversation_actions
from balie.errors import InvalidInput
from balie.ids import IdPath
from balie.policy import abuse as policy
from balie.store.tables import Conversation
from balie.web import directory
from balie.web.pages import PageRoute, SignedIn, checked_form, field, redirect, render

router = APIRouter(route_class=PageRoute)


@router.get("/conversations/{conversation_id}/safety")
async def panel(request: Request, conversation_id: IdPath, caller: SignedIn) -> Response:
    async with caller.reading() as act:
        conversation = await conversation_actions.get_visible(act, conversation_id)
        state = await queries.safety(
            act.session, conversation, limit=warnings_limit(request), now=act.now
        )
        names = await directory.agent_names(act.session)
    is_lead = at_least(caller.agent.role, "supervisor")
    return render(
        request,
        "_safety_panel.html",
        conversation=conversation,
        state=state,
        is_lead=is_lead,
        may_block=state.may_block(is_lead),
        joined_names=[names.get(i, "?") for i in state.joined],
        has_joined=caller.agent.id in state.joined,
        day_choices=policy.BLOCK_DAY_CHOICES,
        max_days=policy.MAX_BLOCK_DAYS,
        client_id=secrets.token_urlsafe(16),
    )


Step = Callable[[Act, Conversation], Awaitable[object]]


async def _step(caller: Caller, conversation_id: int, step: Step) -> Response:
    """One step on a conversation the agent can see, then back to its page."""
    async with caller.writing() as act:
        conversation = await conversation_actions.get_visible(act, conversation_id)
        await step(act, conversation)
    return redirect(f"/conversations/{conversation_id}")


@router.post("/conversations/{conversation_id}/safety/boundary")
async def boundary(request: Request, conversation_id: IdPath, caller: SignedIn) -> Response:
    # The form's one-time token: a double click or a resent form is one warning.
    client_id = field(await checked_form(request), "client_id") or None

    async def send_boundary(act: Act, conversation: Conversation) -> None:
        await actions.send_boundary(act, conversation, client_id=client_id)

    return await _step(caller, conversation_id, send_boundary)


@router.post("/conversations/{conversation_id}/safety/end")
async def end(request: Request, conversation_id: IdPath, caller: SignedIn) -> Response:
    reason = field(await checked_form(request), "reason")
    limit = warnings_limit(request)

    async def end_chat(act: Act, conversation: Conversation) -> None:
        await actions.end_chat(act, conversation, reason=reason, limit=limit)

    return await _step(caller, conversation_id, end_chat)


def _days(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise InvalidInput("Choose for how many days.", field="days") from None


@router.post("/conversations/{conversation_id}/safety/block")
async def block(request: Request, conversation_id: IdPath, caller: SignedIn) -> Response:
    form = await checked_form(request)
    days, reason = _days(field(form, "days")), field(form, "reason")
    limit = warnings_limit(request)

    async def block_customer(act: Act, conversation: Conversation) -> None:
        await actions.block_customer(
            act,
            conversation.customer_id,
            days=days,
            reason=reason,
            limit=limit,
            conversation_id=conversation.id,
        )

    return await _step(caller, conversation_id, block_customer)


@router.post("/conversations/{conversation_id}/safety/unblock")
async def unblock(request: Request, conversation_id: IdPath, caller: SignedIn) -> Response:
    await checked_form(request)

    async def unblock_customer(act: Act, conversation: Conversation) -> None:
        await actions.unblock_customer(act, conversation.customer_id)

    return await _step(caller, conversation_id, unblock_customer)


@router.post("/conversations/{conversation_id}/safety/ask")
async def ask(request: Request, conversation_id: IdPath, caller: SignedIn) -> Response:
    note = field(await checked_form(request), "note")

    async def ask_supervisor(act: Act, conversation: Conversation) -> None:
        await actions.ask_supervisor(act, conversation, note=note)

    return await _step(caller, conversation_id, ask_supervisor)


@router.post("/conversations/{conversation_id}/safety/join")
async def join(request: Request, conversation_id: IdPath, caller: SignedIn) -> Response:
    await checked_form(request)
    return await _step(caller, conversation_id, actions.join)
