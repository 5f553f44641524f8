"""The SLA panel on a conversation and the due / overdue / bumped badges in the inbox, as
an agent reads them, in English and Dutch."""

from __future__ import annotations

import datetime as dt
from typing import Any

from balie.act import CLI, Act, utcnow
from balie.conversations import actions
from balie.customers.actions import customer_for_email
from balie.policy.sla import Due
from balie.store.database import Database
from balie.store.tables import Conversation
from balie.timers.loop import fire_due
from balie.web.sla import Clock, clocks_of
from tests.conftest import MakeAgent
from tests.test_web_support import log_in, web_client

HOUR = dt.timedelta(hours=1)


async def conversation_since(db: Database, ago: dt.timedelta, subject: str) -> int:
    """A conversation whose customer wrote ``ago`` (the built-in 8 h target, 24/7)."""
    async with db.writing() as session:
        act = Act(session, CLI, utcnow() - ago)
        customer = await customer_for_email(act, email="sanne@example.nl", name="Sanne de Vries")
        conversation, _ = await actions.create_conversation(
            act, customer=customer, subject=subject, text="Mijn wasmachine lekt nog steeds."
        )
    return conversation.id


async def customer_writes(db: Database, cid: int, text: str) -> None:
    async with db.writing() as session:
        conversation = await session.get(Conversation, cid)
        assert conversation is not None
        await actions.add_message(
            Act(session, CLI, utcnow()),
            conversation,
            text=text,
            internal=False,
            author_kind="customer",
        )


async def test_the_panel_shows_what_is_due_and_what_is_overdue(
    app: Any, db: Database, make_agent: MakeAgent
) -> None:
    person = await make_agent("agent", language="en")
    late = await conversation_since(db, 9 * HOUR, "Lekkage")
    fresh = await conversation_since(db, dt.timedelta(0), "Nieuwe vraag")
    async with web_client(app) as browser:
        await log_in(browser, person.email)
        overdue = (await browser.get(f"/conversations/{late}/sla")).text
        assert "First answer due" in overdue
        # Late by an hour and however long the test took; the wording is checked below.
        assert "sla-overdue" in overdue and "Overdue by" in overdue
        assert "Resolution due" in overdue
        assert "Counted in the inbox's business hours." in overdue

        on_time = (await browser.get(f"/conversations/{fresh}/sla")).text
        assert "First answer due" in on_time
        assert "in 8 hours" in on_time and "Overdue" not in on_time

        inbox = (await browser.get("/")).text
        late_row = inbox.split("Lekkage")[1].split("</li>")[0]
        fresh_row = inbox.split("Nieuwe vraag")[1].split("</li>")[0]
        assert "Overdue" in late_row
        assert "Due in 8 hours" in fresh_row and "Overdue" not in fresh_row


async def test_the_panel_in_dutch_and_paused_while_waiting_on_the_customer(
    app: Any, db: Database, make_agent: MakeAgent
) -> None:
    person = await make_agent("agent")  # Dutch
    cid = await conversation_since(db, dt.timedelta(0), "Factuur klopt niet")
    async with web_client(app) as browser:
        await log_in(browser, person.email)
        dutch = (await browser.get(f"/conversations/{cid}/sla")).text
        assert "Eerste antwoord uiterlijk" in dutch and "over 8 uur" in dutch

        async with db.writing() as session:
            conversation = await session.get(Conversation, cid)
            assert conversation is not None
            await actions.change_status(Act(session, CLI, utcnow()), conversation, "pending")
        paused = (await browser.get(f"/conversations/{cid}/sla")).text
        assert "Gepauzeerd zolang we op de klant wachten." in paused
        assert "uiterlijk" not in paused


async def test_a_bump_and_a_missed_target_show_up(
    app: Any, db: Database, make_agent: MakeAgent
) -> None:
    person = await make_agent("agent", language="en")
    cid = await conversation_since(db, dt.timedelta(minutes=10), "Geen reactie")
    await customer_writes(db, cid, "Is er al iemand die dit leest?")
    await fire_due(db, now=utcnow() + 9 * HOUR)
    async with web_client(app) as browser:
        await log_in(browser, person.email)
        panel = (await browser.get(f"/conversations/{cid}/sla")).text
        assert "The customer wrote again without an answer" in panel
        assert "Missed targets" in panel and "First answer was due" in panel
        row = (await browser.get("/")).text.split("Geen reactie")[1].split("</li>")[0]
        assert "Bumped" in row
        page = await browser.get(f"/conversations/{cid}")
        assert page.status_code == 200
        header = page.text.split('class="row-meta"')[1].split("</p>")[0]
        assert "Bumped" in header


async def test_a_repeat_conversation_is_marked_in_the_inbox(
    app: Any, db: Database, make_agent: MakeAgent
) -> None:
    person = await make_agent("agent", language="en")
    await conversation_since(db, dt.timedelta(0), "Eerste keer")
    again = await conversation_since(db, dt.timedelta(0), "Alweer kapot")
    async with db.writing() as session:
        conversation = await session.get(Conversation, again)
        assert conversation is not None
        conversation.repeat = True  # what repeat detection sets
    async with web_client(app) as browser:
        await log_in(browser, person.email)
        inbox = (await browser.get("/")).text
        assert "Repeat" in inbox.split("Alweer kapot")[1].split("</li>")[0]
        assert "Repeat" not in inbox.split("Eerste keer")[1].split("</li>")[0]


def test_the_panel_says_how_long_is_left_or_how_late_in_the_agents_language() -> None:
    now = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    due = Due(now - dt.timedelta(minutes=25), None, now + 2 * HOUR)
    assert clocks_of(due, now, "en") == [
        Clock("first_response", now - dt.timedelta(minutes=25), True, "25 minutes"),
        Clock("resolution", now + 2 * HOUR, False, "in 2 hours"),
    ]
    assert [c.span for c in clocks_of(due, now, "nl")] == ["25 minuten", "over 2 uur"]
