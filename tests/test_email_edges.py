"""The e-mail channel at its edges: hostile or odd mail, strangers, forged bounces, a relay
that chokes on an address, leases that run out. Every mail a customer sent ends up stored;
no stranger gets into someone else's conversation."""

from __future__ import annotations

import datetime as dt
import random
from email.message import EmailMessage
from email.policy import SMTP
from typing import Any

import pytest
from sqlalchemy import select, update

from balie.act import utcnow
from balie.email import inbound
from balie.email.addressing import reply_address
from balie.email.inbound import receive
from balie.email.sender import OutboxSender, claim, settle
from balie.settings import Settings
from balie.store.database import Database
from balie.store.tables import Attachment, Inbox, MailRecord, OutboxMail
from tests.conftest import MakeAgent, Person, snapshot
from tests.email_corpus import corpus
from tests.email_fixtures import (
    ADDRESS,
    Receiver,
    chat_with_email,
    conversations,
    deliver,
    email_inbox,
    messages,
    outbox,
    receiver,
    team_agent,
)
from tests.mail_support import mail, smtp_sink

__all__ = ["email_inbox", "receiver", "team_agent"]


async def test_every_corpus_mail_is_stored(db: Database, email_inbox: object) -> None:
    """A few hundred mails of every client and shape go through the whole path on this
    backend (PostgreSQL checks lengths SQLite ignores); each ends up stored, once."""
    mails = corpus(240, seed=3)
    for item in mails:
        await receive(db, item.raw, recipients=[ADDRESS], sender_limit_per_hour=None)
    async with db.reading() as session:
        stored = list(await session.scalars(select(MailRecord).where(MailRecord.direction == "in")))
    assert len(stored) == len(mails)
    assert not [c for c in await conversations(db) if c.subject == "(unreadable e-mail)"]


async def test_a_message_id_too_long_for_an_index_is_stored_once(
    db: Database, email_inbox: object
) -> None:
    # One header line of about 2,900 bytes (IMAP has no line limit, and some clients write
    # UTF-8): past PostgreSQL's index row limit, and random, so it does not compress.
    letters = random.Random(5).choices([chr(c) for c in range(0x4E00, 0x9FA5)], k=950)
    long_id = ("<" + "".join(letters) + "@example.nl>").encode()
    raw = mail(message_id="<placeholder@example.nl>").replace(b"<placeholder@example.nl>", long_id)
    first = await receive(db, raw, recipients=[ADDRESS])
    again = await receive(db, raw, recipients=[ADDRESS])
    assert not first.duplicate and again.duplicate
    assert len(await conversations(db)) == 1


async def test_an_absurd_attachment_type_is_kept_as_a_plain_file(
    db: Database, email_inbox: object
) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@example.nl", ADDRESS, "Bijlage"
    message.set_content("Zie bijlage.")
    message.add_attachment(b"data", maintype="application", subtype="x-" + "y" * 150)
    got = await receive(db, message.as_bytes(policy=SMTP), recipients=[ADDRESS])
    async with db.reading() as session:
        [row] = await session.scalars(
            select(Attachment).where(Attachment.message_id == got.message_id)
        )
    assert row.content_type == "application/octet-stream" and row.data == b"data"


