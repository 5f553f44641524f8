"""The language Balie writes to a customer in (a boundary message, "good news", a
refusal): the conversation's when Balie speaks it, else the customer's, else English (the
language most customers who are neither Dutch nor English read). Pure."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only their types: pure policy modules import this one
    from balie.store.tables import Conversation, Customer

SPOKEN = ("nl", "en")
FALLBACK = "en"


def first_spoken(*candidates: str | None) -> str:
    """The first of the given languages Balie speaks; English when none is."""
    for language in candidates:
        if language in SPOKEN:
            return language
    return FALLBACK


def language_of(conversation: Conversation | None, customer: Customer | None = None) -> str:
    """What to write to this customer in, in this conversation."""
    return first_spoken(
        conversation.language if conversation is not None else None,
        customer.language if customer is not None else None,
    )
