"""The guardrails in the inbox: triage badges, masked swearing, the reply coach under the
reply box, a blocked send, and the way past it through a supervisor."""

from __future__ import annotations

import html as html_lib
import re
from typing import Any

import httpx
from sqlalchemy import select, update

from balie.act import SYSTEM, Act, utcnow
from balie.conversations.actions import add_message, get_visible
from balie.store.database import Database
from balie.store.tables import Agent, AuditEvent, CoachOverride, Conversation, Message
from tests.conftest import MakeAgent, snapshot
from tests.test_web_support import log_in, open_conversation, page_csrf, web_client

ABUSIVE = "Jullie zijn een stelletje oplichters, kankerlijers!!"
CRITICAL = "De elektrische deken vatte vlam, mijn kind heeft brandwonden!"
INSULT_REPLY = "Luister eens, idioot, lees gewoon de handleiding."
CALM_REPLY = "Wat vervelend, excuses! Fijn dat u het meldt."


def _text(page: str) -> str:
    """The page as a person reads it: tags dropped, entities decoded, spaces folded."""
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", page)).split())


async def _customer_writes(db: Database, conversation_id: int, text: str) -> None:
    async with db.writing() as session:
        act = Act(session, SYSTEM, utcnow())
        conversation = await get_visible(act, conversation_id)
        await add_message(act, conversation, text=text, internal=False, author_kind="customer")


async def _coach(
    browser: httpx.AsyncClient, cid: int, csrf: str, text: str, box: str = "reply"
) -> httpx.Response:
    """What htmx posts as the agent types: the form's fields, the token in a header."""
    return await browser.post(
        f"/conversations/{cid}/coach",
        data={"text": text, "box": box},
        headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
    )


async def test_triage_badges_in_the_inbox_and_on_the_timeline(
    app: Any, db: Database, make_agent: MakeAgent
) -> None:
    person = await make_agent("agent", language="en")
    dutch = await make_agent("agent", language="nl")
    rude = await open_conversation(db, subject="Oplichters", text=ABUSIVE)
    fire = await open_conversation(db, subject="Deken", text="Hoe laat zijn jullie open?")
    await _customer_writes(db, fire, CRITICAL)
    chatter = await open_conversation(db, subject="Demonstratie", email="demo@example.nl")
    async with db.writing() as session:  # what triage would set for these two
        await session.execute(
            update(Conversation)
            .where(Conversation.id == chatter)
            .values(intent="non_customer", wants_human=True)
        )
    async with web_client(app) as browser:
        await log_in(browser, person.email)
        inbox = (await browser.get("/")).text
        timeline = (await browser.get(f"/conversations/{rude}")).text
        critical_page = (await browser.get(f"/conversations/{fire}")).text
    async with web_client(app) as browser:
        await log_in(browser, dutch.email)
        in_dutch = _text((await browser.get("/")).text)
    assert all(label in in_dutch for label in ("Kritiek", "Grof", "Geen klant", "Wil een mens"))

    rows = {
        subject: _text(row)
        for row in inbox.split('<li class="conversation-row')[1:]
        for subject in ("Oplichters", "Deken", "Demonstratie")
        if subject in row
    }
    assert next(iter(rows)) == "Deken"  # critical first, then newest activity
    assert "Critical" in rows["Deken"] and "flag-abusive" not in inbox.split("Deken")[0]
    assert "Abusive" in rows["Oplichters"]
    assert "Not a customer" in rows["Demonstratie"] and "Wants a person" in rows["Demonstratie"]
    assert 'class="badge severity severity-critical"' in inbox
    assert 'class="badge flag flag-abusive"' in inbox

    # The message says why: the badge's title and the details list the evidence.
    head = timeline.split('<ol class="timeline"')[0]
    assert "flag-abusive" in head  # the conversation header
    first = timeline.split('id="m1"')[1].split("</li>")[0]
    badge = re.search(r'<span class="badge triage-abusive" title="([^"]+)">Abusive</span>', first)
    assert badge is not None
    assert "oplichters" in html_lib.unescape(badge.group(1)).lower()
    assert "Why?" in first
    assert "triage-critical" in critical_page.split('id="m2"')[1].split("</li>")[0]
    assert "triage-critical" not in critical_page.split('id="m1"')[1].split("</li>")[0]


