"""Surveys after resolution (SCENARIOS B4): the customer is asked how satisfied they are
and how the problem could have been prevented; the answers feed the reports."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from balie.act import Act
from balie.conversations import actions as conversation_actions
from balie.email import outbound
from balie.errors import Conflict, InvalidInput, NotFound
from balie.store.tables import AbuseWarning, Conversation, Customer, Message, Survey
from balie.surveys import tokens

# One question at a time is enough: a customer asked within a week is not asked again.
QUIET = dt.timedelta(days=7)
MAX_PREVENTION_CHARS = 2000

TEXTS = {
    "nl": (
        "Bedankt voor je contact. Wil je ons in een halve minuut laten weten hoe tevreden je "
        "bent, en hoe we dit probleem hadden kunnen voorkomen? {link}"
    ),
    "en": (
        "Thank you for contacting us. Would you take half a minute to tell us how satisfied "
        "you are, and how we could have prevented this problem? {link}"
    ),
}


def language_of(conversation: Conversation, customer: Customer | None = None) -> str:
    for language in (conversation.language, customer.language if customer else None):
        if language in TEXTS:
            return language
    return "nl"


async def _should_ask(act: Act, conversation: Conversation, customer: Customer) -> bool:
    if conversation.abusive:
        return False
    if customer.blocked_until is not None and customer.blocked_until > act.now:
        return False
    # An ending after abuse warnings is no moment to ask how we did.
    warned = await act.session.scalar(
        select(AbuseWarning.id).where(AbuseWarning.conversation_id == conversation.id).limit(1)
    )
    if warned is not None:
        return False
    replied = await act.session.scalar(
        select(Message.id)
        .where(
            Message.conversation_id == conversation.id,
            Message.author_kind == "agent",
            Message.internal.is_(False),
        )
        .limit(1)
    )
    if replied is None:
        return False
    recent = await act.session.scalar(
        select(Survey.id)
        .join(Conversation, Conversation.id == Survey.conversation_id)
        .where(Conversation.customer_id == customer.id, Survey.sent_at > act.now - QUIET)
        .limit(1)
    )
    return recent is None


async def on_resolved(act: Act, conversation: Conversation) -> None:
    """Send the survey when a conversation is resolved, unless there is a reason not to
    (no agent ever answered, asked within the week, blocked or abusive customer). A chat
    visitor gets it as a message in the widget; everyone else by e-mail."""
    customer = await act.session.get(Customer, conversation.customer_id)
    if customer is None or not await _should_ask(act, conversation, customer):
        return
    by_chat = conversation.channel == "chat" and conversation.visitor is not None
    survey = Survey(
        conversation_id=conversation.id,
        channel="chat" if by_chat else "email",
        status="sent",
        sent_at=act.now,
    )
    act.session.add(survey)
    await act.session.flush()
    text = TEXTS[language_of(conversation, customer)].format(link=tokens.link(survey.id))
    if by_chat:
        await conversation_actions.add_message(
            act, conversation, text=text, internal=False, author_kind="system", reopen=False
        )
    elif await outbound.mail_customer(act, conversation, purpose="survey", text=text) is None:
        # No address or no inbox to write from: there is nobody to ask.
        await act.session.delete(survey)
        await act.session.flush()
        return
    await act.audit(
        "survey.send",
        f"conversation:{conversation.id}",
        after={"survey_id": survey.id, "channel": survey.channel},
    )


def _score(raw: Any) -> int:
    if isinstance(raw, str) and raw.strip().isdigit():
        raw = int(raw.strip())
    if not isinstance(raw, int) or isinstance(raw, bool) or not 1 <= raw <= 5:
        raise InvalidInput("Choose a score from 1 to 5.", field="score")
    return raw


def _prevention(raw: Any) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or "\x00" in raw:
        raise InvalidInput("The answer must be text.", field="prevention")
    text = raw.strip()
    if len(text) > MAX_PREVENTION_CHARS:
        raise InvalidInput(
            f"The answer is limited to {MAX_PREVENTION_CHARS:,} characters.", field="prevention"
        )
    return text or None


async def answer(act: Act, survey_id: int, *, score: Any, prevention: Any) -> Survey:
    """The customer's answer, stored once: a second answer is refused and changes nothing."""
    checked_score, checked_text = _score(score), _prevention(prevention)
    survey = await act.session.get(Survey, survey_id)
    if survey is None:
        raise NotFound("There is no such survey.")
    if survey.status != "sent":
        raise Conflict("This survey was already answered.")
    survey.status, survey.score, survey.prevention = "answered", checked_score, checked_text
    survey.answered_at = act.now
    await act.audit(
        "survey.answer",
        f"conversation:{survey.conversation_id}",
        after={"survey_id": survey.id, "score": checked_score},
    )
    return survey
