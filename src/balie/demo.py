"""Realistic demo data: a Dutch web shop's customer service, in Dutch and English.

Everything is created through the actions, so the demo's audit log is a real chain.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from balie.act import SYSTEM, Act, Actor, utcnow
from balie.agents.actions import create_agent, create_inbox, create_team
from balie.chat.actions import configure_inbox
from balie.conversations import actions as conversations
from balie.customers.actions import customer_for_email
from balie.goodwill import actions as goodwill
from balie.hours import WEEKDAYS
from balie.incidents import actions as incidents
from balie.macros import actions as macros
from balie.store.database import Database
from balie.store.tables import Agent, Conversation, Inbox

DEMO_LOGIN = "demo@balie-demo.nl"
DEMO_PASSWORD = "balie-demo-2026"
DEMO_ADDRESS = "support@balie-demo.nl"


@dataclass(frozen=True)
class Story:
    name: str
    email: str
    inbox: str
    channel: str
    subject: str
    messages: tuple[tuple[str, str], ...]  # (author: customer | agent | note, text)
    hours_ago: float
    severity: str = "normal"
    status: str = "open"
    tags: tuple[str, ...] = ()
    owner: str | None = None
    language: str = "nl"


STORIES = (
    Story(
        "Sanne de Vries",
        "sanne.devries@ziggo-demo.nl",
        "Webshop chat",
        "chat",
        "Wasmachine lekt na reparatie",
        (
            (
                "customer",
                "Mijn wasmachine lekt alweer, dit is de derde keer na de reparatie. "
                "Ik ben het echt zat.",
            ),
            (
                "note",
                "Derde melding over dezelfde machine (bestelling WS-10482). "
                "Vervanging voorstellen?",
            ),
            (
                "agent",
                "Wat vervelend dat uw wasmachine opnieuw lekt, excuses daarvoor. "
                "Ik regel vandaag nog een vervangend toestel voor u.",
            ),
        ),
        hours_ago=2,
        tags=("reparatie", "herhaling"),
        owner="lotte",
    ),
    Story(
        "Pieter Jansen",
        "p.jansen@kpn-demo.nl",
        "Support e-mail",
        "email",
        "Bestelling niet ontvangen",
        (
            (
                "customer",
                "Mijn bestelling van vorige week is nog steeds niet geleverd. "
                "Track & trace zegt al vier dagen 'onderweg'.",
            ),
        ),
        hours_ago=5,
        tags=("levering",),
    ),
    Story(
        "Emma Bakker",
        "emma.bakker@demo-mail.nl",
        "Webshop chat",
        "chat",
        "Elektrische deken wordt heet en ruikt naar brand",
        (
            (
                "customer",
                "De elektrische deken die ik bij jullie kocht werd vannacht gloeiend heet "
                "en rook naar brand. Mijn dochter sliep eronder!",
            ),
        ),
        hours_ago=0.5,
        severity="critical",
        tags=("veiligheid",),
        owner="ahmed",
    ),
    Story(
        "James Wilson",
        "james.wilson@demo-mail.co.uk",
        "Support e-mail",
        "email",
        "Refund still not received",
        (
            (
                "customer",
                "I returned the headphones three weeks ago and the refund has still "
                "not arrived. Please sort this out.",
            ),
            (
                "agent",
                "I'm sorry the refund is taking this long. I've checked it: the return "
                "arrived on the 3rd and I've released the refund today.",
            ),
            ("customer", "Thanks, I can see it now."),
        ),
        hours_ago=30,
        status="resolved",
        tags=("refund",),
        owner="lotte",
        language="en",
    ),
    Story(
        "Fatima el Amrani",
        "fatima.elamrani@demo-mail.nl",
        "Support e-mail",
        "email",
        "Dubbel afgeschreven",
        (
            (
                "customer",
                "Er is twee keer 349 euro van mijn rekening afgeschreven voor dezelfde "
                "bestelling. Graag het dubbele bedrag terug.",
            ),
        ),
        hours_ago=8,
        severity="high",
        tags=("betaling",),
        status="pending",
        owner="lotte",
    ),
    Story(
        "Sanne de Vries",
        "sanne.devries@ziggo-demo.nl",
        "Support e-mail",
        "email",
        "Factuur wasmachine",
        (
            (
                "customer",
                "Kunnen jullie de factuur van mijn wasmachine nog eens mailen? "
                "Ik heb hem nodig voor de garantie.",
            ),
            ("agent", "Natuurlijk, de factuur staat als bijlage bij deze mail."),
        ),
        hours_ago=24 * 40,
        status="resolved",
        tags=("factuur",),
        owner="lotte",
    ),
    Story(
        "Noah Visser",
        "noah.visser@demo-mail.nl",
        "Webshop chat",
        "chat",
        "Vraag over levertijd koelkast",
        (("customer", "Hoi! Hoe lang duurt het voordat een koelkast geleverd wordt in Utrecht?"),),
        hours_ago=1,
        tags=("levertijd",),
    ),
    Story(
        "Olivia Smith",
        "olivia.smith@demo-mail.com",
        "Webshop chat",
        "chat",
        "Laptop screen flickers",
        (
            (
                "customer",
                "My new laptop screen flickers whenever I open the lid. It's only two weeks old.",
            ),
        ),
        hours_ago=3,
        tags=("garantie",),
        language="en",
    ),
)


async def demo_chat_key(db: Database) -> str | None:
    """The widget key of the demo's chat inbox, for the demo page's address."""
    async with db.reading() as session:
        return await session.scalar(select(Inbox.key).where(Inbox.name == "Webshop chat"))


async def load_demo(db: Database) -> bool:
    """Fill an empty database with demo data; returns False when agents already exist."""
    async with db.writing() as session:
        if await session.scalar(select(func.count()).select_from(Agent)):
            return False
        now = utcnow()
        act = Act(session, SYSTEM, now)
        team = await create_team(act, name="Klantenservice")
        inboxes = {
            "Webshop chat": await create_inbox(
                act, team_id=team.id, name="Webshop chat", channel="chat"
            ),
            "Support e-mail": await create_inbox(
                act,
                team_id=team.id,
                name="Support e-mail",
                channel="email",
                address=DEMO_ADDRESS,
            ),
        }
        await configure_inbox(act, inboxes["Support e-mail"], {"acknowledge": True})
        await configure_inbox(
            act,
            inboxes["Webshop chat"],
            {
                "prechat": [
                    {"name": "name", "required": True},
                    {"name": "email", "required": False},
                    {"name": "order", "required": False},
                    {"name": "topic", "required": False},
                ],
                "topics": ["Bestelling", "Retour", "Reparatie", "Anders"],
                # Long days, so the demo chats most of the time; Dutch holidays closed.
                "hours": {
                    "timezone": "Europe/Amsterdam",
                    "weekly": {day: [["07:00", "23:00"]] for day in WEEKDAYS},
                    "holidays": [],
                    "preset": "NL",
                },
            },
        )
        await create_agent(
            act,
            email=DEMO_LOGIN,
            name="Demo Beheerder",
            role="admin",
            password=DEMO_PASSWORD,
            team_id=team.id,
        )
        agents = {
            "lotte": await create_agent(
                act,
                email="lotte@balie-demo.nl",
                name="Lotte Mulder",
                role="agent",
                password=DEMO_PASSWORD,
                team_id=team.id,
            ),
            "ahmed": await create_agent(
                act,
                email="ahmed@balie-demo.nl",
                name="Ahmed Yilmaz",
                role="supervisor",
                password=DEMO_PASSWORD,
                team_id=team.id,
            ),
            "julia": await create_agent(
                act,
                email="julia@balie-demo.nl",
                name="Julia Brown",
                role="agent",
                password=DEMO_PASSWORD,
                team_id=team.id,
                language="en",
            ),
        }
        told = {
            story.subject: await _tell(
                session_act=act,
                story=story,
                inbox_id=inboxes[story.inbox].id,
                agents=agents,
                now=now,
            )
            for story in sorted(STORIES, key=lambda s: -s.hours_ago)
        }
        # A hand-over waiting for Julia to accept (SCENARIOS D6).
        lotte = agents["lotte"]
        act_lotte = Act(session, Actor("agent", lotte.id, lotte.role, lotte.team_id), now)
        await conversations.request_handover(
            act_lotte,
            told["Wasmachine lekt na reparatie"],
            to_agent_id=agents["julia"].id,
            note="Ik ben morgen vrij; kun jij de vervanging afronden?",
        )
        # A refund above Lotte's mandate, waiting for Ahmed's one-click decision (C2).
        await goodwill.grant(
            act_lotte,
            told["Wasmachine lekt na reparatie"],
            kind="refund",
            amount_cents=12_000,
            reason="Derde lekkage na reparatie; klant wil geen vierde monteursbezoek.",
        )
        ahmed = agents["ahmed"]
        act_ahmed = Act(session, Actor("agent", ahmed.id, ahmed.role, ahmed.team_id), now)
        for name, language, body, tag in SHARED_MACROS:
            await macros.create(
                act_ahmed,
                name=name,
                language=language,
                body=body,
                actions=[{"type": "tag", "tag": tag}, {"type": "status", "status": "resolved"}],
                shared=True,
            )
        # A known problem: the widget shows it, and chats that mention it are linked (B3).
        await incidents.create(
            act_ahmed,
            inbox_id=inboxes["Webshop chat"].id,
            title="Betalen met iDEAL lukt tijdelijk niet",
            body="We werken aan een oplossing. Uw bestelling blijft bewaard.",
            keywords=["ideal", "betalen", "betaling"],
        )
    return True


SHARED_MACROS = (
    (
        "Opgelost, met vriendelijke groet",
        "nl",
        "Beste {customer_first_name},\n\nFijn dat het nu is opgelost. Heeft u nog een vraag, "
        "dan helpen we u graag: we zijn bereikbaar {business_hours}.\n\n"
        "Met vriendelijke groet,\n{agent_first_name}",
        "opgelost",
    ),
    (
        "Resolved, kind regards",
        "en",
        "Dear {customer_first_name},\n\nGood to hear it is sorted out. If anything else comes "
        "up, we are glad to help: you can reach us {business_hours}.\n\n"
        "Kind regards,\n{agent_first_name}",
        "resolved",
    ),
)


async def _tell(
    *, session_act: Act, story: Story, inbox_id: int, agents: dict[str, Agent], now: dt.datetime
) -> Conversation:
    started = now - dt.timedelta(hours=story.hours_ago)
    act = Act(session_act.session, SYSTEM, started)
    customer = await customer_for_email(act, email=story.email, name=story.name)
    (_, first), *rest = story.messages
    conversation, _ = await conversations.create_conversation(
        act,
        customer=customer,
        subject=story.subject,
        text=first,
        channel=story.channel,
        inbox_id=inbox_id,
        severity=story.severity,
        tags=list(story.tags),
        language=story.language,
    )
    owner = agents.get(story.owner) if story.owner else None
    if owner is not None:
        await conversations.assign(act, conversation, owner.id)
    for minutes, (author, body) in enumerate(rest, start=1):
        at = started + dt.timedelta(minutes=7 * minutes)
        writer = owner or agents["lotte"]
        agent_act = Act(act.session, Actor("agent", writer.id, writer.role, writer.team_id), at)
        await conversations.add_message(
            agent_act,
            conversation,
            text=body,
            internal=author == "note",
            author_kind="customer" if author == "customer" else "agent",
        )
    if story.status != "open":
        await conversations.change_status(act, conversation, story.status)
    return conversation
