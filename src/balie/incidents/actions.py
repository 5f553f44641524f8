"""Incidents: a supervisor posts a known problem on an inbox, the widget shows it as a
banner, new conversations that speak of it are linked, and resolving it sends one update
to every linked conversation.

How the update reaches customers: it is stored in each linked conversation as a message
by "system" that is not internal, so agents see it in the timeline and a chat visitor
reads it in the widget (visitors see every non-internal message). Customers who did not
write by chat also get it by e-mail (``mail_customer``, purpose "incident_update"),
threaded with their conversation; a chat is not mailed, its visitor sees the widget.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from balie.act import Act
from balie.agents.roles import at_least
from balie.analysis.coach import coach
from balie.analysis.model import ReplyContext
from balie.chat.settings import MAX_INCIDENT_CHARS
from balie.conversations import actions as conversation_actions
from balie.conversations.rules import MAX_TAGS
from balie.email import outbound
from balie.errors import CoachBlocked, Conflict, Forbidden, InvalidInput, NotFound
from balie.incidents import matching
from balie.store.tables import Conversation, Inbox, Incident, IncidentLink, Message

MAX_TITLE = 200
MAX_BODY = 5_000
MAX_UPDATE = 5_000


def tag_of(incident_id: int) -> str:
    return f"incident-{incident_id}"


def _snapshot(incident: Incident) -> dict[str, Any]:
    return {
        "inbox_id": incident.inbox_id,
        "title": incident.title,
        "body": incident.body,
        "keywords": incident.keywords,
        "status": incident.status,
        "resolution": incident.resolution,
    }


def _lead(act: Act, doing: str) -> None:
    if not at_least(act.actor.role, "supervisor"):
        raise Forbidden(f"Only a supervisor or admin {doing}.")


def _no_insult(text: str, field: str) -> None:
    # Text that goes out to many customers at once passes the coach's hardest rule.
    verdict = coach(text, ReplyContext())
    if verdict.verdict == "block":
        raise CoachBlocked(
            "The coach blocked this text; rewrite it.", field=field, coaching=verdict.as_json()
        )


def banner(incident: Incident) -> str:
    """What the widget shows: the title and the body's first line."""
    first_line = next((line.strip() for line in incident.body.splitlines() if line.strip()), "")
    text = f"{incident.title}: {first_line}" if first_line else incident.title
    return text if len(text) <= MAX_INCIDENT_CHARS else text[: MAX_INCIDENT_CHARS - 1] + "…"


async def _sync_banner(act: Act, inbox: Inbox) -> None:
    """The inbox's banner follows its newest open incident, and is cleared without one."""
    newest = await act.session.scalar(
        select(Incident)
        .where(Incident.inbox_id == inbox.id, Incident.status == "open")
        .order_by(Incident.created_at.desc(), Incident.id.desc())
        .limit(1)
    )
    wanted = banner(newest) if newest is not None else None
    if inbox.incident == wanted:
        return
    before = inbox.incident
    inbox.incident = wanted
    await act.audit(
        "inbox.incident",
        f"inbox:{inbox.id}",
        before={"incident": before},
        after={"incident": wanted},
    )


async def get(act: Act, incident_id: int) -> Incident:
    incident = await act.session.get(Incident, incident_id)
    if incident is None:
        raise NotFound(f"Incident {incident_id} does not exist.")
    return incident


async def create(
    act: Act,
    *,
    inbox_id: int,
    title: str,
    body: str = "",
    keywords: list[str] = (),  # type: ignore[assignment]
) -> Incident:
    _lead(act, "posts an incident")
    title = " ".join(title.split())
    if not 1 <= len(title) <= MAX_TITLE:
        raise InvalidInput(f"A title needs 1 to {MAX_TITLE} characters.", field="title")
    body = body.replace("\r\n", "\n").strip()
    if len(body) > MAX_BODY:
        raise InvalidInput(f"The text is limited to {MAX_BODY:,} characters.", field="body")
    try:
        clean_keywords = matching.clean_keywords(list(keywords))
    except ValueError as exc:
        raise InvalidInput(str(exc), field="keywords") from exc
    inbox = await act.session.get(Inbox, inbox_id)
    if inbox is None:
        raise NotFound(f"Inbox {inbox_id} does not exist.", field="inbox_id")
    _no_insult(f"{title}\n{body}", "body")
    incident = Incident(
        inbox_id=inbox.id,
        title=title,
        body=body,
        keywords=clean_keywords,
        status="open",
        created_by=act.actor.id,
        created_at=act.now,
    )
    act.session.add(incident)
    await act.session.flush()
    await act.audit("incident.create", f"incident:{incident.id}", after=_snapshot(incident))
    await _sync_banner(act, inbox)
    return incident


