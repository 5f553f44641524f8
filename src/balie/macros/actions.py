"""Macros: saving personal and shared ones (checked by the coach first), and applying one
to a conversation: its text rendered for that customer, and when sent, its actions."""

from __future__ import annotations

import importlib
from typing import Any

from sqlalchemy import select

from balie.act import Act
from balie.agents.roles import at_least
from balie.analysis.coach import coach
from balie.analysis.model import Coaching, ReplyContext
from balie.conversations import actions as conversation_actions
from balie.errors import CoachBlocked, Conflict, Forbidden, InvalidInput, NotFound
from balie.hours import parse_hours
from balie.macros import render, rules
from balie.store.tables import (
    Agent,
    AuditEvent,
    Conversation,
    Customer,
    Inbox,
    Macro,
    Message,
    Order,
    Product,
)

# The name Balie gives a chat visitor who did not say theirs: not a name to greet with.
_NO_NAME = "Visitor"


def _snapshot(macro: Macro) -> dict[str, Any]:
    return {
        "owner_id": macro.owner_id,
        "name": macro.name,
        "language": macro.language,
        "body": macro.body,
        "actions": macro.actions,
    }


def _clean(call: Any, *args: Any) -> Any:
    try:
        return call(*args)
    except rules.BadMacro as bad:
        raise InvalidInput(bad.message, field=bad.field) from bad


def check_text(body: str, language: str) -> Coaching:
    """The coach's verdict on a macro's words. Unknown placeholders are refused first;
    the known ones are filled with neutral samples, so the coach reads a real reply."""
    unknown = render.unknown_placeholders(body)
    if unknown:
        known = ", ".join("{" + p + "}" for p in render.PLACEHOLDERS)
        raise InvalidInput(
            f"Unknown placeholder {', '.join('{' + u + '}' for u in unknown)}; use {known}.",
            field="body",
            unknown=unknown,
        )
    sample = render.render(body, render.SAMPLE)
    coaching = coach(sample, ReplyContext(language=language))  # type: ignore[arg-type]
    if coaching.verdict == "block":
        raise CoachBlocked(
            "The coach blocked this macro's text; rewrite it before saving.",
            field="body",
            coaching=coaching.as_json(),
        )
    return coaching


def _may_edit(act: Act, macro: Macro) -> None:
    if macro.owner_id is None:
        if not at_least(act.actor.role, "supervisor"):
            raise Forbidden("Only a supervisor or admin changes a shared macro.")
    elif macro.owner_id != act.actor.id:
        raise NotFound(f"Macro {macro.id} does not exist.")


async def get_usable(act: Act, macro_id: int) -> Macro:
    """A macro the actor may use: their own or a shared one; others' look unknown."""
    macro = await act.session.get(Macro, macro_id)
    if macro is None or macro.owner_id not in (None, act.actor.id):
        raise NotFound(f"Macro {macro_id} does not exist.")
    return macro


async def create(
    act: Act,
    *,
    name: str,
    language: str,
    body: str,
    actions: list[Any],
    shared: bool = False,
) -> tuple[Macro, Coaching]:
    """A new macro: personal, or shared (supervisors and admins only). Returns the coach's
    verdict too, so its warnings are shown with the saved macro."""
    if shared and not at_least(act.actor.role, "supervisor"):
        raise Forbidden("Only a supervisor or admin creates a shared macro.")
    if not shared and (act.actor.kind != "agent" or act.actor.id is None):
        raise InvalidInput("A personal macro belongs to an agent.", field="shared")
    clean_name = _clean(rules.clean_name, name)
    clean_language = _clean(rules.clean_language, language)
    clean_body = _clean(rules.clean_body, body)
    clean_actions = _clean(rules.clean_actions, actions)
    coaching = check_text(clean_body, clean_language)
    macro = Macro(
        owner_id=None if shared else act.actor.id,
        name=clean_name,
        language=clean_language,
        body=clean_body,
        actions=clean_actions,
        created_by=act.actor.id,
        created_at=act.now,
        updated_at=act.now,
    )
    act.session.add(macro)
    await act.session.flush()
    await act.audit("macro.create", f"macro:{macro.id}", after=_snapshot(macro))
    return macro, coaching


async def update(
    act: Act,
    macro_id: int,
    *,
    name: str,
    language: str,
    body: str,
    actions: list[Any],
) -> tuple[Macro, Coaching]:
    macro = await get_usable(act, macro_id)
    _may_edit(act, macro)
    clean_name = _clean(rules.clean_name, name)
    clean_language = _clean(rules.clean_language, language)
    clean_body = _clean(rules.clean_body, body)
    clean_actions = _clean(rules.clean_actions, actions)
    coaching = check_text(clean_body, clean_language)
    before = _snapshot(macro)
    macro.name, macro.language, macro.body = clean_name, clean_language, clean_body
    macro.actions = clean_actions
    macro.updated_at = act.now
    await act.audit("macro.update", f"macro:{macro.id}", before=before, after=_snapshot(macro))
    return macro, coaching


async def delete(act: Act, macro_id: int) -> None:
    macro = await get_usable(act, macro_id)
    _may_edit(act, macro)
    await act.audit("macro.delete", f"macro:{macro.id}", before=_snapshot(macro))
    await act.session.delete(macro)
    await act.session.flush()


