"""Granting goodwill within a mandate, asking approval above it, and deciding on it (C2).

An agent grants what their role allows at once; above the limit the action waits for a
supervisor, who sees it live and by e-mail. Every step is audited on the conversation, so
the open conversation page updates while the customer is still there.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from balie.act import Act
from balie.agents.roles import ROLES, at_least
from balie.alerts import actions as alert_actions
from balie.conversations import actions as conversation_actions
from balie.errors import Conflict, Forbidden, InvalidInput, NotFound
from balie.goodwill import queries
from balie.languages import language_of
from balie.policy import mandate
from balie.store.tables import (
    Agent,
    Alert,
    Conversation,
    Customer,
    GoodwillAction,
    MandateLimit,
    Message,
)

MAX_REASON = 1000
MAX_NOTE = 1000
APPROVAL_ALERT = "goodwill_approval"


def _valid_kind(kind: str) -> str:
    try:
        return mandate.check_kind(kind)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="kind") from exc


def _valid_cents(value: int, field: str) -> int:
    try:
        return mandate.check_cents(value, field)
    except ValueError as exc:
        raise InvalidInput(str(exc), field=field) from exc


def _valid_currency(code: str) -> str:
    try:
        return mandate.check_currency(code)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="currency") from exc


def _text(value: str | None, field: str, limit: int, *, required: bool) -> str | None:
    cleaned = (value or "").strip()
    if "\x00" in cleaned:
        raise InvalidInput(f"{field} must not contain NUL characters.", field=field)
    if not cleaned:
        if required:
            raise InvalidInput(f"Give a {field}: it is kept with the decision.", field=field)
        return None
    if len(cleaned) > limit:
        raise InvalidInput(f"{field} is at most {limit} characters.", field=field)
    return cleaned


def _snapshot(action: GoodwillAction) -> dict[str, Any]:
    """What the audit log keeps of an action: its card, under the name alerts use."""
    snapshot = queries.card(action)
    snapshot["goodwill_id"] = snapshot.pop("id")
    return snapshot


def describe(action: GoodwillAction) -> str:
    """ "refund of 80.00 EUR", as alerts and reasons say it."""
    return f"{mandate.NOUNS[action.kind]} of {mandate.money(action.amount_cents, action.currency)}"


async def _lock_person(act: Act) -> None:
    # One agent's grants one after another: two at once must not both fit the month.
    if act.actor.id is not None:
        await act.session.scalar(select(Agent.id).where(Agent.id == act.actor.id).with_for_update())


async def grant(
    act: Act,
    conversation: Conversation,
    *,
    kind: str,
    amount_cents: int,
    reason: str,
    currency: str = mandate.DEFAULT_CURRENCY,
) -> GoodwillAction:
    """Give the customer of ``conversation`` a gesture of goodwill: granted at once within
    the actor's mandate, else waiting for a supervisor (who is alerted)."""
    kind = _valid_kind(kind)
    amount_cents = _valid_cents(amount_cents, "amount_cents")
    currency = _valid_currency(currency)
    cleaned = _text(reason, "reason", MAX_REASON, required=True)
    assert cleaned is not None
    await _lock_person(act)
    limit = await queries.limit_for(act.session, act.actor.role, kind)
    spent = await queries.spent_this_month(
        act.session, agent_id=act.actor.id, kind=kind, currency=limit.currency, now=act.now
    )
    decision = mandate.decide(act.actor.role, kind, amount_cents, spent, limit, currency=currency)
    action = GoodwillAction(
        conversation_id=conversation.id,
        customer_id=conversation.customer_id,
        agent_id=act.actor.id,
        kind=kind,
        amount_cents=amount_cents,
        currency=currency,
        reason=cleaned,
        status="granted" if decision.granted else "pending_approval",
        # Within the mandate the agent's own word is the decision; the reason says so.
        decided_by=act.actor.id if decision.granted else None,
        decided_at=act.now if decision.granted else None,
        decision_note=decision.reason,
        created_at=act.now,
    )
    act.session.add(action)
    await act.session.flush()
    verb = "granted" if decision.granted else "requested"
    await act.audit(f"goodwill.{verb}", f"conversation:{conversation.id}", after=_snapshot(action))
    if not decision.granted:
        await _ask_approval(act, action, conversation, decision.reason)
    return action