async def test_a_mail_balie_trips_over_is_kept_as_unreadable(
    db: Database, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever goes wrong with one mail's contents, the sender gets 250 only with the mail
    stored, and the agent can open the original."""

    async def trips(*args: object, **kwargs: object) -> None:
        raise RuntimeError("an attachment Balie cannot handle")

    monkeypatch.setattr(inbound, "_attach", trips)
    raw = mail(subject="Rare bijlage")
    await deliver(receiver.port, raw)
    [conversation] = await conversations(db)
    assert conversation.subject == "(unreadable e-mail)"
    [message] = await messages(db, conversation.id)
    async with db.reading() as session:
        kept = await session.scalar(
            select(MailRecord.raw).where(MailRecord.message_id == message.id)
        )
    assert kept == raw
    await deliver(receiver.port, raw)  # a retry of it is recognised
    assert len(await conversations(db)) == 1


async def test_a_stranger_quoting_a_customers_message_id_opens_their_own_conversation(
    db: Database, receiver: Receiver
) -> None:
    await deliver(receiver.port, mail(sender="sanne@example.nl", message_id="<priv@example.nl>"))
    await deliver(
        receiver.port,
        mail(
            sender="vreemde@example.nl",
            subject="Re: Wasmachine lekt",
            in_reply_to="<priv@example.nl>",
        ),
    )
    sannes, strangers = await conversations(db)
    assert sannes.customer_id != strangers.customer_id


async def test_a_different_mail_reusing_a_message_id_is_kept(
    db: Database, receiver: Receiver
) -> None:
    await deliver(receiver.port, mail(sender="a@example.nl", message_id="<same@x>"))
    await deliver(
        receiver.port, mail(sender="b@example.nl", subject="Iets anders", message_id="<same@x>")
    )
    assert len(await conversations(db)) == 2


async def test_a_form_reusing_its_message_id_loses_no_order(
    db: Database, receiver: Receiver
) -> None:
    """A careless mailer sends every mail with the same Message-ID: each is still kept."""
    for order in ("Bestelling 1", "Bestelling 2"):
        await deliver(
            receiver.port, mail(sender="form@shop.nl", subject=order, message_id="<vast@shop.nl>")
        )
    assert sorted(c.subject for c in await conversations(db)) == ["Bestelling 1", "Bestelling 2"]


async def test_a_polled_mail_from_a_null_sender_gets_no_acknowledgement(
    db: Database, email_inbox: Inbox
) -> None:
    raw = b"Return-Path: <>\r\n" + mail(sender="noreply@robot.nl")
    await receive(db, raw, recipients=[], inbox_id=email_inbox.id, sender_limit_per_hour=None)
    assert len(await conversations(db)) == 1
    assert await outbox(db) == []


async def test_the_subject_window_closes(db: Database, receiver: Receiver) -> None:
    await deliver(receiver.port, mail(subject="Wasmachine lekt"))
    async with db.writing() as session:
        await session.execute(
            update(MailRecord).values(created_at=utcnow() - dt.timedelta(days=15))
        )
    await deliver(receiver.port, mail(subject="Re: Wasmachine lekt"))
    assert len(await conversations(db)) == 2


async def test_no_acknowledgement_to_a_null_sender(db: Database, receiver: Receiver) -> None:
    await deliver(receiver.port, mail(sender="robot@example.nl"), sender="")
    assert len(await conversations(db)) == 1
    assert await outbox(db) == []


async def test_a_chat_answer_mailed_to_the_visitor_threads_back_by_token(
    db: Database, receiver: Receiver, team_agent: Person
) -> None:
    chat_id = await chat_with_email(team_agent, "Waar blijft mijn pakket?")
    token = reply_address(ADDRESS, receiver.inbox.secret, chat_id)
    # The visitor answers the mailed reply from a client that keeps no headers.
    await deliver(
        receiver.port, mail(sender="joris@example.nl", to=token, subject="pakket"), to=[token]
    )
    assert [c.id for c in await conversations(db)] == [chat_id]
    assert (await messages(db, chat_id))[-1].text.startswith("Mijn wasmachine")


async def test_the_masked_imap_password_sent_back_keeps_the_real_one(
    db: Database, email_inbox: object, make_agent: MakeAgent
) -> None:
    admin = await make_agent("admin")
    [inbox] = (await admin.client.get("/api/v1/inboxes")).json()
    imap = {
        "host": "imap.example.nl",
        "port": 993,
        "security": "tls",
        "username": "s",
        "password": "geheim",
    }
    await admin.client.patch(f"/api/v1/inboxes/{inbox['id']}", json={"imap": imap})
    shown = (await admin.client.get(f"/api/v1/inboxes/{inbox['id']}")).json()["imap"]
    assert shown["password"] == "********"
    changed = await admin.client.patch(
        f"/api/v1/inboxes/{inbox['id']}", json={"imap": {**shown, "folder": "Support"}}
    )
    assert changed.status_code == 200, changed.text
    async with db.reading() as session:
        row = await session.get(Inbox, inbox["id"])
    assert row is not None and row.email["imap"]["password"] == "geheim"
    assert row.email["imap"]["folder"] == "Support"
    # The mask sent with another server: the password is not handed to it.
    moved = await admin.client.patch(
        f"/api/v1/inboxes/{inbox['id']}", json={"imap": {**shown, "host": "elders.example"}}
    )
    assert moved.status_code == 422 and "password" in moved.text
    async with db.reading() as session:
        row = await session.get(Inbox, inbox["id"])
    assert row is not None and row.email["imap"]["host"] == "imap.example.nl"


@pytest.mark.parametrize("utf8", [True, False])
async def test_a_non_ascii_address_goes_where_the_relay_takes_it_and_fails_clearly_elsewhere(
    db: Database, settings: Settings, receiver: Receiver, team_agent: Person, utf8: bool
) -> None:
    await deliver(receiver.port, mail(sender="Jörg <jörg@example.de>"))
    [conversation] = await conversations(db)
    async with db.writing() as session:
        await session.execute(update(OutboxMail).values(status="cancelled"))  # not the ack
    await team_agent.client.post(
        f"/api/v1/conversations/{conversation.id}/messages", json={"text": "Wij kijken ernaar."}
    )
    with smtp_sink(utf8=utf8) as relay:
        sender = OutboxSender(
            db,
            settings.model_copy(update={"smtp_relay": relay.relay, "smtp_relay_security": "none"}),
        )
        await sender.run_once()
        if utf8:
            [delivered] = await relay.wait(1)
            assert delivered.rcpt_tos == ["jörg@example.de"]
            assert delivered.message["To"] == "jörg@example.de"
    listed = await team_agent.client.get(f"/api/v1/conversations/{conversation.id}/messages")
    delivery = listed.json()[-1]["email"]
    if utf8:
        assert delivery["status"] == "sent"
    else:
        # What the agent sees: it failed, and why; it is not retried forever.
        assert delivery["status"] == "failed" and "SMTPUTF8" in delivery["last_error"]
        assert await sender.run_once() == 0


async def test_a_sender_whose_lease_ran_out_cannot_overwrite_the_next_one(
    db: Database, receiver: Receiver
) -> None:
    await deliver(receiver.port, mail())  # queues the acknowledgement
    slow = await claim(db, now=utcnow(), max_attempts=10)
    assert slow is not None
    later = utcnow() + dt.timedelta(minutes=6)  # the slow sender's lease has run out
    fast = await claim(db, now=later, max_attempts=10)
    assert fast is not None and fast.id == slow.id and fast.attempts == 2
    assert await settle(db, fast, None, max_attempts=10) == "sent"
    assert await settle(db, slow, OSError("timed out"), max_attempts=10) == "superseded"
    [row] = await outbox(db)
    assert row.status == "sent"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"acknowledge": "yes"}, "acknowledge"),
        (
            {"imap": {"host": "imap.example.nl", "port": 0, "username": "s", "password": "p"}},
            "imap",
        ),
        ({"imap": {"host": "imap.example.nl", "username": "s", "password": "p", "x": 1}}, "imap"),
        ({"imap": "imap.example.nl"}, "imap"),
    ],
)
async def test_bad_inbox_mail_settings_are_refused_and_change_nothing(
    db: Database, email_inbox: Inbox, make_agent: MakeAgent, change: dict[str, Any], field: str
) -> None:
    admin = await make_agent("admin")
    before = await snapshot(db)
    refused = await admin.client.patch(f"/api/v1/inboxes/{email_inbox.id}", json=change)
    assert refused.status_code == 422 and field in refused.text
    assert await snapshot(db) == before


async def test_mail_settings_on_a_chat_inbox_are_refused(
    db: Database, make_agent: MakeAgent
) -> None:
    admin = await make_agent("admin", team="Chat")
    made = await admin.client.post(
        "/api/v1/inboxes", json={"team_id": admin.team_id, "name": "Widget", "channel": "chat"}
    )
    before = await snapshot(db)
    refused = await admin.client.patch(
        f"/api/v1/inboxes/{made.json()['id']}", json={"acknowledge": True}
    )
    assert refused.status_code == 422 and "e-mail inbox" in refused.text
    assert await snapshot(db) == before
