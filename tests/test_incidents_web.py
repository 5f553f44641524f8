"""Incidents in the inbox: supervisors post and resolve them on the incidents page; the
conversation's panel shows the incident it is linked to, or lets an agent link it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from balie.act import CLI, Act, utcnow
from balie.agents.actions import create_inbox, create_team
from balie.conversations import actions
from balie.customers.actions import customer_for_email
from balie.store.database import Database
from balie.store.tables import Inbox, Incident, Message
from tests.conftest import MakeAgent, snapshot
from tests.test_web_support import log_in, page_csrf, web_client


async def chat_inbox(db: Database) -> Inbox:
    async with db.writing() as session:
        act = Act(session, CLI, utcnow())
        team = await create_team(act, name="Winkel")
        return await create_inbox(act, team_id=team.id, name="Webwinkel", channel="chat")


async def arrives(db: Database, inbox: Inbox, subject: str, text: str) -> int:
    async with db.writing() as session:
        act = Act(session, CLI, utcnow())
        customer = await customer_for_email(act, email="sanne@example.nl", name="Sanne")
        conversation, _ = await actions.create_conversation(
            act, customer=customer, subject=subject, text=text, channel="chat", inbox_id=inbox.id
        )
    return conversation.id


async def test_a_supervisor_posts_and_resolves_an_incident_on_the_page(
    app: Any, db: Database, make_agent: MakeAgent
) -> None:
    lead = await make_agent("supervisor", language="nl")
    inbox = await chat_inbox(db)
    async with web_client(app) as browser:
        await log_in(browser, lead.email)
        csrf = await page_csrf(browser, "/incidents")
        r = await browser.post(
            "/incidents",
            data={
                "csrf": csrf,
                "inbox_id": str(inbox.id),
                "title": "Webshop onbereikbaar",
                "body": "Bestellen lukt tijdelijk niet.",
                "keywords": "storing, webshop",
            },
        )
        assert r.status_code == 303
        linked = await arrives(db, inbox, "Storing?", "Is er een storing in de webshop?")
        page = (await browser.get("/incidents")).text
        assert "Webshop onbereikbaar" in page and "1 gekoppelde gesprekken" in page
        assert f'href="/conversations/{linked}"' in page

        async with db.reading() as session:
            (incident,) = await session.scalars(select(Incident))
        r = await browser.post(
            f"/incidents/{incident.id}/resolve",
            data={"csrf": csrf, "update": "De webshop werkt weer."},
        )
        assert r.status_code == 303
        page = (await browser.get("/incidents")).text
    assert "Geen lopende storingen." in page
    async with db.reading() as session:
        texts = list(
            await session.scalars(
                select(Message.text).where(Message.conversation_id == linked).order_by(Message.seq)
            )
        )
    assert texts[-1] == "De webshop werkt weer."


async def test_agents_cannot_open_the_incidents_page_or_post_one(
    app: Any, db: Database, make_agent: MakeAgent
) -> None:
    person = await make_agent("agent", language="en")
    inbox = await chat_inbox(db)
    async with web_client(app) as browser:
        await log_in(browser, person.email)
        assert (await browser.get("/incidents")).status_code == 403
        csrf = await page_csrf(browser, "/")
        before = await snapshot(db)
        r = await browser.post(
            "/incidents", data={"csrf": csrf, "inbox_id": str(inbox.id), "title": "Nep"}
        )
    assert r.status_code == 403
    assert await snapshot(db) == before


async def test_the_panel_shows_the_linked_incident_or_offers_to_link(
    app: Any, db: Database, make_agent: MakeAgent
) -> None:
    lead = await make_agent("supervisor", language="en")
    inbox = await chat_inbox(db)
    person = await make_agent("agent", language="en", team="Winkel")
    created = await lead.client.post(
        "/api/v1/incidents",
        json={"inbox_id": inbox.id, "title": "Payments down", "keywords": ["payment"]},
    )
    incident_id = created.json()["id"]
    mentions = await arrives(db, inbox, "Payment failed", "My payment failed twice.")
    other = await arrives(db, inbox, "Question", "Do you sell kettles?")
    async with web_client(app) as browser:
        await log_in(browser, person.email)
        shown = await browser.get(f"/conversations/{mentions}/incidents")
        assert "Payments down" in shown.text and "Ongoing" in shown.text
        assert "Link to this incident" not in shown.text
        offer = await browser.get(f"/conversations/{other}/incidents")
        assert "Link to this incident" in offer.text
        csrf = await page_csrf(browser, f"/conversations/{other}")
        r = await browser.post(
            f"/conversations/{other}/incidents/{incident_id}/link", data={"csrf": csrf}
        )
        assert r.status_code == 303
        shown = await browser.get(f"/conversations/{other}/incidents")
        assert "Link to this incident" not in shown.text
        assert "the customer gets the update automatically" in shown.text
        # Linked by mistake: taken off again, and offered to link once more.
        r = await browser.post(
            f"/conversations/{other}/incidents/{incident_id}/unlink", data={"csrf": csrf}
        )
        assert r.status_code == 303
        shown = await browser.get(f"/conversations/{other}/incidents")
    assert "Link to this incident" in shown.text
    assert "Not about this incident" not in shown.text
