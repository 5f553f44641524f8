"""What else happens when a conversation moves: the service rooms' reactions.

The conversation actions call these at fixed points, in the same transaction, so an SLA
clock, a repeat flag or an incident link is committed with the message that caused it.
Each room keeps its own rules; this module only says when they run.
"""

from __future__ import annotations

from balie.abuse import actions as abuse
from balie.act import Act
from balie.incidents import actions as incidents
from balie.repeats import actions as repeats
from balie.sla import clock
from balie.store.tables import Conversation, Message
from balie.surveys import actions as surveys


async def on_customer_message(
    act: Act, conversation: Conversation, message: Message, *, new: bool, contact: bool = True
) -> None:
    """A customer's message was stored (``new``: it opened the conversation).

    ``contact=False``: an automatic mail from the customer's address (an out-of-office
    answer, list mail), kept in the timeline but not the customer asking anything: no
    clock starts or bumps (nobody has to answer it), and it is no abuse to park."""
    if new:
        await repeats.on_new_conversation(act, conversation)
        await incidents.on_new_conversation(act, conversation, message)
    if not contact:
        return
    await abuse.on_customer_message(act, conversation)
    await clock.on_customer_message(act, conversation, message, new=new)


async def on_agent_reply(act: Act, conversation: Conversation, message: Message) -> None:
    """An agent's (or the bot's) public reply was stored."""
    await clock.on_agent_reply(act, conversation, message)


async def on_status(act: Act, conversation: Conversation, old: str) -> None:
    """The status changed from ``old`` to ``conversation.status``."""
    await clock.on_status(act, conversation, old)
    if conversation.status == "resolved":
        await surveys.on_resolved(act, conversation)