async def test_an_agent_masks_swearing_and_the_choice_is_audited(
    app: Any, db: Database, make_agent: MakeAgent
) -> None:
    person = await make_agent("agent", language="en")
    cid = await open_conversation(db, text=ABUSIVE)
    page = f"/conversations/{cid}"
    async with web_client(app) as browser:
        await log_in(browser, person.email)
        csrf = await page_csrf(browser, page)
        assert "kankerlijers" in (await browser.get(page)).text

        before = await snapshot(db)
        forged = await browser.post("/settings/mask-profanity", data={"on": "1", "next": page})
        assert forged.status_code == 403
        assert await snapshot(db) == before

        r = await browser.post(
            "/settings/mask-profanity", data={"csrf": csrf, "on": "1", "next": page}
        )
        assert r.status_code == 303 and r.headers["location"] == page
        masked = (await browser.get(page)).text
        assert "kankerlijers" not in masked and "oplichters" not in masked
        assert "Jullie zijn een s******** o*********, k***********!!" in masked
        assert 'aria-pressed="true"' in masked
        polled = (await browser.get(f"{page}/timeline?after=0")).text  # new messages, too
        assert "k***********" in polled and "kankerlijers" not in polled

        await browser.post("/settings/mask-profanity", data={"csrf": csrf, "on": "0"})
        assert "kankerlijers" in (await browser.get(page)).text

    async with db.reading() as session:
        agent = await session.get(Agent, person.id)
        changes = list(
            await session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action == "agent.update")
                .order_by(AuditEvent.id)
            )
        )
    assert agent is not None and agent.mask_profanity is False
    assert [(c.before or {}).get("mask_profanity") for c in changes] == [False, True]
    assert [(c.after or {}).get("mask_profanity") for c in changes] == [True, False]
    assert {c.target for c in changes} == {f"agent:{person.id}"}


async def test_the_coach_panel_flags_a_draft_as_the_agent_types(
    app: Any, db: Database, make_agent: MakeAgent
) -> None:
    person = await make_agent("agent", language="en")
    cid = await open_conversation(db, text="Ik wacht al weken op mijn terugbetaling!!")
    async with web_client(app) as browser:
        await log_in(browser, person.email)
        page = (await browser.get(f"/conversations/{cid}")).text
        csrf = await page_csrf(browser, f"/conversations/{cid}")
        before = await snapshot(db)

        blocked = await _coach(browser, cid, csrf, INSULT_REPLY)
        warned = await _coach(browser, cid, csrf, "Volgens ons interne beleid duurt dat lang.")
        promised = await _coach(
            browser, cid, csrf, "Excuses voor het wachten. U ontvangt morgen voor 12:00 uw geld."
        )
        empty = await _coach(browser, cid, csrf, "   ")
        in_note = await _coach(browser, cid, csrf, "Wat een idioot, die klant.", box="note")
        forged = await browser.post(
            f"/conversations/{cid}/coach", data={"text": INSULT_REPLY, "box": "reply"}
        )
        assert await snapshot(db) == before  # the coach stores nothing

    assert 'hx-post="/conversations/{cid}/coach"'.replace("{cid}", str(cid)) in page
    assert 'hx-trigger="input changed delay:600ms"' in page
    assert blocked.status_code == 200 and "<html" not in blocked.text  # a fragment
    said = _text(blocked.text)
    assert "Will not be sent." in said and "Insult" in said
    assert re.search(
        r'<mark class="coach-mark kind-insult">idioot<sup>\d+</sup></mark>', blocked.text
    )
    assert re.search(r'<q class="coach-words">idioot</q>', blocked.text)
    assert 'class="coach-suggestion"' in blocked.text
    assert "Internal process talk" in _text(warned.text) and "coach-warn" in warned.text
    assert re.search(r"Promise: “[^”]*morgen voor 12:00[^”]*”", _text(promised.text))
    assert re.search(r"→ due \w{3} \d+ \w{3} \d\d:\d\d", _text(promised.text))
    assert empty.status_code == 200 and empty.text.strip() == ""
    assert "Will not be sent." in _text(in_note.text)
    assert forged.status_code == 403


