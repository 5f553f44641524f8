"""The guardrails inside the action layer: triage stored with every customer message,
the coach's verdict checked before an agent's text is stored, overrides, promises.

The judging itself is pure (``balie.analysis``); this module only applies it to state.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select

from balie.act import Act
from balie.analysis.coach import coach
from balie.analysis.model import Coaching, ReplyContext, Triage
from balie.analysis.triage import triage
from balie.conversations.rules import URGENCY
from balie.errors import CoachBlocked, Conflict, Forbidden, InvalidInput, NotFound
from balie.store.tables import CoachOverride, Conversation, Message, Promise
from balie.zone import LOCAL_ZONE

UPSET_SENTIMENT = -0.3
LEADS = ("supervisor", "admin")


def draft_hash(text: str) -> str:
    return hashlib.sha256(text.strip().encode()).hexdigest()


def judge(conversation: Conversation, text: str, early: Triage | None = None) -> Triage:
    """Triage of a customer's text, in the conversation's language when it is known.
    ``early``: the same text judged before the write transaction (pure CPU work, better done
    outside the write lock), used when the conversation's language does not change it."""
    language = conversation.language if conversation.language in ("nl", "en") else None
    if early is not None and language in (None, early.language):
        return early
    return triage(text, language)  # type: ignore[arg-type]


async def apply_triage(
    act: Act, conversation: Conversation, message: Message, result: Triage
) -> None:
    """Raise the conversation's flags by a stored message's triage. Flags only rise: a
    later polite message does not hide an earlier threat."""
    before = _flags(conversation)
    conversation.abusive = conversation.abusive or result.abusive
    conversation.angry = conversation.angry or result.anger
    conversation.wants_human = conversation.wants_human or result.wants_human
    if conversation.intent is None or result.intent == "complaint":
        conversation.intent = result.intent
    if conversation.language is None and result.language in ("nl", "en"):
        conversation.language = result.language
    if URGENCY[result.severity] > conversation.urgency:
        conversation.severity = result.severity
        conversation.urgency = URGENCY[result.severity]
    after = _flags(conversation)
    if after != before:
        reasons = [e.reason for e in result.evidence][:5]
        await act.audit(
            "conversation.triage",
            f"conversation:{conversation.id}",
            before=before,
            after={**after, "message_seq": message.seq, "evidence": reasons},
        )


def _flags(c: Conversation) -> dict[str, Any]:
    return {
        "severity": c.severity,
        "abusive": c.abusive,
        "angry": c.angry,
        "wants_human": c.wants_human,
        "intent": c.intent,
        "language": c.language,
    }


async def reply_context(act: Act, conversation: Conversation, *, internal: bool) -> ReplyContext:
    """What the coach needs to know, read from the conversation and its last customer words."""
    last_triage = await act.session.scalar(
        select(Message.triage)
        .where(Message.conversation_id == conversation.id, Message.author_kind == "customer")
        .order_by(Message.seq.desc())
        .limit(1)
    )
    sentiment = float((last_triage or {}).get("sentiment", 0.0))
    upset = conversation.angry or conversation.abusive or sentiment <= UPSET_SENTIMENT
    severity = conversation.severity if conversation.severity in URGENCY else "normal"
    language = conversation.language if conversation.language in ("nl", "en") else None
    return ReplyContext(
        customer_upset=upset,
        severity=severity,  # type: ignore[arg-type]
        company_at_fault=False,
        internal=internal,
        customer_abusive=conversation.abusive,
        # Promises ("morgen voor 12:00") are read in the agents' own time zone.
        now=act.now.astimezone(LOCAL_ZONE),
        language=language,  # type: ignore[arg-type]
    )