async def placeholder_data(
    act: Act, conversation: Conversation, language: str
) -> dict[str, str | None]:
    """What each placeholder stands for in this conversation; None where Balie has no data."""
    customer = await act.session.get(Customer, conversation.customer_id)
    customer_name = customer.name if customer and customer.name != _NO_NAME else None
    order = await act.session.get(Order, conversation.order_id) if conversation.order_id else None
    product_id = conversation.product_id or (order.product_id if order else None)
    product = await act.session.get(Product, product_id) if product_id else None
    agent = await act.session.get(Agent, act.actor.id) if act.actor.kind == "agent" else None
    inbox = await act.session.get(Inbox, conversation.inbox_id) if conversation.inbox_id else None
    hours = None
    if inbox is not None:
        try:
            hours = render.describe_hours(parse_hours(inbox.hours), language)
        except ValueError:
            hours = None  # hours stored before a check existed: say nothing rather than wrong
    return {
        "customer_name": customer_name,
        "customer_first_name": render.first_name(customer_name),
        "order_reference": order.reference if order else None,
        "product_name": product.name if product else None,
        "agent_name": agent.name if agent else None,
        "agent_first_name": render.first_name(agent.name if agent else None),
        "business_hours": hours,
        "conversation_id": str(conversation.id),
    }


async def render_for(act: Act, conversation: Conversation, macro: Macro) -> str:
    """The macro's text for this conversation; refused, naming what is missing, when a
    placeholder has no data here."""
    data = await placeholder_data(act, conversation, macro.language)
    try:
        return render.render(macro.body, data)
    except render.MissingData as missing:
        raise InvalidInput(str(missing), field="body", missing=missing.missing) from missing


async def _grant(act: Act, conversation: Conversation, action: dict[str, Any]) -> dict[str, Any]:
    # Imported here: goodwill is its own room and imports conversation code itself.
    try:
        goodwill = importlib.import_module("balie.goodwill.actions")
    except ImportError as exc:
        raise Conflict("Goodwill cannot be granted from a macro on this Balie.") from exc
    granted = await goodwill.grant(
        act,
        conversation,
        kind=action["kind"],
        amount_cents=action["amount_cents"],
        reason=action["reason"],
    )
    return {
        "type": "goodwill",
        "id": granted.id,
        "kind": granted.kind,
        "amount_cents": granted.amount_cents,
        "status": granted.status,
    }


async def _sent_before(
    act: Act, conversation: Conversation, client_id: str
) -> dict[str, Any] | None:
    """What an earlier send with this ``client_id`` did (from its ``macro.apply`` audit
    record), or None when there was none."""
    if not 1 <= len(client_id) <= 100:
        raise InvalidInput("client_id must be 1 to 100 characters.", field="client_id")
    message = await act.session.scalar(
        select(Message).where(
            Message.conversation_id == conversation.id, Message.client_id == client_id
        )
    )
    if message is None:
        return None
    applied = await act.session.scalars(
        select(AuditEvent.after).where(
            AuditEvent.target == f"conversation:{conversation.id}",
            AuditEvent.action == "macro.apply",
        )
    )
    for after in applied:
        if (after or {}).get("message_id") == message.id:
            done = list(after.get("actions") or [])
            return {"text": message.text, "sent": True, "message_id": message.id, "actions": done}
    raise Conflict("That client_id belongs to another message in this conversation.")


async def apply(
    act: Act,
    conversation: Conversation,
    macro: Macro,
    *,
    send: bool,
    client_id: str | None = None,
) -> dict[str, Any]:
    """Render the macro for this conversation; with ``send``, send it as a reply (the coach
    checks the rendered text) and carry out its actions in order. Everything happens in
    the caller's transaction: when one step fails, nothing is stored.

    A send retried with the same ``client_id`` (a double click, a resent request) returns
    what the first one did and does nothing again: no second reply, no second goodwill."""
    if send and client_id is not None:
        earlier = await _sent_before(act, conversation, client_id)
        if earlier is not None:
            return earlier
    text = await render_for(act, conversation, macro)
    if not send:
        return {"text": text, "sent": False, "message_id": None, "actions": []}
    message, _ = await conversation_actions.add_message(
        act, conversation, text=text, internal=False, client_id=client_id, retry_checked=True
    )
    done: list[dict[str, Any]] = []
    for action in macro.actions:
        if action["type"] == "tag":
            tags = await conversation_actions.tags_of(act, conversation.id)
            if action["tag"] not in tags:
                await conversation_actions.set_tags(act, conversation, [*tags, action["tag"]])
            done.append({"type": "tag", "tag": action["tag"]})
        elif action["type"] == "status":
            # Already there is what the macro wanted; any other refusal undoes the send.
            if conversation.status != action["status"]:
                await conversation_actions.change_status(act, conversation, action["status"])
            done.append({"type": "status", "status": conversation.status})
        elif action["type"] == "goodwill":
            done.append(await _grant(act, conversation, action))
    await act.audit(
        "macro.apply",
        f"conversation:{conversation.id}",
        after={"macro_id": macro.id, "message_id": message.id, "actions": done},
    )
    return {"text": text, "sent": True, "message_id": message.id, "actions": done}