async def test_a_blocked_reply_shows_the_flags_and_changes_nothing(
    app: Any, db: Database, make_agent: MakeAgent
) -> None:
    person = await make_agent("agent", language="en")
    cid = await open_conversation(db)
    async with web_client(app) as browser:
        await log_in(browser, person.email)
        csrf = await page_csrf(browser, f"/conversations/{cid}")
        before = await snapshot(db)
        reply = await browser.post(
            f"/conversations/{cid}/reply",
            data={"csrf": csrf, "text": INSULT_REPLY},
            headers={"Referer": f"http://balie.test/conversations/{cid}"},
        )
        note = await browser.post(
            f"/conversations/{cid}/note", data={"csrf": csrf, "text": "Die idioot weer."}
        )
        # An agent's own reason does not get past the coach.
        reasoned = await browser.post(
            f"/conversations/{cid}/reply",
            data={"csrf": csrf, "text": INSULT_REPLY, "override_reason": "moet echt"},
        )
        assert await snapshot(db) == before

    # The header's forms return to the conversation, not to the POST-only address.
    assert f'name="next" value="/conversations/{cid}"' in reply.text
    for r in (reply, note, reasoned):
        assert r.status_code == 422
        assert "Not sent: the reply coach stopped this text" in _text(r.text)
        assert "Insult" in _text(r.text) and '<q class="coach-words">' in r.text
    # The draft stays in its box, with the way past the block under it.
    assert f">{INSULT_REPLY}</textarea>" in reply.text
    assert 'id="reply-coach"' in reply.text and "Ask a supervisor to allow this text" in reply.text
    assert "Send anyway, with reason" not in reply.text
    assert ">Die idioot weer.</textarea>" in note.text
    assert note.text.index('id="note-coach"') < note.text.index("coach-block")


