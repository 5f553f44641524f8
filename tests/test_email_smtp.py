"""Balie's SMTP receiver, spoken to with smtplib over a real socket: 250 only after the
mail is stored, 451 when it cannot be, 550 for strangers' addresses, 552 for giants."""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

import pytest
from sqlalchemy import select, text, update

from balie.settings import Settings
from balie.store.database import Database
from balie.store.migrate import migrate
from balie.store.tables import Attachment, Customer, CustomerIdentity, OutboxMail
from tests.conftest import MakeAgent, snapshot
from tests.email_fixtures import (
    ADDRESS,
    Receiver,
    conversations,
    deliver,
    email_inbox,
    make_email_inbox,
    messages,
    outbox,
    receiver,
    receiving,
    records,
)
from tests.mail_support import mail

__all__ = ["email_inbox", "receiver"]  # fixtures used by name


async def test_a_mail_becomes_a_conversation_only_then_250(
    db: Database, receiver: Receiver
) -> None:
    quoted = "Op ma 3 nov. 2025 om 10:12 schreef Shop <support@shop.example>:\n> Oude tekst"
    raw = mail(text=f"Mijn wasmachine lekt nog steeds.\n\n{quoted}\n")
    refused = await deliver(receiver.port, raw)
    assert refused == {}  # smtplib: every recipient accepted with 250
    [conversation] = await conversations(db)
    assert (conversation.channel, conversation.subject) == ("email", "Wasmachine lekt")
    assert conversation.inbox_id == receiver.inbox.id
    [message] = await messages(db, conversation.id)
    assert message.author_kind == "customer"
    assert "lekt nog steeds" in message.text
    assert "Oude tekst" not in message.text  # the quoted history is not shown...
    [record] = [r for r in await records(db) if r.direction == "in"]
    assert record.raw == raw  # ...but the original is kept whole
    async with db.reading() as session:
        customer = await session.get(Customer, conversation.customer_id)
        identity = await session.scalar(
            select(CustomerIdentity).where(CustomerIdentity.customer_id == conversation.customer_id)
        )
    assert customer is not None and customer.name == "Sanne de Vries"
    assert identity is not None and identity.value == "sanne@example.nl"


async def test_the_same_mail_delivered_twice_is_stored_once(
    db: Database, receiver: Receiver
) -> None:
    raw = mail(message_id="<retry-1@example.nl>")
    await deliver(receiver.port, raw)
    await deliver(receiver.port, raw)  # the sender never saw our 250 and tries again
    [conversation] = await conversations(db)
    assert len(await messages(db, conversation.id)) == 1


async def test_unknown_recipient_gets_550_and_nothing_changes(
    db: Database, receiver: Receiver
) -> None:
    before = await snapshot(db)
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        await deliver(
            receiver.port, mail(to="sales@elsewhere.example"), to=["sales@elsewhere.example"]
        )
    code, reason = refused.value.recipients["sales@elsewhere.example"]
    assert code == 550 and b"No Balie inbox" in reason
    assert await snapshot(db) == before


async def test_plus_addressing_reaches_the_inbox(db: Database, receiver: Receiver) -> None:
    await deliver(
        receiver.port, mail(to="support+orders@shop.example"), to=["support+orders@shop.example"]
    )
    assert len(await conversations(db)) == 1


async def test_oversized_mail_gets_552_and_nothing_changes(
    db: Database, settings: Settings, email_inbox: object
) -> None:
    async with receiving(db, settings, smtp_max_bytes=20_000) as port:
        before = await snapshot(db)
        with pytest.raises(smtplib.SMTPResponseException) as refused:
            await deliver(port, mail(text="lang verhaal " * 5_000))
        assert refused.value.smtp_code == 552
        assert await snapshot(db) == before


async def test_database_unreachable_gets_451(settings: Settings) -> None:
    """The database is down: the sender hears "try again later", not "delivered"."""
    gone = Database("postgresql+psycopg://postgres@127.0.0.1:1/balie")
    try:
        async with receiving(gone, settings) as port:
            with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
                await deliver(port, mail())
            assert refused.value.recipients[ADDRESS][0] == 451
    finally:
        await gone.dispose()


