"""The e-mail channel on the conversation page: the "by e-mail" marker and the original,
how a reply by e-mail fared (and sending a failed one again), and every message's files."""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from email.message import EmailMessage
from typing import Any

import httpx
from sqlalchemy import select, update

from balie.act import CLI, Act, utcnow
from balie.chat.actions import store_attachment
from balie.email.inbound import receive
from balie.store.database import Database
from balie.store.tables import CustomerIdentity, Inbox, Message, OutboxMail
from tests.conftest import MakeAgent, Person, snapshot
from tests.email_fixtures import ADDRESS, email_inbox
from tests.mail_support import mail
from tests.test_web_support import csrf_of, log_in, open_conversation, page_csrf, web_client

__all__ = ["email_inbox"]

TEAM = "Team Shop support"
ORIGINAL = re.compile(r'href="(/conversations/\d+/messages/(\d+)/original)"')
DOWNLOAD = re.compile(r'href="(/chat/v1/attachments/[^"]+)"')
REJECTED = "SMTPRecipientsRefused: 550 5.1.1 <sanne@example.nl> Recipient address rejected"


def with_file(raw: bytes, name: str, data: bytes) -> bytes:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    message.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    return message.as_bytes(policy=email.policy.SMTP)


async def received(db: Database, raw: bytes) -> tuple[int, int]:
    """A customer's mail, stored as the SMTP receiver stores it: (conversation, message)."""
    got = await receive(db, raw, recipients=[ADDRESS])
    assert got.conversation_id is not None and got.message_id is not None
    return got.conversation_id, got.message_id


async def replied(person: Person, conversation_id: int, text: str) -> int:
    """An agent's reply through the API: committed with its mail in the outbox."""
    r = await person.client.post(
        f"/api/v1/conversations/{conversation_id}/messages", json={"text": text}
    )
    assert r.status_code == 201, r.text
    assert r.json()["email"]["status"] == "queued"
    message_id: int = r.json()["id"]
    return message_id


async def reply_mail(db: Database, message_id: int) -> OutboxMail:
    async with db.reading() as session:
        row = await session.scalar(select(OutboxMail).where(OutboxMail.message_id == message_id))
    assert row is not None
    return row


async def set_mail(db: Database, message_id: int, **values: Any) -> None:
    async with db.writing() as session:
        await session.execute(
            update(OutboxMail).where(OutboxMail.message_id == message_id).values(**values)
        )


async def failed_reply(
    db: Database, person: Person, conversation_id: int, text: str = "We sturen een monteur."
) -> tuple[int, int]:
    """An agent's reply whose mail the relay refused for good: (message, outbox mail)."""
    reply_id = await replied(person, conversation_id, text)
    await set_mail(db, reply_id, status="failed", attempts=5, last_error=REJECTED)
    return reply_id, (await reply_mail(db, reply_id)).id


@asynccontextmanager
async def signed_in(app: Any, person: Person) -> AsyncIterator[httpx.AsyncClient]:
    async with web_client(app) as browser:
        r = await log_in(browser, person.email)
        assert r.status_code == 303, r.text
        yield browser


async def test_a_received_mail_is_marked_and_its_original_downloads_as_it_arrived(
    app: Any, db: Database, email_inbox: Inbox, make_agent: MakeAgent
) -> None:
    person = await make_agent("agent", team=TEAM, language="en")
    raw = mail(text="Mijn wasmachine lekt.\r\n\r\nGroet, Sanne")
    cid, message_id = await received(db, raw)
    reply_id = await replied(person, cid, "We sturen een monteur.")
    async with signed_in(app, person) as browser:
        html = (await browser.get(f"/conversations/{cid}")).text
        assert "By e-mail" in html and "View original" in html
        # Only the customer's mail has an original; the reply is ours.
        [(link, linked_id)] = ORIGINAL.findall(html)
        assert int(linked_id) == message_id
        original = await browser.get(link)
        assert original.status_code == 200
        assert original.content == raw
        assert original.headers["content-type"] == "message/rfc822"
        assert original.headers["content-disposition"].startswith("attachment;")
        assert f"message-{message_id}.eml" in original.headers["content-disposition"]
        ours = await browser.get(f"/conversations/{cid}/messages/{reply_id}/original")
        assert ours.status_code == 404
        # The timeline fragment the live page asks for shows the same.
        fragment = (await browser.get(f"/conversations/{cid}/timeline?after=0")).text
        assert "By e-mail" in fragment and ORIGINAL.search(fragment)
        assert "E-mail queued" in fragment