async def test_a_supervisor_allows_an_agents_text_and_the_agent_sends_it(
    app: Any, db: Database, make_agent: MakeAgent
) -> None:
    ayla = await make_agent("agent", language="en", name="Ayla Kaya")
    lead = await make_agent("supervisor", language="en", name="Sam Lead")
    cid = await open_conversation(db, subject="Handleiding")
    page = f"/conversations/{cid}"
    async with web_client(app) as agent_browser, web_client(app) as lead_browser:
        await log_in(agent_browser, ayla.email)
        csrf = await page_csrf(agent_browser, page)
        blocked = await agent_browser.post(
            f"{page}/reply", data={"csrf": csrf, "text": INSULT_REPLY}
        )
        assert blocked.status_code == 422
        empty_reason = await agent_browser.post(
            f"{page}/coach-overrides",
            data={"csrf": csrf, "text": INSULT_REPLY, "box": "reply", "reason": " "},
        )
        assert empty_reason.status_code == 422
        assert "Ask a supervisor to allow this text" in empty_reason.text
        asked = await agent_browser.post(
            f"{page}/coach-overrides",
            data={
                "csrf": csrf,
                "text": INSULT_REPLY,
                "box": "reply",
                "reason": "De klant citeerde dit zelf",
            },
        )
        assert asked.status_code == 303 and asked.headers["location"] == page
        waiting = _text((await agent_browser.get(page)).text)
        assert "Waiting for a supervisor to allow your blocked text." in waiting
        assert "Send approved text" not in waiting

        await log_in(lead_browser, lead.email)
        inbox = (await lead_browser.get("/")).text
        said = _text(inbox)
        assert "Blocked texts waiting for your decision" in said
        assert "asked by Ayla Kaya" in said and "Reason: De klant citeerde dit zelf" in said
        assert "Blocked texts" not in _text((await agent_browser.get("/")).text)
        override_id = await _only_override(db)
        approved = await lead_browser.post(
            f"/coach-overrides/{override_id}/approve", data={"csrf": await page_csrf(lead_browser)}
        )
        assert approved.status_code == 303 and approved.headers["location"] == "/"
        assert "Blocked texts" not in _text((await lead_browser.get("/")).text)

        ready = (await agent_browser.get(page)).text
        assert "Sam Lead allowed your text." in _text(ready)
        assert f'name="override_id" value="{override_id}"' in ready
        assert INSULT_REPLY in _text(ready.split("Send approved text")[0])
        form = ready.split('name="override_id"')[0].rsplit("<form", 1)[1]
        assert f'action="{page}/reply"' in form
        sent = await agent_browser.post(
            f"{page}/reply",
            data={"csrf": csrf, "text": INSULT_REPLY, "override_id": str(override_id)},
        )
        assert sent.status_code == 303
        after = (await agent_browser.get(page)).text
        assert "Send approved text" not in after
        # Used once: the same override does not send it again.
        again = await agent_browser.post(
            f"{page}/reply",
            data={"csrf": csrf, "text": INSULT_REPLY, "override_id": str(override_id)},
        )
        assert again.status_code == 409

    async with db.reading() as session:
        message = await session.scalar(select(Message).where(Message.text == INSULT_REPLY))
        override = await session.get(CoachOverride, override_id)
        trail = list(await session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert message is not None and message.author_agent_id == ayla.id
    assert (message.coaching or {})["override"]["approved_by"] == lead.id
    assert override is not None and override.status == "used"
    assert [a for a in trail if a.startswith("coach.")] == [
        "coach.override_request",
        "coach.override_approved",
        "coach.override_used",
    ]


async def test_a_declined_text_is_not_sent(app: Any, db: Database, make_agent: MakeAgent) -> None:
    ayla = await make_agent("agent", language="en")
    lead = await make_agent("supervisor", language="en", name="Sam Lead")
    cid = await open_conversation(db)
    page = f"/conversations/{cid}"
    async with web_client(app) as agent_browser, web_client(app) as lead_browser:
        await log_in(agent_browser, ayla.email)
        csrf = await page_csrf(agent_browser, page)
        await agent_browser.post(
            f"{page}/coach-overrides",
            data={"csrf": csrf, "text": INSULT_REPLY, "box": "reply", "reason": "graag"},
        )
        await log_in(lead_browser, lead.email)
        override_id = await _only_override(db)
        declined = await lead_browser.post(
            f"/coach-overrides/{override_id}/decline",
            data={"csrf": await page_csrf(lead_browser), "next": "/?status=open"},
        )
        assert declined.status_code == 303 and declined.headers["location"] == "/?status=open"
        shown = _text((await agent_browser.get(page)).text)
        assert "Sam Lead declined your blocked text." in shown
        assert "Send approved text" not in shown
        refused = await agent_browser.post(
            f"{page}/reply",
            data={"csrf": csrf, "text": INSULT_REPLY, "override_id": str(override_id)},
        )
        assert refused.status_code == 409


async def test_a_supervisor_sends_anyway_with_a_reason(
    app: Any, db: Database, make_agent: MakeAgent
) -> None:
    lead = await make_agent("supervisor", language="en")
    cid = await open_conversation(db)
    page = f"/conversations/{cid}"
    async with web_client(app) as browser:
        await log_in(browser, lead.email)
        csrf = await page_csrf(browser, page)
        blocked = await browser.post(f"{page}/reply", data={"csrf": csrf, "text": INSULT_REPLY})
        assert blocked.status_code == 422
        assert "Send anyway, with reason" in blocked.text
        assert "Ask a supervisor to allow this text" not in blocked.text
        sent = await browser.post(
            f"{page}/reply",
            data={"csrf": csrf, "text": INSULT_REPLY, "override_reason": "Citaat uit de klacht"},
        )
        assert sent.status_code == 303
    async with db.reading() as session:
        message = await session.scalar(select(Message).where(Message.text == INSULT_REPLY))
        used = await session.scalar(
            select(AuditEvent).where(AuditEvent.action == "coach.override_used")
        )
    assert message is not None
    assert (message.coaching or {})["override"]["reason"] == "Citaat uit de klacht"
    assert used is not None and (used.after or {})["reason"] == "Citaat uit de klacht"


async def test_a_calm_reply_goes_straight_through(
    app: Any, db: Database, make_agent: MakeAgent
) -> None:
    person = await make_agent("agent", language="en")
    cid = await open_conversation(db)
    async with web_client(app) as browser:
        await log_in(browser, person.email)
        csrf = await page_csrf(browser, f"/conversations/{cid}")
        r = await browser.post(
            f"/conversations/{cid}/reply", data={"csrf": csrf, "text": CALM_REPLY + "\r\nGroet"}
        )
        assert r.status_code == 303
    async with db.reading() as session:
        texts = list(await session.scalars(select(Message.text).order_by(Message.seq)))
    assert texts[-1] == CALM_REPLY + "\nGroet"


async def _only_override(db: Database) -> int:
    async with db.reading() as session:
        ids = list(await session.scalars(select(CoachOverride.id)))
    assert len(ids) == 1
    return ids[0]