async def test_disk_full_gets_451_then_the_retry_is_stored(
    tmp_path: Path, settings: Settings
) -> None:
    """A full disk while storing: 451 and nothing half-written; once there is room, the
    sender's retry is stored, once."""
    own = Database(f"sqlite+aiosqlite:///{tmp_path / 'full.db'}")
    await migrate(own)
    await make_email_inbox(own)
    big = mail(
        text="Zie de foto's.\n" + ("x" * 70 + "\n") * 6_000, message_id="<full-1@example.nl>"
    )
    try:
        async with receiving(own, settings) as port:
            async with own.writing() as session:
                pages = (await session.execute(text("PRAGMA page_count"))).scalar_one()
                # The writer's one connection may not grow the file: SQLite says "disk full".
                await session.execute(text(f"PRAGMA max_page_count = {pages + 5}"))
            with pytest.raises(smtplib.SMTPDataError) as refused:
                await deliver(port, big)
            assert refused.value.smtp_code == 451
            assert await conversations(own) == []
            async with own.writing() as session:
                await session.execute(text("PRAGMA max_page_count = 1073741823"))
            await deliver(port, big)
            [conversation] = await conversations(own)
            assert len(await messages(own, conversation.id)) == 1
    finally:
        await own.dispose()


async def test_attachments_are_kept_and_tnef_is_left_out(db: Database, receiver: Receiver) -> None:
    message = EmailMessage()
    message["From"] = "Piet <piet@example.nl>"
    message["To"] = ADDRESS
    message["Subject"] = "Factuur klopt niet"
    message["Message-ID"] = "<att-1@example.nl>"
    message.set_content("De factuur zit erbij.")
    message.add_attachment(
        b"%PDF-1.4 factuur", maintype="application", subtype="pdf", filename="factuur.pdf"
    )
    message.add_attachment(
        b"\x78\x9f\x3e\x22rest", maintype="application", subtype="ms-tnef", filename="winmail.dat"
    )
    await deliver(receiver.port, message.as_bytes(policy=SMTP))
    [conversation] = await conversations(db)
    [stored] = await messages(db, conversation.id)
    assert [a["name"] for a in stored.attachments] == ["factuur.pdf"]
    assert "winmail.dat" in stored.text  # the agent is told what was left out
    async with db.reading() as session:
        row = await session.get(Attachment, stored.attachments[0]["id"])
    assert row is not None and row.data == b"%PDF-1.4 factuur" and row.message_id == stored.id


async def test_a_new_conversation_is_acknowledged_once_an_hour(
    db: Database, receiver: Receiver
) -> None:
    await deliver(receiver.port, mail(subject="Eerste vraag"))
    await deliver(receiver.port, mail(subject="Tweede vraag"))
    assert len(await conversations(db)) == 2
    [ack] = await outbox(db)
    assert (ack.purpose, ack.to_address, ack.status) == (
        "acknowledgement",
        "sanne@example.nl",
        "queued",
    )
    assert b"Auto-Submitted: auto-replied" in ack.content


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"Precedence": "bulk", "List-Id": "<nieuws.example.nl>"},
    ],
)
async def test_robots_get_no_acknowledgement(
    db: Database, receiver: Receiver, headers: dict[str, str]
) -> None:
    await deliver(receiver.port, mail(sender="robot@example.nl", headers=headers))
    assert len(await conversations(db)) == 1  # kept: nothing sent is lost
    assert await outbox(db) == []


async def test_a_mail_loop_is_stopped_with_451(
    db: Database, settings: Settings, email_inbox: object
) -> None:
    async with receiving(db, settings, email_sender_limit_per_hour=3) as port:
        for n in range(3):
            await deliver(port, mail(sender="loop@example.nl", subject=f"Re: ping {n}"))
        before = await snapshot(db)
        with pytest.raises(smtplib.SMTPDataError) as refused:
            await deliver(port, mail(sender="loop@example.nl", subject="Re: ping 4"))
        assert refused.value.smtp_code == 451
        assert await snapshot(db) == before
        await deliver(port, mail(sender="someone@example.nl"))  # others still get through


async def test_concurrent_senders_lose_nothing(db: Database, receiver: Receiver) -> None:
    raws = [mail(sender=f"klant{n}@example.nl", subject=f"Vraag {n}") for n in range(12)]
    await asyncio.gather(*(deliver(receiver.port, raw) for raw in raws))
    assert sorted(c.subject for c in await conversations(db)) == sorted(
        f"Vraag {n}" for n in range(12)
    )


def _bounce_for(address: str, message_id: str = "<b1@mx>", action: str = "failed") -> bytes:
    return (
        b"From: Mail Delivery System <MAILER-DAEMON@mx.example.nl>\r\n"
        b"To: support@shop.example\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        b"Message-ID: " + message_id.encode() + b"\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="R"\r\n\r\n'
        b"--R\r\nContent-Type: text/plain\r\n\r\nThe mailbox does not exist.\r\n"
        b"--R\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.example.nl\r\n\r\n"
        b"Final-Recipient: rfc822; "
        + address.encode()
        + b"\r\nAction: "
        + action.encode()
        + b"\r\n"
        b"Status: 5.1.1\r\n\r\n--R--\r\n"
    )