async def test_a_message_that_did_not_come_by_mail_has_no_original(
    app: Any, db: Database, make_agent: MakeAgent
) -> None:
    person = await make_agent("agent", language="en")
    cid = await open_conversation(db, channel="api")
    async with signed_in(app, person) as browser:
        html = (await browser.get(f"/conversations/{cid}")).text
        assert "By e-mail" not in html and "View original" not in html
        message_id = await _first_message_id(db, cid)
        r = await browser.get(f"/conversations/{cid}/messages/{message_id}/original")
        assert r.status_code == 404
        assert "Not found" in r.text


async def _first_message_id(db: Database, conversation_id: int) -> int:
    async with db.reading() as session:
        found = await session.scalar(
            select(Message.id).where(Message.conversation_id == conversation_id)
        )
    assert found is not None
    return found


async def test_the_original_is_only_for_agents_who_may_see_the_conversation(
    app: Any, db: Database, email_inbox: Inbox, make_agent: MakeAgent
) -> None:
    outsider = await make_agent("agent", team="Team Elsewhere", language="en")
    raw = mail()
    cid, message_id = await received(db, raw)
    path = f"/conversations/{cid}/messages/{message_id}/original"
    async with web_client(app) as anonymous:
        r = await anonymous.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
    async with signed_in(app, outsider) as browser:
        r = await browser.get(path)
        assert r.status_code == 404
        assert raw not in r.content


async def test_a_failed_reply_stands_out_and_can_be_sent_again_once(
    app: Any, db: Database, email_inbox: Inbox, make_agent: MakeAgent
) -> None:
    person = await make_agent("agent", team=TEAM, language="en")
    cid, _ = await received(db, mail())
    reply_id, outbox_id = await failed_reply(db, person, cid)
    page = f"/conversations/{cid}"
    async with signed_in(app, person) as browser:
        html = (await browser.get(page)).text
        assert "message from-agent mail-failed" in html
        assert 'class="mail-line mail-failed"' in html
        # The relay's words are shown as text, angle brackets and all.
        escaped = REJECTED.replace("<", "&lt;").replace(">", "&gt;")
        assert f"Failed: {escaped}" in html
        assert "sanne@example.nl did not get this answer by e-mail." in html
        action = f"/conversations/{cid}/outbox/{outbox_id}/retry"
        assert f'action="{action}"' in html and "Send again" in html

        r = await browser.post(action, data={"csrf": csrf_of(html)})
        assert r.status_code == 303 and r.headers["location"] == page
        again = await reply_mail(db, reply_id)
        assert (again.status, again.attempts) == ("queued", 0)
        html = (await browser.get(page)).text
        assert "E-mail queued" in html and "Send again" not in html and "mail-failed" not in html

        # A second press (an old tab, a double click) changes nothing and says why.
        before = await snapshot(db)
        r = await browser.post(action, data={"csrf": csrf_of(html)})
        assert r.status_code == 409
        assert 'class="alert"' in r.text
        assert "This clashes with how things stand now" in r.text
        assert "Only a failed mail can be sent again; this one is queued." in r.text
        assert await snapshot(db) == before


async def test_sending_again_needs_the_csrf_token(
    app: Any, db: Database, email_inbox: Inbox, make_agent: MakeAgent
) -> None:
    person = await make_agent("agent", team=TEAM, language="en")
    cid, _ = await received(db, mail())
    _, outbox_id = await failed_reply(db, person, cid)
    async with signed_in(app, person) as browser:
        await page_csrf(browser, f"/conversations/{cid}")
        before = await snapshot(db)
        r = await browser.post(f"/conversations/{cid}/outbox/{outbox_id}/retry", data={})
        assert r.status_code == 403
        assert await snapshot(db) == before