async def _ask_approval(
    act: Act, action: GoodwillAction, conversation: Conversation, why: str
) -> None:
    """Supervisors hear of the request at once; when it is beyond what a supervisor may
    approve, the admins are told too, since only they can decide it."""
    who = await _name(act, act.actor.id)
    text = (
        f"Approval needed: {who} would give a {describe(action)} "
        f"on conversation #{conversation.id}: {action.reason}"
    )
    data = {"goodwill_id": action.id, "why": why}
    await alert_actions.raise_alert(
        act, kind=APPROVAL_ALERT, text=text, conversation_id=conversation.id, data=data
    )
    lead_limit = await queries.limit_for(act.session, "supervisor", action.kind)
    if mandate.decide(
        "supervisor", action.kind, action.amount_cents, 0, lead_limit, currency=action.currency
    ).granted:
        return
    admins = await act.session.scalars(
        select(Agent.id).where(Agent.active.is_(True), Agent.role == "admin").order_by(Agent.id)
    )
    for admin_id in list(admins):
        if admin_id != act.actor.id:
            await alert_actions.raise_alert(
                act,
                kind=APPROVAL_ALERT,
                text=f"{text} (beyond a supervisor's mandate: an admin decides)",
                conversation_id=conversation.id,
                agent_id=admin_id,
                data=data,
            )


async def _name(act: Act, agent_id: int | None) -> str:
    agent = await act.session.get(Agent, agent_id) if agent_id is not None else None
    return agent.name if agent is not None else "Balie"


async def _visible_action(act: Act, goodwill_id: int, *, lock: bool = False) -> GoodwillAction:
    query = select(GoodwillAction).where(GoodwillAction.id == goodwill_id)
    action = await act.session.scalar(query.with_for_update() if lock else query)
    if action is None:
        raise NotFound(f"Goodwill action {goodwill_id} does not exist.")
    # Unknown and invisible look the same, like conversations.
    try:
        await conversation_actions.get_visible(act, action.conversation_id)
    except NotFound:
        raise NotFound(f"Goodwill action {goodwill_id} does not exist.") from None
    return action


async def _check_approver(act: Act, action: GoodwillAction) -> None:
    """A supervisor approves within their own mandate; beyond it an admin must."""
    reason = await queries.beyond_approver(act.session, act.actor, action, act.now)
    if reason is not None:
        raise Forbidden(
            f"You cannot approve this {describe(action)}: it is {reason}. "
            "An admin must decide on it.",
            needs="admin",
        )


async def decide(
    act: Act, goodwill_id: int, *, approve: bool, note: str | None = None
) -> GoodwillAction:
    """A supervisor's (or admin's) answer to an approval request; recorded once."""
    if act.actor.kind == "agent" and not at_least(act.actor.role, "supervisor"):
        raise Forbidden("Only a supervisor or an admin decides on goodwill approvals.")
    cleaned = _text(note, "note", MAX_NOTE, required=False)
    action = await _visible_action(act, goodwill_id, lock=True)
    if action.status != "pending_approval":
        raise Conflict(f"This goodwill action was already decided: it is {action.status}.")
    if action.agent_id is not None and action.agent_id == act.actor.id:
        raise Forbidden(
            "You cannot decide on your own request; another supervisor or an admin decides."
        )
    if approve:
        await _check_approver(act, action)
    before = _snapshot(action)
    action.status = "approved" if approve else "denied"
    action.decided_by = act.actor.id
    action.decided_at = act.now
    action.decision_note = cleaned
    await act.audit(
        f"goodwill.{action.status}",
        f"conversation:{action.conversation_id}",
        before=before,
        after=_snapshot(action),
    )
    await _settle_alerts(act, action)
    if action.agent_id is not None:
        # The agent who asked hears it at once, and can tell the customer.
        who = await _name(act, act.actor.id)
        await alert_actions.raise_alert(
            act,
            kind="goodwill_decided",
            text=f"{who} {action.status} your {describe(action)}"
            + (f": {cleaned}" if cleaned else ""),
            conversation_id=action.conversation_id,
            agent_id=action.agent_id,
            data={"goodwill_id": action.id, "status": action.status},
            mail=False,
        )
    return action


