"""The conversation page: timeline, replies and notes, status, tags and hand-overs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from balie.act import CLI, Act, utcnow
from balie.conversations import actions
from balie.store.database import Database
from balie.store.tables import Conversation, Message
from tests.conftest import MakeAgent, Person, snapshot
from tests.test_web_support import csrf_of, log_in, open_conversation, page_csrf, web_client


async def _owner_of(db: Database, conversation_id: int) -> int | None:
    async with db.reading() as session:
        conversation = await session.get(Conversation, conversation_id)
        assert conversation is not None
        return conversation.owner_id


async def test_reply_and_internal_note_on_one_timeline(
    app: Any, db: Database, make_agent: MakeAgent
) -> None:
    person = await make_agent("agent", language="en", name="Ayla Kaya")
    cid = await open_conversation(db)
    async with web_client(app) as browser:
        await log_in(browser, person.email)
        page = f"/conversations/{cid}"
        csrf = await page_csrf(browser, page)
        r = await browser.post(f"{page}/reply", data={"csrf": csrf, "text": "Zet de kraan dicht."})
        assert r.status_code == 303 and r.headers["location"] == page
        r = await browser.post(f"{page}/note", data={"csrf": csrf, "text": "Garantie checken"})
        assert r.status_code == 303
        html = (await browser.get(page)).text
    assert html.index("Mijn wasmachine lekt") < html.index("Zet de kraan dicht.")
    assert html.index("Zet de kraan dicht.") < html.index("Garantie checken")
    assert 'class="message internal"' in html and "Internal note" in html
    async with db.reading() as session:
        notes = list(await session.scalars(select(Message.internal).order_by(Message.seq)))
    assert notes == [False, False, True]


async def test_message_text_is_escaped(app: Any, db: Database, make_agent: MakeAgent) -> None:
    person = await make_agent("agent", language="en")
    cid = await open_conversation(db, text="<script>alert('hi')</script> help")
    async with web_client(app) as browser:
        await log_in(browser, person.email)
        html = (await browser.get(f"/conversations/{cid}")).text
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#39;hi&#39;)&lt;/script&gt; help" in html


async def test_reply_without_csrf_is_refused_and_changes_nothing(
    app: Any, db: Database, make_agent: MakeAgent
) -> None:
    person = await make_agent("agent", language="en")
    cid = await open_conversation(db)
    async with web_client(app) as browser:
        await log_in(browser, person.email)
        await page_csrf(browser, f"/conversations/{cid}")
        before = await snapshot(db)
        r = await browser.post(f"/conversations/{cid}/reply", data={"text": "Hallo"})
        assert r.status_code == 403
        r = await browser.post(
            f"/conversations/{cid}/status",
            data={"status": "resolved"},
            headers={"X-CSRF-Token": "forged"},
        )
        assert r.status_code == 403
        assert await snapshot(db) == before


async def test_htmx_header_carries_the_csrf_token(
    app: Any, db: Database, make_agent: MakeAgent
) -> None:
    person = await make_agent("agent", language="en")
    cid = await open_conversation(db)
    async with web_client(app) as browser:
        await log_in(browser, person.email)
        csrf = await page_csrf(browser, f"/conversations/{cid}")
        r = await browser.post(
            f"/conversations/{cid}/status",
            data={"status": "resolved"},
            headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
        )
        assert r.status_code == 303
    async with db.reading() as session:
        conversation = await session.get(Conversation, cid)
        assert conversation is not None and conversation.status == "resolved"


async def test_a_refused_change_reads_as_a_sentence(
    app: Any, db: Database, make_agent: MakeAgent
) -> None:
    person = await make_agent("agent", language="en")
    cid = await open_conversation(db)
    async with web_client(app) as browser:
        await log_in(browser, person.email)
        csrf = await page_csrf(browser, f"/conversations/{cid}")
        r = await browser.post(
            f"/conversations/{cid}/status", data={"csrf": csrf, "status": "open"}
        )
        assert r.status_code == 409
        assert "The conversation is already open." in r.text
        assert "Traceback" not in r.text
        r = await browser.post(
            f"/conversations/{cid}/tags", data={"csrf": csrf, "tags": "ok, !!bad"}
        )
        assert r.status_code == 422
        assert "!!bad" in r.text  # the typed tags are kept in the form
        r = await browser.post(f"/conversations/{cid}/reply", data={"csrf": csrf, "text": " "})
        assert r.status_code == 422 and "A message cannot be empty." in r.text
        missing = await browser.get("/conversations/999999")
        assert missing.status_code == 404 and "does not exist" in missing.text


async def test_status_snooze_and_tags(app: Any, db: Database, make_agent: MakeAgent) -> None:
    person = await make_agent("agent", language="en")
    cid = await open_conversation(db)
    async with web_client(app) as browser:
        await log_in(browser, person.email)
        csrf = await page_csrf(browser, f"/conversations/{cid}")
        r = await browser.post(
            f"/conversations/{cid}/status",
            data={"csrf": csrf, "status": "snoozed", "snoozed_until": "2099-01-02T09:30"},
        )
        assert r.status_code == 303
        r = await browser.post(
            f"/conversations/{cid}/tags", data={"csrf": csrf, "tags": "Lekkage, garantie"}
        )
        assert r.status_code == 303
        html = (await browser.get(f"/conversations/{cid}")).text
        assert "Snoozed" in html and "2 Jan 2099 09:30" in html
        assert 'value="garantie, lekkage"' in html
        inbox = (await browser.get("/?status=snoozed&tag=lekkage")).text
        assert "Wasmachine lekt" in inbox


async def _hand_over(
    app: Any, db: Database, sender: Person, receiver: Person, cid: int, note: str
) -> str:
    async with web_client(app) as browser:
        await log_in(browser, sender.email)
        csrf = await page_csrf(browser, f"/conversations/{cid}")
        r = await browser.post(
            f"/conversations/{cid}/assign", data={"csrf": csrf, "owner_id": str(sender.id)}
        )
        assert r.status_code == 303
        r = await browser.post(
            f"/conversations/{cid}/handover",
            data={"csrf": csrf, "to_agent_id": str(receiver.id), "note": note},
        )
        assert r.status_code == 303, r.text
        return (await browser.get(f"/conversations/{cid}")).text


async def test_hand_over_waits_until_the_colleague_accepts(
    app: Any, db: Database, make_agent: MakeAgent
) -> None:
    ayla = await make_agent("agent", language="en", name="Ayla Kaya")
    bram = await make_agent("agent", language="en", name="Bram Peters")
    cid = await open_conversation(db)
    page = await _hand_over(app, db, ayla, bram, cid, "Klant wil een monteur")
    assert "Waiting for Bram Peters to accept the hand-over." in page
    assert await _owner_of(db, cid) == ayla.id  # still Ayla's until Bram says yes

    async with web_client(app) as browser:
        await log_in(browser, bram.email)
        inbox = (await browser.get("/")).text
        assert "Offered to you" in inbox and "Klant wil een monteur" in inbox
        conversation = (await browser.get(f"/conversations/{cid}")).text
        assert "Ayla Kaya offers you this conversation." in conversation
        handover_id = conversation.split("/handovers/")[1].split("/")[0]
        csrf = await page_csrf(browser)
        r = await browser.post(f"/handovers/{handover_id}/accept", data={"csrf": csrf})
        assert r.status_code == 303 and r.headers["location"] == f"/conversations/{cid}"
        assert "Offered to you" not in (await browser.get("/")).text
    assert await _owner_of(db, cid) == bram.id


async def test_declined_hand_over_leaves_the_owner(
    app: Any, db: Database, make_agent: MakeAgent
) -> None:
    ayla = await make_agent("agent", language="en", name="Ayla Kaya")
    bram = await make_agent("agent", language="en", name="Bram Peters")
    cid = await open_conversation(db)
    await _hand_over(app, db, ayla, bram, cid, "")
    async with web_client(app) as browser:
        await log_in(browser, bram.email)
        conversation = (await browser.get(f"/conversations/{cid}")).text
        handover_id = conversation.split("/handovers/")[1].split("/")[0]
        csrf = await page_csrf(browser)
        r = await browser.post(f"/handovers/{handover_id}/decline", data={"csrf": csrf})
        assert r.status_code == 303 and r.headers["location"] == "/"
        again = await browser.post(f"/handovers/{handover_id}/accept", data={"csrf": csrf})
        assert again.status_code == 409 and "already declined" in again.text
    assert await _owner_of(db, cid) == ayla.id


async def test_agent_cannot_assign_an_owned_conversation_to_someone_else(
    app: Any, db: Database, make_agent: MakeAgent
) -> None:
    ayla = await make_agent("agent", language="en")
    bram = await make_agent("agent", language="en")
    cid = await open_conversation(db)
    async with web_client(app) as browser:
        await log_in(browser, ayla.email)
        csrf = await page_csrf(browser, f"/conversations/{cid}")
        await browser.post(
            f"/conversations/{cid}/assign", data={"csrf": csrf, "owner_id": str(ayla.id)}
        )
        r = await browser.post(
            f"/conversations/{cid}/assign", data={"csrf": csrf, "owner_id": str(bram.id)}
        )
        assert r.status_code == 403 and "request a hand-over" in r.text
    assert await _owner_of(db, cid) == ayla.id


async def test_open_page_asks_for_messages_after_the_last_one(
    app: Any, db: Database, make_agent: MakeAgent
) -> None:
    person = await make_agent("agent", language="en")
    cid = await open_conversation(db)
    async with web_client(app) as browser:
        await log_in(browser, person.email)
        page = (await browser.get(f"/conversations/{cid}")).text
        assert f'hx-get="/conversations/{cid}/timeline?after=1"' in page
        nothing_new = await browser.get(f"/conversations/{cid}/timeline?after=1")
        assert nothing_new.status_code == 204
        async with db.writing() as session:
            act = Act(session, CLI, utcnow())
            conversation = await actions.get_visible(act, cid)
            await actions.add_message(
                act,
                conversation,
                text="Zijn jullie er nog?",
                internal=False,
                author_kind="customer",
            )
        fragment = await browser.get(
            f"/conversations/{cid}/timeline?after=1", headers={"HX-Request": "true"}
        )
        assert fragment.status_code == 200
        assert "Zijn jullie er nog?" in fragment.text and "Mijn wasmachine" not in fragment.text
        assert "timeline?after=2" in fragment.text
    async with web_client(app) as stranger:
        r = await stranger.get(
            f"/conversations/{cid}/timeline?after=1", headers={"HX-Request": "1"}
        )
        assert r.headers["HX-Redirect"] == "/login"


async def test_errors_have_a_dutch_heading_for_dutch_agents(
    app: Any, db: Database, make_agent: MakeAgent
) -> None:
    person = await make_agent("agent", language="nl")
    cid = await open_conversation(db)
    async with web_client(app) as browser:
        await log_in(browser, person.email)
        csrf = await page_csrf(browser, f"/conversations/{cid}")
        r = await browser.post(
            f"/conversations/{cid}/status", data={"csrf": csrf, "status": "open"}
        )
        assert r.status_code == 409 and "Deze statuswijziging kan niet" in r.text
        missing = await browser.get("/conversations/999999")
        assert "Niet gevonden" in missing.text


async def test_supervisor_assigns_anyone_and_a_bad_address_reads_as_a_page(
    app: Any, db: Database, make_agent: MakeAgent
) -> None:
    lotte = await make_agent("supervisor", language="en")
    bram = await make_agent("agent", language="en", name="Bram Peters")
    cid = await open_conversation(db)
    async with web_client(app) as browser:
        await log_in(browser, lotte.email)
        page = await browser.get(f"/conversations/{cid}")
        assert page.headers["cache-control"] == "no-store"
        assert 'id="owner-id"' in page.text  # the supervisor's assign list
        r = await browser.post(
            f"/conversations/{cid}/assign",
            data={"csrf": csrf_of(page.text), "owner_id": str(bram.id)},
        )
        assert r.status_code == 303
        bad = await browser.get("/conversations/not-a-number")
        assert bad.status_code == 422 and "text/html" in bad.headers["content-type"]
        assert "Not a valid value for conversation_id." in bad.text
    assert await _owner_of(db, cid) == bram.id