async def test_another_conversations_mail_cannot_be_sent_again_from_here(
    app: Any, db: Database, email_inbox: Inbox, make_agent: MakeAgent
) -> None:
    person = await make_agent("agent", team=TEAM, language="en")
    first, _ = await received(db, mail(subject="Eerste vraag"))
    second, _ = await received(db, mail(subject="Tweede vraag", sender="piet@example.nl"))
    reply_id, outbox_id = await failed_reply(db, person, first, "Antwoord op de eerste.")
    async with signed_in(app, person) as browser:
        csrf = await page_csrf(browser, f"/conversations/{second}")
        r = await browser.post(
            f"/conversations/{second}/outbox/{outbox_id}/retry", data={"csrf": csrf}
        )
        assert r.status_code == 404 and 'class="alert"' in r.text
    assert (await reply_mail(db, reply_id)).status == "failed"


async def test_each_delivery_state_in_words(
    app: Any, db: Database, email_inbox: Inbox, make_agent: MakeAgent
) -> None:
    person = await make_agent("agent", team=TEAM, language="en")
    cid, _ = await received(db, mail())
    reply_id = await replied(person, cid, "We sturen een monteur.")
    page = f"/conversations/{cid}"
    async with signed_in(app, person) as browser:
        assert "E-mail queued" in (await browser.get(page)).text

        await set_mail(db, reply_id, attempts=1, last_error="SMTPResponseException: 451 Busy")
        html = (await browser.get(page)).text
        assert "Not delivered yet: SMTPResponseException: 451 Busy — next try at" in html
        assert "(attempt 2)" in html and "mail-failed" not in html

        await set_mail(db, reply_id, status="sent", sent_at=utcnow(), last_error=None)
        html = (await browser.get(page)).text
        assert "Sent by e-mail to sanne@example.nl at" in html
        assert "Not delivered yet" not in html and "Send again" not in html

        await set_mail(db, reply_id, status="cancelled")
        assert "Not mailed: read in the chat" in (await browser.get(page)).text


async def test_the_states_are_in_dutch_for_a_dutch_agent(
    app: Any, db: Database, email_inbox: Inbox, make_agent: MakeAgent
) -> None:
    person = await make_agent("agent", team=TEAM, language="nl")
    cid, _ = await received(db, mail())
    reply_id = await replied(person, cid, "We sturen een monteur.")
    await set_mail(db, reply_id, status="failed", attempts=5, last_error="Relay weigert")
    async with signed_in(app, person) as browser:
        html = (await browser.get(f"/conversations/{cid}")).text
    assert "Per e-mail" in html and "Origineel bekijken" in html
    assert "Mislukt: Relay weigert" in html and "Opnieuw versturen" in html


async def test_attachments_are_listed_and_download_their_bytes(
    app: Any, db: Database, email_inbox: Inbox, make_agent: MakeAgent
) -> None:
    person = await make_agent("agent", team=TEAM, language="en")
    data = b"%PDF-1.4 factuur " + bytes(range(256)) * 8
    cid, _ = await received(db, with_file(mail(), "factuur-2026.pdf", data))
    async with signed_in(app, person) as browser:
        html = (await browser.get(f"/conversations/{cid}")).text
        assert 'aria-label="Attachments"' in html
        assert "factuur-2026.pdf" in html and "2.1 kB" in html
        [link] = DOWNLOAD.findall(html)
        r = await browser.get(link)
        assert r.status_code == 200 and r.content == data
        assert r.headers["content-disposition"].startswith("attachment;")
        fragment = (await browser.get(f"/conversations/{cid}/timeline?after=0")).text
        assert DOWNLOAD.findall(fragment) == [link]