async def _settle_alerts(act: Act, action: GoodwillAction) -> None:
    """The approval alert is dealt with once decided, for every supervisor."""
    alerts = await act.session.scalars(
        select(Alert).where(
            Alert.kind == APPROVAL_ALERT,
            Alert.conversation_id == action.conversation_id,
            Alert.done_at.is_(None),
        )
    )
    for alert in list(alerts):
        if (alert.data or {}).get("goodwill_id") == action.id:
            await alert_actions.settle_alert(act, alert.id)


async def set_limit(
    act: Act,
    role: str,
    kind: str,
    *,
    per_action_cents: int,
    per_month_cents: int,
    currency: str,
) -> MandateLimit:
    """An admin sets how much ``role`` may give of ``kind`` without approval."""
    if not at_least(act.actor.role, "admin"):
        raise Forbidden("Only an admin sets mandate limits.")
    if role not in ROLES:
        raise NotFound(f"No role {role!r}; roles are {', '.join(ROLES)}.", field="role")
    if kind not in mandate.KINDS:
        raise NotFound(f"No goodwill kind {kind!r}.", field="kind")
    per_action_cents = _valid_cents(per_action_cents, "per_action_cents")
    per_month_cents = _valid_cents(per_month_cents, "per_month_cents")
    currency = _valid_currency(currency)
    if per_action_cents > per_month_cents:
        raise InvalidInput(
            "per_action_cents cannot be more than per_month_cents: one action would pass "
            "the month's limit by itself.",
            field="per_action_cents",
        )
    row = await act.session.get(MandateLimit, (role, kind))
    old = await queries.limit_for(act.session, role, kind)
    before = queries.limit_card(role, kind, old, configured=row is not None)
    if row is None:
        row = MandateLimit(role=role, kind=kind)
        act.session.add(row)
    row.per_action_cents, row.per_month_cents = per_action_cents, per_month_cents
    row.currency, row.updated_at = currency, act.now
    await act.session.flush()
    after = queries.limit_card(
        role, kind, mandate.Limit(per_action_cents, per_month_cents, currency), configured=True
    )
    await act.audit("mandate.set", f"mandate:{role}:{kind}", before=before, after=after)
    return row


# What the customer is told, per kind, in their language (balie.languages).
_NOUNS_NL = {
    "refund": "terugbetaling",
    "credit": "tegoed",
    "cancel_order_line": "annulering",
    "waive_fee": "kwijtschelding van de kosten",
    "price_match": "prijsaanpassing",
    "replacement": "vervangend product",
    "loan_device": "leentoestel",
}


def good_news(action: GoodwillAction, language: str) -> str:
    """ "Goed nieuws: uw terugbetaling van EUR 80,00 is goedgekeurd." (nl) or the English
    sentence (any other language: ``balie.languages`` picks nl or en); without an amount
    the sentence names only the gesture."""
    whole, cents = divmod(action.amount_cents, 100)
    if language != "nl":
        amount = f" of {action.currency} {whole:,}.{cents:02d}" if action.amount_cents else ""
        return f"Good news: your {mandate.NOUNS[action.kind]}{amount} has been approved."
    grouped = f"{whole:,}".replace(",", ".")
    amount = f" van {action.currency} {grouped},{cents:02d}" if action.amount_cents else ""
    return f"Goed nieuws: uw {_NOUNS_NL[action.kind]}{amount} is goedgekeurd."


async def tell_customer(act: Act, goodwill_id: int) -> Message:
    """Reply to the customer that their gesture was approved, through the coach like any
    reply. Pressed twice, it still sends one message."""
    action = await _visible_action(act, goodwill_id)
    if action.status not in queries.SPENT:
        raise Conflict(f"Only a granted or approved action can be told; this is {action.status}.")
    conversation = await conversation_actions.get_visible(act, action.conversation_id)
    customer = await act.session.get(Customer, conversation.customer_id)
    message, _ = await conversation_actions.add_message(
        act,
        conversation,
        text=good_news(action, language_of(conversation, customer)),
        internal=False,
        client_id=f"goodwill-{action.id}",
    )
    return message