async def test_a_bounce_marks_the_address_failing_and_tells_the_agent(
    db: Database, receiver: Receiver, make_agent: MakeAgent
) -> None:
    await deliver(receiver.port, mail(sender="weg@example.nl"))
    [conversation] = await conversations(db)
    [ack] = await outbox(db)  # the acknowledgement, sent from its own bounce address
    assert ack.from_address.startswith("support+b") and ack.from_address.endswith("@shop.example")
    async with db.writing() as session:
        await session.execute(update(OutboxMail).values(status="sent"))
    # A forged bounce, to the plain address, names the customer: it marks nothing.
    await deliver(receiver.port, _bounce_for("weg@example.nl"), sender="")
    async with db.reading() as session:
        identity = await session.scalar(
            select(CustomerIdentity).where(CustomerIdentity.value == "weg@example.nl")
        )
    assert identity is not None and identity.failing_since is None
    # A delay notice to the right address: the mail may still arrive, so nothing changes.
    await deliver(
        receiver.port,
        _bounce_for("weg@example.nl", "<d1@mx>", action="delayed"),
        to=[ack.from_address],
        sender="",
    )
    [waiting] = await outbox(db)
    assert waiting.status == "sent"
    # The real one comes back to the envelope sender of the mail that failed.
    await deliver(
        receiver.port, _bounce_for("weg@example.nl", "<b2@mx>"), to=[ack.from_address], sender=""
    )
    assert len(await conversations(db)) == 1  # a bounce opens no conversation
    async with db.reading() as session:
        identity = await session.scalar(
            select(CustomerIdentity).where(CustomerIdentity.value == "weg@example.nl")
        )
    assert identity is not None and identity.failing_since is not None
    [failed] = await outbox(db)
    assert failed.status == "failed" and "does not exist" in (failed.last_error or "")
    supervisor = await make_agent("supervisor")
    profile = (await supervisor.client.get(f"/api/v1/customers/{identity.customer_id}")).json()
    [shown] = [i for i in profile["identities"] if i["value"] == "weg@example.nl"]
    assert shown["failing_since"] and "does not exist" in shown["failure"]
    note = (await messages(db, conversation.id))[-1]
    assert note.internal and "bounced" in note.text and "weg@example.nl" in note.text
    assert len(await outbox(db)) == 1  # and nobody answers a bounce
    # The customer writes again from the address: it works after all.
    await deliver(receiver.port, mail(sender="weg@example.nl", subject="Nog een vraag"))
    async with db.reading() as session:
        identity = await session.scalar(
            select(CustomerIdentity).where(CustomerIdentity.value == "weg@example.nl")
        )
    assert identity is not None and identity.failing_since is None


async def test_mail_and_chat_of_one_address_are_one_customer(
    db: Database, receiver: Receiver, make_agent: MakeAgent
) -> None:
    agent = await make_agent("supervisor")
    chat = await agent.client.post(
        "/api/v1/conversations",
        json={
            "customer": {"name": "Sanne", "email": "Sanne@Example.nl"},
            "subject": "Chat",
            "channel": "chat",
            "message": {"text": "Hallo, een vraag over mijn bestelling."},
        },
    )
    assert chat.status_code == 201
    await deliver(receiver.port, mail(sender="sanne@example.nl"))
    by_channel = {c.channel: c.customer_id for c in await conversations(db)}
    assert by_channel["email"] == by_channel["chat"]
    profile = await agent.client.get(f"/api/v1/customers/{by_channel['chat']}")
    assert {c["channel"] for c in profile.json()["conversations"]} == {"chat", "email"}


async def test_every_mail_is_triaged_in_its_conversations_language(
    db: Database, receiver: Receiver
) -> None:
    await deliver(
        receiver.port,
        mail(
            message_id="<t1@example.nl>",
            text="Jullie zijn een stelletje oplichters, kankerlijers!!",
        ),
    )
    [conversation] = await conversations(db)
    assert conversation.abusive and conversation.language == "nl"
    [first] = await messages(db, conversation.id)
    assert first.triage is not None and first.triage["abusive"] is True
    # A reply in English keeps the Dutch conversation's triage language.
    await deliver(
        receiver.port,
        mail(text="The machine is still leaking, please help.", in_reply_to="<t1@example.nl>"),
    )
    second = (await messages(db, conversation.id))[-1]
    assert second.triage is not None and second.triage["language"] == "nl"