async def test_a_chat_messages_files_are_listed_too(
    app: Any, db: Database, make_agent: MakeAgent
) -> None:
    person = await make_agent("agent", language="en")
    cid = await open_conversation(db, channel="chat")
    data = b"\x89PNG\r\n\x1a\n" + b"\x00" * 600
    async with db.writing() as session:
        act = Act(session, CLI, utcnow())
        message = await session.scalar(select(Message).where(Message.conversation_id == cid))
        assert message is not None
        # As the chat attaches a visitor's upload to the message it came with.
        row = await store_attachment(
            act, owner="visitor:test", name="lekkage.png", content_type="image/png", data=data
        )
        row.message_id = message.id
        message.attachments = [
            {"id": row.id, "name": row.name, "type": row.content_type, "size": row.size}
        ]
    async with signed_in(app, person) as browser:
        html = (await browser.get(f"/conversations/{cid}")).text
        assert "lekkage.png" in html and "608 B" in html
        assert "By e-mail" not in html and "View original" not in html
        [link] = DOWNLOAD.findall(html)
        r = await browser.get(link)
        assert r.status_code == 200 and r.content == data


async def test_mail_words_and_file_names_are_shown_as_text(
    app: Any, db: Database, email_inbox: Inbox, make_agent: MakeAgent
) -> None:
    person = await make_agent("agent", team=TEAM, language="en")
    raw = with_file(
        mail(subject="<script>alert('onderwerp')</script>", text="<b>vet</b> en <i>schuin</i>"),
        "<img src=x onerror=alert(1)>.pdf",
        b"%PDF-1.4",
    )
    cid, _ = await received(db, raw)
    reply_id = await replied(person, cid, "Kijken we naar.")
    await set_mail(db, reply_id, status="failed", attempts=5, last_error="<svg onload=alert(2)>")
    async with signed_in(app, person) as browser:
        html = (await browser.get(f"/conversations/{cid}")).text
    for markup in ("<script>alert", "<img src=x", "<svg onload", "<b>vet", "<i>schuin"):
        assert markup not in html, markup
    assert "&lt;script&gt;alert(&#39;onderwerp&#39;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;.pdf" in html
    assert "Failed: &lt;svg onload=alert(2)&gt;" in html


async def test_an_address_that_bounces_is_marked_next_to_the_conversation(
    app: Any, db: Database, email_inbox: Inbox, make_agent: MakeAgent
) -> None:
    person = await make_agent("agent", team=TEAM, language="nl")
    cid, _ = await received(db, mail(sender="weg@example.nl"))
    async with signed_in(app, person) as browser:
        assert "E-mail komt niet aan" not in (await browser.get(f"/conversations/{cid}")).text
        async with db.writing() as session:
            await session.execute(
                update(CustomerIdentity)
                .where(CustomerIdentity.value == "weg@example.nl")
                .values(failing_since=utcnow(), failure="550 5.1.1 Mailbox <b>gone</b>")
            )
        page = (await browser.get(f"/conversations/{cid}")).text
        assert "E-mail komt niet aan" in page
        assert "Mailbox &lt;b&gt;gone&lt;/b&gt;" in page  # the server's words, as text


async def test_the_delivery_lines_come_again_for_the_live_page(
    app: Any, db: Database, email_inbox: Inbox, make_agent: MakeAgent
) -> None:
    """What static/live.js asks for when a mail's state changes: each reply's line, marked
    to be swapped in place of the one on the page."""
    person = await make_agent("agent", team=TEAM, language="en")
    cid, _ = await received(db, mail())
    reply_id = await replied(person, cid, "We sturen een monteur.")
    async with signed_in(app, person) as browser:
        page = (await browser.get(f"/conversations/{cid}")).text
        assert f'id="mail-{reply_id}"' in page and 'id="mail-refresh"' in page
        await set_mail(db, reply_id, status="sent", sent_at=utcnow())
        lines = (await browser.get(f"/conversations/{cid}/mail")).text
    assert f'id="mail-{reply_id}"' in lines and 'hx-swap-oob="true"' in lines
    assert "Sent by e-mail to sanne@example.nl" in lines
    assert "View original" not in lines  # only the replies' lines
