"""Incidents (B3): a supervisor posts one, the widget shows a banner, new conversations
that mention it are linked, and resolving it sends one update to every linked
conversation: a chat visitor reads it in the widget, an e-mail customer gets a mail."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import httpx
from sqlalchemy import select

from balie.act import CLI, Act, utcnow
from balie.agents.actions import create_inbox
from balie.conversations import actions
from balie.customers.actions import customer_for_email
from balie.live.feed import visitor_messages
from balie.settings import Settings
from balie.store.database import Database
from balie.store.tables import Inbox, OutboxMail
from tests.conftest import MakeAgent, Person, snapshot
from tests.email_fixtures import make_email_inbox

API = "/api/v1"
TEAM = "Team Shop support"  # the team of make_email_inbox's inbox
SHOP_DOWN = {
    "title": "Webshop onbereikbaar",
    "body": "Bestellen en betalen lukt tijdelijk niet.\nWe werken aan een oplossing.",
    "keywords": ["storing", "iDEAL"],
}
BANNER = "Webshop onbereikbaar: Bestellen en betalen lukt tijdelijk niet."


async def inboxes(db: Database) -> tuple[Inbox, Inbox]:
    """A chat inbox and an e-mail inbox of the same team."""
    mail = await make_email_inbox(db)
    async with db.writing() as session:
        chat = await create_inbox(
            Act(session, CLI, utcnow()), team_id=mail.team_id, name="Webwinkel", channel="chat"
        )
    return chat, mail


async def post_incident(lead: Person, inbox_id: int, **over: Any) -> dict[str, Any]:
    r = await lead.client.post(f"{API}/incidents", json={"inbox_id": inbox_id, **SHOP_DOWN, **over})
    assert r.status_code == 201, r.text
    return dict(r.json())


async def arrives(
    db: Database,
    inbox: Inbox,
    *,
    subject: str,
    text: str,
    email: str = "sanne@example.nl",
    visitor: str | None = None,
) -> int:
    """A customer's new conversation in ``inbox``, as chat or e-mail intake creates it."""
    async with db.writing() as session:
        act = Act(session, CLI, utcnow())
        customer = await customer_for_email(act, email=email, name="Sanne de Vries")
        conversation, _ = await actions.create_conversation(
            act,
            customer=customer,
            subject=subject,
            text=text,
            channel=inbox.channel,
            inbox_id=inbox.id,
            visitor=visitor,
        )
    return conversation.id


async def banner(anon: httpx.AsyncClient, inbox: Inbox) -> Any:
    r = await anon.get(f"/chat/v1/inboxes/{inbox.key}")
    assert r.status_code == 200
    return r.json()["incident"]


async def test_a_posted_incident_shows_in_the_widget_and_the_next_one_after_resolving(
    make_agent: MakeAgent, db: Database, anon: httpx.AsyncClient
) -> None:
    lead = await make_agent("supervisor")
    chat, _ = await inboxes(db)
    assert await banner(anon, chat) is None
    first = await post_incident(lead, chat.id)
    assert first["status"] == "open" and first["keywords"] == ["storing", "iDEAL"]
    assert await banner(anon, chat) == BANNER

    second = await post_incident(lead, chat.id, title="Telefoon onbereikbaar", body="", keywords=[])
    assert await banner(anon, chat) == "Telefoon onbereikbaar"
    r = await lead.client.post(
        f"{API}/incidents/{second['id']}/resolve", json={"update": "De telefoon werkt weer."}
    )
    assert r.status_code == 200, r.text
    # The incident still open takes the banner back; resolving it too clears it.
    assert await banner(anon, chat) == BANNER
    await lead.client.post(f"{API}/incidents/{first['id']}/resolve", json={"update": "Opgelost."})
    assert await banner(anon, chat) is None

    listed = await lead.client.get(f"{API}/incidents", params={"status": "resolved"})
    assert [i["id"] for i in listed.json()] == [second["id"], first["id"]]
    assert (await lead.client.get(f"{API}/incidents", params={"status": "open"})).json() == []