async def check_draft(
    act: Act,
    conversation: Conversation,
    *,
    text: str,
    internal: bool,
    override_id: int | None,
    override_reason: str | None,
) -> tuple[Coaching, dict[str, Any]]:
    """Coach an agent's text before it is stored. A blocked text needs an override: a
    supervisor's own reason, or an agent's request a supervisor approved for this text."""
    coaching = coach(text, await reply_context(act, conversation, internal=internal))
    record: dict[str, Any] = coaching.as_json()
    if coaching.verdict != "block":
        return coaching, record
    if override_id is not None:
        override = await act.session.get(CoachOverride, override_id)
        if (
            override is None
            or override.conversation_id != conversation.id
            or override.agent_id != act.actor.id
        ):
            raise NotFound(f"Override {override_id} is not yours for this conversation.")
        if override.status != "approved":
            raise Conflict(f"Override {override_id} is {override.status}, not approved.")
        if override.draft_hash != draft_hash(text) or override.internal != internal:
            raise Conflict("The approved override was for a different text.")
        override.status = "used"
        record["override"] = {"id": override.id, "approved_by": override.decided_by}
    elif override_reason and override_reason.strip() and act.actor.role in LEADS:
        record["override"] = {"reason": override_reason.strip(), "approved_by": act.actor.id}
    else:
        raise CoachBlocked(
            "The coach blocked this text. Rewrite it, or ask a supervisor to approve an "
            "override with a reason.",
            coaching=record,
        )
    await act.audit(
        "coach.override_used",
        f"conversation:{conversation.id}",
        after={"flags": [f["kind"] for f in record["flags"]], **record["override"]},
    )
    return coaching, record


async def record_promises(
    act: Act, conversation: Conversation, message: Message, coaching: Coaching
) -> list[Promise]:
    rows = [
        Promise(
            conversation_id=conversation.id,
            message_id=message.id,
            agent_id=message.author_agent_id,
            text=p.text[:300],
            due_at=p.due,
            status="open",
            created_at=act.now,
        )
        for p in coaching.promises
    ]
    act.session.add_all(rows)
    if rows:
        await act.session.flush()
        await act.audit(
            "promise.create",
            f"conversation:{conversation.id}",
            after={"promises": [{"text": r.text, "due_at": r.due_at} for r in rows]},
        )
        # Each one with a due time becomes a follow-up: reminded, and reported if unkept.
        from balie.promises import actions as promise_actions

        await promise_actions.track(act, rows)
    return rows


async def request_override(
    act: Act, conversation: Conversation, *, text: str, reason: str, internal: bool = False
) -> CoachOverride:
    reason = reason.strip()
    if not reason or len(reason) > 1000:
        raise InvalidInput("An override needs a reason of 1 to 1,000 characters.", field="reason")
    if not text.strip():
        raise InvalidInput("The text to send cannot be empty.", field="text")
    override = CoachOverride(
        conversation_id=conversation.id,
        agent_id=act.actor.id,
        text=text.strip(),
        internal=internal,
        draft_hash=draft_hash(text),
        reason=reason,
        status="pending",
        created_at=act.now,
    )
    act.session.add(override)
    await act.session.flush()
    await act.audit(
        "coach.override_request",
        f"conversation:{conversation.id}",
        after={"override_id": override.id, "reason": reason},
    )
    return override


async def decide_override(act: Act, override_id: int, *, approve: bool) -> CoachOverride:
    if act.actor.role not in LEADS:
        raise Forbidden("Only a supervisor can decide on an override.")
    override = await act.session.get(CoachOverride, override_id)
    if override is None:
        raise NotFound(f"Override {override_id} does not exist.")
    if override.status != "pending":
        raise Conflict(f"Override {override_id} was already {override.status}.")
    if override.agent_id == act.actor.id:
        raise Forbidden("An override needs someone else's approval.")
    override.status = "approved" if approve else "declined"
    override.decided_by = act.actor.id
    override.decided_at = act.now
    await act.audit(
        f"coach.override_{override.status}",
        f"conversation:{override.conversation_id}",
        after={"override_id": override.id},
    )
    return override


def refuse_insults(text: str, *, field: str) -> None:
    """Record fields (names, notes) are internal text: insults in them are refused (F2)."""
    if not text.strip():
        return
    coaching = coach(text, ReplyContext(internal=True))
    if coaching.verdict == "block":
        raise CoachBlocked(
            f"The {field} contains words about the customer that Balie does not store.",
            field=field,
            coaching=coaching.as_json(),
        )