async def link(act: Act, incident: Incident, conversation: Conversation, *, how: str) -> bool:
    """Link a conversation to an open incident and tag it; False when it already was."""
    if incident.status != "open":
        raise Conflict(f"Incident {incident.id} is {incident.status}; only open ones link.")
    existing = await act.session.get(
        IncidentLink, {"incident_id": incident.id, "conversation_id": conversation.id}
    )
    if existing is not None:
        return False
    act.session.add(
        IncidentLink(
            incident_id=incident.id, conversation_id=conversation.id, how=how, created_at=act.now
        )
    )
    await act.session.flush()
    tags = await conversation_actions.tags_of(act, conversation.id)
    # A full set of tags is no reason to lose the link (or a customer's first message).
    if tag_of(incident.id) not in tags and len(tags) < MAX_TAGS:
        await conversation_actions.set_tags(act, conversation, [*tags, tag_of(incident.id)])
    await act.audit(
        "incident.link",
        f"conversation:{conversation.id}",
        after={"incident_id": incident.id, "how": how},
    )
    return True


async def unlink(act: Act, incident: Incident, conversation: Conversation) -> bool:
    """Take a conversation off an open incident (linked by mistake, or by a keyword that
    meant something else): it gets no update when the incident is resolved and loses the
    incident's tag. False when it was not linked."""
    if incident.status != "open":
        raise Conflict(
            f"Incident {incident.id} is {incident.status}; its update has gone out already."
        )
    existing = await act.session.get(
        IncidentLink, {"incident_id": incident.id, "conversation_id": conversation.id}
    )
    if existing is None:
        return False
    how = existing.how
    await act.session.delete(existing)
    await act.session.flush()
    tags = await conversation_actions.tags_of(act, conversation.id)
    if tag_of(incident.id) in tags:
        await conversation_actions.set_tags(
            act, conversation, [t for t in tags if t != tag_of(incident.id)]
        )
    await act.audit(
        "incident.unlink",
        f"conversation:{conversation.id}",
        before={"incident_id": incident.id, "how": how},
    )
    return True


async def on_new_conversation(act: Act, conversation: Conversation, message: Message) -> None:
    """A new conversation in an inbox with open incidents is linked to each one it speaks
    of (see ``balie.incidents.matching``)."""
    if conversation.inbox_id is None:
        return
    open_ones = await act.session.scalars(
        select(Incident)
        .where(Incident.inbox_id == conversation.inbox_id, Incident.status == "open")
        .order_by(Incident.id)
    )
    for incident in list(open_ones):
        verdict = matching.match(
            title=incident.title,
            body=incident.body,
            keywords=list(incident.keywords),
            subject=conversation.subject,
            text=message.text,
            language=conversation.language,
        )
        if verdict is not None:
            await link(act, incident, conversation, how=verdict.how)


async def resolve(act: Act, incident_id: int, *, update: str) -> tuple[Incident, int]:
    """Resolve the incident and send ``update`` to every linked conversation; returns the
    incident and how many conversations were told."""
    _lead(act, "resolves an incident")
    incident = await get(act, incident_id)
    if incident.status != "open":
        raise Conflict(f"Incident {incident.id} was already {incident.status}.")
    update = update.replace("\r\n", "\n").strip()
    if not 1 <= len(update) <= MAX_UPDATE:
        raise InvalidInput(f"The update needs 1 to {MAX_UPDATE:,} characters.", field="update")
    _no_insult(update, "update")
    before = _snapshot(incident)
    incident.status, incident.resolution, incident.resolved_at = "resolved", update, act.now
    await act.audit(
        "incident.resolve", f"incident:{incident.id}", before=before, after=_snapshot(incident)
    )
    linked = await act.session.scalars(
        select(Conversation)
        .join(IncidentLink, IncidentLink.conversation_id == Conversation.id)
        .where(IncidentLink.incident_id == incident.id)
        .order_by(Conversation.id)
    )
    told = 0
    for conversation in list(linked):
        message, _ = await conversation_actions.add_message(
            act, conversation, text=update, internal=False, author_kind="system", reopen=False
        )
        mail = (
            await outbound.mail_customer(act, conversation, purpose="incident_update", text=update)
            if conversation.channel != "chat"
            else None
        )
        await act.audit(
            "incident.update_sent",
            f"conversation:{conversation.id}",
            after={
                "incident_id": incident.id,
                "message_id": message.id,
                "outbox_id": mail.id if mail else None,
            },
        )
        told += 1
    inbox = await act.session.get(Inbox, incident.inbox_id)
    if inbox is not None:
        await _sync_banner(act, inbox)
    return incident, told