async def test_agents_cannot_post_or_resolve_incidents(make_agent: MakeAgent, db: Database) -> None:
    lead = await make_agent("supervisor")
    chat, _ = await inboxes(db)
    agent = await make_agent("agent", team=TEAM)
    before = await snapshot(db)
    r = await agent.client.post(f"{API}/incidents", json={"inbox_id": chat.id, **SHOP_DOWN})
    assert r.status_code == 403
    assert await snapshot(db) == before

    incident = await post_incident(lead, chat.id)
    before = await snapshot(db)
    r = await agent.client.post(
        f"{API}/incidents/{incident['id']}/resolve", json={"update": "Klaar"}
    )
    assert r.status_code == 403
    assert await snapshot(db) == before


async def test_bad_incidents_are_refused_and_change_nothing(
    make_agent: MakeAgent, db: Database
) -> None:
    lead = await make_agent("supervisor")
    chat, _ = await inboxes(db)
    before = await snapshot(db)
    cases = [
        ({"inbox_id": 999_999, **SHOP_DOWN}, 404, "inbox_id"),
        ({"inbox_id": chat.id, **SHOP_DOWN, "title": "   "}, 422, "title"),
        ({"inbox_id": chat.id, **SHOP_DOWN, "keywords": ["storing", " "]}, 422, "keywords"),
        ({"inbox_id": chat.id, **SHOP_DOWN, "severity": "high"}, 422, None),
        ({"inbox_id": chat.id, **SHOP_DOWN, "body": "Klanten zijn idioten."}, 422, "body"),
    ]
    for body, status, field in cases:
        r = await lead.client.post(f"{API}/incidents", json=body)
        assert r.status_code == status, (body, r.text)
        if field:
            assert r.json()["field"] == field
    assert await snapshot(db) == before

    incident = await post_incident(lead, chat.id)
    url = f"{API}/incidents/{incident['id']}"
    before = await snapshot(db)
    assert (await lead.client.post(f"{url}/resolve", json={"update": ""})).status_code == 422
    assert (
        await lead.client.post(f"{url}/link", json={"conversation_id": 999_999})
    ).status_code == 404
    assert (await lead.client.get(f"{API}/incidents/999999")).status_code == 404
    assert await snapshot(db) == before
    await lead.client.post(f"{url}/resolve", json={"update": "Opgelost."})
    before = await snapshot(db)
    r = await lead.client.post(f"{url}/resolve", json={"update": "Nog eens."})
    assert r.status_code == 409
    assert await snapshot(db) == before


async def test_new_conversations_that_mention_the_incident_are_linked_and_tagged(
    make_agent: MakeAgent, db: Database
) -> None:
    lead = await make_agent("supervisor")
    chat, mail = await inboxes(db)
    incident = await post_incident(lead, chat.id)
    by_keyword = await arrives(db, chat, subject="Help", text="Is er een STORING? iDEAL doet raar.")
    by_words = await arrives(
        db,
        chat,
        subject="Kan niet betalen",
        text="Bestellen lukt wel maar betalen lukt niet, "
        "ik krijg steeds een foutmelding bij het betalen. Is de webshop onbereikbaar?",
    )
    unrelated = await arrives(db, chat, subject="Wasmachine lekt", text="Mijn wasmachine lekt.")
    other_inbox = await arrives(db, mail, subject="Storing", text="Is er een storing?")

    r = await lead.client.get(f"{API}/incidents/{incident['id']}")
    linked = {c["id"]: c["how"] for c in r.json()["conversations"]}
    assert linked == {by_keyword: "keyword", by_words: "similarity"}
    assert r.json()["linked_count"] == 2
    tags = (await lead.client.get(f"{API}/conversations/{by_keyword}")).json()["tags"]
    assert tags == [f"incident-{incident['id']}"]
    for conversation_id in (unrelated, other_inbox):
        assert (await lead.client.get(f"{API}/conversations/{conversation_id}")).json()[
            "tags"
        ] == []


