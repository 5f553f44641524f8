"""Alerts: who sees them, marking them dealt with, the live frames and the e-mail."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from balie.act import SYSTEM, Act, Actor, utcnow
from balie.alerts.actions import raise_alert
from balie.live import feed
from balie.store.database import Database
from balie.store.tables import Inbox, MailRecord, OutboxMail
from tests.conftest import MakeAgent, new_conversation, snapshot
from tests.email_fixtures import email_inbox  # noqa: F401  (a fixture)
from tests.test_web_support import log_in, page_csrf, web_client


async def alert(db: Database, **kw: Any) -> int:
    async with db.writing() as session:
        made = await raise_alert(Act(session, SYSTEM, utcnow()), **kw)
        return made.id


async def open_conversation(person: Any, **over: Any) -> int:
    made = await person.client.post("/api/v1/conversations", json=new_conversation(**over))
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


async def test_supervisors_see_team_alerts_and_agents_only_their_own(
    db: Database, make_agent: MakeAgent
) -> None:
    lead = await make_agent("supervisor")
    agent = await make_agent("agent")
    colleague = await make_agent("agent")
    conversation = await open_conversation(agent)
    for_leads = await alert(
        db, kind="sla_breach", text="Sanne wacht al 9 uur", conversation_id=conversation
    )
    for_agent = await alert(db, kind="promise_due", text="Bel Sanne terug", agent_id=agent.id)

    seen = (await lead.client.get("/api/v1/alerts")).json()
    assert [a["id"] for a in seen] == [for_agent, for_leads]
    assert seen[1]["text"] == "Sanne wacht al 9 uur"
    assert seen[1]["conversation_id"] == conversation

    mine = (await agent.client.get("/api/v1/alerts")).json()
    assert [a["id"] for a in mine] == [for_agent]
    assert (await colleague.client.get("/api/v1/alerts")).json() == []


async def test_an_alert_is_dealt_with_once_and_only_by_whom_it_is_for(
    db: Database, make_agent: MakeAgent
) -> None:
    lead = await make_agent("supervisor")
    agent = await make_agent("agent")
    other = await make_agent("agent")
    mine = await alert(db, kind="promise_due", text="Mail de factuur", agent_id=agent.id)

    before = await snapshot(db)
    refused = await other.client.post(f"/api/v1/alerts/{mine}/done")
    assert refused.status_code == 404
    assert refused.json()["detail"] == f"Alert {mine} does not exist."
    assert await snapshot(db) == before

    done = await agent.client.post(f"/api/v1/alerts/{mine}/done")
    assert done.status_code == 200, done.text
    assert done.json()["done_by"] == agent.id

    again = await lead.client.post(f"/api/v1/alerts/{mine}/done")
    assert again.status_code == 409
    assert (await agent.client.get("/api/v1/alerts")).json() == []
    history = (await agent.client.get("/api/v1/alerts", params={"open": "false"})).json()
    assert [a["id"] for a in history] == [mine]


async def test_the_live_feed_sends_an_alert_to_those_it_is_for(
    db: Database, make_agent: MakeAgent
) -> None:
    lead = await make_agent("supervisor")
    agent = await make_agent("agent")
    async with db.reading() as session:
        start = await feed.cursor(session)
    await alert(db, kind="ask_supervisor", text="Kan iemand meekijken?")

    def actor(person: Any) -> Actor:
        return Actor("agent", person.id, person.role)

    async with db.reading() as session:
        lead_frames, _ = await feed.agent_events(session, actor(lead), start)
        agent_frames, _ = await feed.agent_events(session, actor(agent), start)
    assert [(f["type"], f["alert"]["text"]) for f in lead_frames] == [
        ("alert", "Kan iemand meekijken?")
    ]
    assert agent_frames == []


async def test_supervisors_of_the_team_get_the_alert_by_email_and_the_customer_does_not(
    db: Database,
    make_agent: MakeAgent,
    email_inbox: Inbox,  # noqa: F811
) -> None:
    team_lead = await make_agent("supervisor", team="Team Shop support", name="Mila Lead")
    roaming_lead = await make_agent("supervisor", name="Joris Zonder Team")
    await make_agent("supervisor", team="Another team")
    agent = await make_agent("agent", team="Team Shop support")
    conversation = await open_conversation(agent, inbox_id=email_inbox.id)

    await alert(
        db,
        kind="sla_breach",
        text="Eerste antwoord te laat",
        conversation_id=conversation,
    )
    async with db.reading() as session:
        mails = list(await session.scalars(select(OutboxMail).order_by(OutboxMail.id)))
        records = list(await session.scalars(select(MailRecord)))
    assert sorted(m.to_address for m in mails) == sorted([team_lead.email, roaming_lead.email])
    assert {m.purpose for m in mails} == {"alert"}
    content = mails[0].content.decode()
    assert "Subject: [Balie] Eerste antwoord te laat" in content
    assert "Auto-Submitted: auto-replied" in content
    # Not part of the customer's thread: no record to thread a reply into the conversation.
    assert records == []


async def test_the_alerts_page_lists_open_alerts_and_marks_one_done(
    app: Any, db: Database, make_agent: MakeAgent
) -> None:
    lead = await make_agent("supervisor", language="nl")
    first = await alert(db, kind="sla_breach", text="Sanne wacht al 9 uur")
    await alert(db, kind="ask_supervisor", text="Kan iemand meekijken?")
    async with web_client(app) as browser:
        await log_in(browser, lead.email)
        page = (await browser.get("/alerts")).text
        assert "Sanne wacht al 9 uur" in page
        assert "Kan iemand meekijken?" in page
        assert "Meldingen" in page  # the page speaks the supervisor's Dutch

        refused = await browser.post(f"/alerts/{first}/done", data={"csrf": "wrong"})
        assert refused.status_code == 403
        still = (await browser.get("/alerts")).text
        assert "<h2>Afgehandeld</h2>" not in still  # nothing was dealt with

        csrf = await page_csrf(browser, "/alerts")
        done = await browser.post(f"/alerts/{first}/done", data={"csrf": csrf})
        assert done.status_code == 303
        page = (await browser.get("/alerts")).text
    open_part, _, dealt_with = page.partition("<h2>Afgehandeld</h2>")
    assert "Sanne wacht al 9 uur" not in open_part
    assert "Sanne wacht al 9 uur" in dealt_with
    assert "Kan iemand meekijken?" in open_part


async def test_an_agent_no_longer_sees_an_alert_about_a_conversation_they_may_not_see(
    db: Database,
    make_agent: MakeAgent,
    email_inbox: Inbox,  # noqa: F811
) -> None:
    lead = await make_agent("supervisor")
    outsider = await make_agent("agent", team="Another team")
    conversation = await open_conversation(lead, inbox_id=email_inbox.id)
    about_it = await alert(
        db,
        kind="promise_due",
        text="Bel Sanne terug",
        conversation_id=conversation,
        agent_id=outsider.id,
    )
    general = await alert(db, kind="promise_due", text="Koffie halen", agent_id=outsider.id)
    mine = (await outsider.client.get("/api/v1/alerts")).json()
    assert [a["id"] for a in mine] == [general]
    assert (await outsider.client.post(f"/api/v1/alerts/{about_it}/done")).status_code == 404
    assert about_it in [a["id"] for a in (await lead.client.get("/api/v1/alerts")).json()]


async def test_every_page_counts_the_open_alerts_on_the_alerts_link(
    app: Any, db: Database, make_agent: MakeAgent
) -> None:
    agent = await make_agent("agent")
    first = await alert(db, kind="promise_due", text="Mail de factuur", agent_id=agent.id)
    second = await alert(db, kind="callback", text="Bel om 14:00", agent_id=agent.id)
    await alert(db, kind="sla_breach", text="Voor de leiding")  # not this agent's
    async with web_client(app) as browser:
        await log_in(browser, agent.email)
        page = (await browser.get("/")).text
        assert f'data-open="{second} {first}">2</span>' in page
        csrf = await page_csrf(browser, "/alerts")
        await browser.post(f"/alerts/{first}/done", data={"csrf": csrf})
        page = (await browser.get("/")).text
    assert f'data-open="{second}">1</span>' in page
