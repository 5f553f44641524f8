"""Conversations, their messages and hand-overs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from balie import downloads
from balie.api import PREFIX
from balie.api.schemas import (
    ConversationCreate,
    ConversationOut,
    ConversationPage,
    ConversationUpdate,
    HandoverCreate,
    HandoverOut,
    MessageCreate,
    MessageOut,
)
from balie.auth import Caller, require
from balie.conversations import actions, queries
from balie.conversations.rules import clean_tags
from balie.customers.actions import customer_for_email
from balie.email import outbound
from balie.email import queries as email_queries
from balie.errors import InvalidInput
from balie.ids import MAX_SEQ, IdPath, IdQuery

router = APIRouter(prefix=PREFIX, tags=["conversations"])
Agent = Annotated[Caller, Depends(require("agent"))]


@router.post("/conversations", status_code=201)
async def create_conversation(body: ConversationCreate, caller: Agent) -> ConversationOut:
    async with caller.writing() as act:
        customer = await customer_for_email(
            act, email=str(body.customer.email), name=body.customer.name
        )
        conversation, _ = await actions.create_conversation(
            act,
            customer=customer,
            subject=body.subject,
            text=body.message.text,
            html=body.message.html,
            channel=body.channel,
            inbox_id=body.inbox_id,
            priority=body.priority,
            severity=body.severity,
            language=body.language,
            tags=body.tags,
            order_id=body.order_id,
        )
    # The action stored exactly these (it refuses bad tags), so no need to read them back.
    return ConversationOut.of(conversation, sorted(clean_tags(body.tags)))


@router.get("/conversations")
async def list_conversations(
    caller: Agent,
    status: Annotated[str | None, Query(pattern="^(open|pending|snoozed|resolved)$")] = None,
    owner: Annotated[str | None, Query(pattern=r"^(me|none|\d+)$")] = None,
    team_id: IdQuery = None,
    severity: Annotated[str | None, Query(pattern="^(normal|high|critical)$")] = None,
    tag: Annotated[str | None, Query(max_length=50)] = None,
    channel: Annotated[str | None, Query(pattern="^(chat|email|api|phone)$")] = None,
    customer_id: IdQuery = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=queries.MAX_PAGE)] = 25,
) -> ConversationPage:
    filters = queries.Filters(status, owner, team_id, severity, tag, channel, customer_id)
    async with caller.reading() as act:
        rows, next_cursor = await queries.list_page(
            act.session, act.actor, filters, cursor=cursor, limit=limit
        )
        tags = await queries.tags_by_conversation(act.session, [c.id for c in rows])
        counts = await queries.status_counts(act.session, act.actor, filters)
    return ConversationPage(
        items=[ConversationOut.of(c, tags[c.id]) for c in rows],
        next_cursor=next_cursor,
        counts=counts,
    )


@router.get("/conversations/{conversation_id}")
async def get_conversation(conversation_id: IdPath, caller: Agent) -> ConversationOut:
    async with caller.reading() as act:
        conversation = await actions.get_visible(act, conversation_id)
        tags = await actions.tags_of(act, conversation_id)
    return ConversationOut.of(conversation, tags)


@router.patch("/conversations/{conversation_id}")
async def update_conversation(
    conversation_id: IdPath, body: ConversationUpdate, caller: Agent
) -> ConversationOut:
    given = body.model_fields_set
    if not given:
        raise InvalidInput("Nothing to change: send status, owner_id or tags.")
    async with caller.writing() as act:
        conversation = await actions.get_visible(act, conversation_id)
        if "status" in given:
            if body.status is None:
                raise InvalidInput("status cannot be null.", field="status")
            await actions.change_status(
                act, conversation, body.status, snoozed_until=body.snoozed_until
            )
        elif "snoozed_until" in given:
            raise InvalidInput(
                "snoozed_until only goes with status snoozed.", field="snoozed_until"
            )
        if "owner_id" in given:
            await actions.assign(act, conversation, body.owner_id)
        if "tags" in given:
            if body.tags is None:
                raise InvalidInput("tags cannot be null; send [] to clear.", field="tags")
            await actions.set_tags(act, conversation, body.tags)
        tags = await actions.tags_of(act, conversation_id)
    return ConversationOut.of(conversation, tags)


@router.get("/conversations/{conversation_id}/messages")
async def list_messages(
    conversation_id: IdPath,
    caller: Agent,
    after: Annotated[int, Query(ge=0, le=MAX_SEQ)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> list[MessageOut]:
    async with caller.reading() as act:
        await actions.get_visible(act, conversation_id)
        rows = await queries.messages_after(act.session, conversation_id, after=after, limit=limit)
        mail = await email_queries.mail_of_messages(act.session, [m.id for m in rows])
    return [MessageOut.of(m, mail.get(m.id)) for m in rows]


@router.get(
    "/conversations/{conversation_id}/messages/{message_id}/original",
    response_class=Response,
    responses={200: {"content": {"message/rfc822": {}}}},
)
async def original_mail(conversation_id: IdPath, message_id: IdPath, caller: Agent) -> Response:
    """The received e-mail exactly as it arrived: headers, quoted history, every part."""
    async with caller.reading() as act:
        return await downloads.original_mail(act, conversation_id, message_id)


@router.post("/conversations/{conversation_id}/outbox/{outbox_id}/retry")
async def retry_mail(conversation_id: IdPath, outbox_id: IdPath, caller: Agent) -> dict[str, Any]:
    """Send a failed mail again."""
    async with caller.writing() as act:
        await actions.get_visible(act, conversation_id)
        mail = await outbound.retry(act, outbox_id, conversation_id)
        return {"outbox_id": mail.id, "status": mail.status}


@router.post("/conversations/{conversation_id}/messages", status_code=201)
async def create_message(conversation_id: IdPath, body: MessageCreate, caller: Agent) -> MessageOut:
    async with caller.writing() as act:
        conversation = await actions.get_visible(act, conversation_id)
        message, _ = await actions.add_message(
            act,
            conversation,
            text=body.text,
            html=body.html,
            internal=body.internal,
            client_id=body.client_id,
            override_id=body.override_id,
            override_reason=body.override_reason,
        )
        mail = await email_queries.mail_of_messages(act.session, [message.id])
    return MessageOut.of(message, mail.get(message.id))


@router.post("/conversations/{conversation_id}/handovers", status_code=201)
async def request_handover(
    conversation_id: IdPath, body: HandoverCreate, caller: Agent
) -> HandoverOut:
    async with caller.writing() as act:
        conversation = await actions.get_visible(act, conversation_id)
        handover = await actions.request_handover(
            act, conversation, to_agent_id=body.to_agent_id, note=body.note
        )
    return HandoverOut.model_validate(handover, from_attributes=True)


@router.post("/handovers/{handover_id}/accept")
async def accept_handover(handover_id: IdPath, caller: Agent) -> HandoverOut:
    async with caller.writing() as act:
        handover = await actions.decide_handover(act, handover_id, accept=True)
    return HandoverOut.model_validate(handover, from_attributes=True)


@router.post("/handovers/{handover_id}/decline")
async def decline_handover(handover_id: IdPath, caller: Agent) -> HandoverOut:
    async with caller.writing() as act:
        handover = await actions.decide_handover(act, handover_id, accept=False)
    return HandoverOut.model_validate(handover, from_attributes=True)