async def test_resolving_sends_one_update_to_every_linked_chat_and_email(
    make_agent: MakeAgent, db: Database, settings: Settings
) -> None:
    lead = await make_agent("supervisor")
    chat, mail = await inboxes(db)
    agent = await make_agent("agent", team=TEAM)
    incident = await post_incident(lead, chat.id)
    in_chat = await arrives(
        db, chat, subject="Chat", text="Er is een storing, ik kan niet betalen", visitor="v-1"
    )
    by_mail = await arrives(
        db, mail, subject="Bestelling", text="Mijn betaling is mislukt.", email="joris@example.nl"
    )
    # The e-mail inbox has no incident of its own: the agent links this one by hand.
    r = await agent.client.post(
        f"{API}/incidents/{incident['id']}/link", json={"conversation_id": by_mail}
    )
    assert r.status_code == 200 and r.json()["linked"] is True
    again = await agent.client.post(
        f"{API}/incidents/{incident['id']}/link", json={"conversation_id": by_mail}
    )
    assert again.json()["linked"] is False

    update = "De webshop werkt weer: bestellen en betalen kan weer. Excuses voor het ongemak."
    r = await lead.client.post(f"{API}/incidents/{incident['id']}/resolve", json={"update": update})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "resolved" and r.json()["linked_count"] == 2

    async with db.reading() as session:
        seen = await visitor_messages(session, in_chat, 0, settings.secret_key)
        mails = list(await session.scalars(select(OutboxMail).order_by(OutboxMail.id)))
    assert seen[-1]["text"] == update
    updates = [m for m in mails if m.purpose == "incident_update"]
    assert len(updates) == 1
    assert updates[0].conversation_id == by_mail
    assert updates[0].to_address == "joris@example.nl"
    assert updates[0].status == "queued"
    sent = message_from_bytes(updates[0].content, policy=policy.default)
    assert isinstance(sent, EmailMessage)
    body = sent.get_body(("plain",))
    assert body is not None and update in body.get_content()
    for conversation_id in (in_chat, by_mail):
        timeline = await agent.client.get(f"{API}/conversations/{conversation_id}/messages")
        last = timeline.json()[-1]
        assert last["text"] == update and last["internal"] is False


async def test_a_conversation_linked_by_mistake_is_taken_off_and_gets_no_update(
    make_agent: MakeAgent, db: Database
) -> None:
    lead = await make_agent("supervisor")
    chat, _ = await inboxes(db)
    agent = await make_agent("agent", team=TEAM)
    incident = await post_incident(lead, chat.id)
    url = f"{API}/incidents/{incident['id']}"
    wrong = await arrives(db, chat, subject="Storing?", text="Geen storing, ik wil retour sturen.")
    right = await arrives(db, chat, subject="iDEAL", text="iDEAL werkt niet.")
    assert (await lead.client.get(url)).json()["linked_count"] == 2

    r = await agent.client.post(f"{url}/unlink", json={"conversation_id": wrong})
    assert r.status_code == 200 and r.json()["unlinked"] is True
    assert (await agent.client.get(f"{API}/conversations/{wrong}")).json()["tags"] == []
    before = await snapshot(db)
    again = await agent.client.post(f"{url}/unlink", json={"conversation_id": wrong})
    assert again.status_code == 200 and again.json()["unlinked"] is False
    missing = await agent.client.post(f"{url}/unlink", json={"conversation_id": 999_999})
    assert missing.status_code == 404
    assert await snapshot(db) == before

    update = "De webshop werkt weer."
    assert (await lead.client.post(f"{url}/resolve", json={"update": update})).status_code == 200
    texts = {
        cid: [
            m["text"]
            for m in (await agent.client.get(f"{API}/conversations/{cid}/messages")).json()
        ]
        for cid in (wrong, right)
    }
    assert update not in texts[wrong] and texts[right][-1] == update
    # After the update went out, the link is history.
    before = await snapshot(db)
    late = await agent.client.post(f"{url}/unlink", json={"conversation_id": right})
    assert late.status_code == 409
    assert await snapshot(db) == before
