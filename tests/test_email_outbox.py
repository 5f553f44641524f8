"""Mail out: committed with the reply, delivered to a real SMTP relay (an aiosmtpd sink),
retried with backoff, failures visible on the message; chat answers reach visitors who
left."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import update

from balie.act import CLI, Act, utcnow
from balie.chat.actions import mark_read
from balie.email.addressing import read_token, split_recipient
from balie.email.sender import OutboxSender, backoff
from balie.settings import Settings
from balie.store.database import Database
from balie.store.tables import Conversation, OutboxMail
from tests.conftest import Person
from tests.email_fixtures import (
    Receiver,
    chat_with_email,
    conversations,
    deliver,
    email_inbox,
    outbox,
    receiver,
    team_agent,
)
from tests.mail_support import SmtpSink, mail, smtp_sink

__all__ = ["email_inbox", "receiver", "team_agent"]


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with smtp_sink() as running:
        yield running


def sender_for(db: Database, settings: Settings, sink: SmtpSink, **over: object) -> OutboxSender:
    return OutboxSender(
        db,
        settings.model_copy(
            update={"smtp_relay": sink.relay, "smtp_relay_security": "none", **over}
        ),
    )


async def _customer_mail_then_reply(
    db: Database,
    receiver: Receiver,
    team_agent: Person,
    reply: str = "We sturen morgen een monteur.",
) -> tuple[int, dict[str, object]]:
    await deliver(receiver.port, mail(message_id="<case-1@example.nl>"))
    [conversation] = await conversations(db)
    response = await team_agent.client.post(
        f"/api/v1/conversations/{conversation.id}/messages", json={"text": reply}
    )
    assert response.status_code == 201, response.text
    return conversation.id, response.json()


async def _make_due(db: Database) -> None:
    """Skip the backoff wait: the test does not sleep for half a minute."""
    async with db.writing() as session:
        await session.execute(update(OutboxMail).values(next_attempt_at=utcnow()))


async def test_a_reply_is_sent_with_threading_headers(
    db: Database, settings: Settings, receiver: Receiver, team_agent: Person, sink: SmtpSink
) -> None:
    conversation_id, created = await _customer_mail_then_reply(db, receiver, team_agent)
    assert created["email"]["status"] == "queued"  # committed with the reply, not yet sent
    sender = sender_for(db, settings, sink)
    assert await sender.run_once() == 2  # the acknowledgement and the reply
    delivered = await sink.wait(2)
    reply = next(d for d in delivered if "monteur" in d.raw.decode())
    message = reply.message
    assert reply.rcpt_tos == ["sanne@example.nl"]
    # Bounces come back to the inbox, to an address that names this very mail.
    assert reply.mail_from.startswith("support+b") and reply.mail_from.endswith("@shop.example")
    assert message["In-Reply-To"] == "<case-1@example.nl>"
    assert "<case-1@example.nl>" in message["References"]
    assert message["Subject"] == "Re: Wasmachine lekt"
    assert "Auto-Submitted" not in message  # a person wrote this
    tag = split_recipient(str(message["Reply-To"]).split("<")[-1].rstrip(">"))
    assert tag is not None and tag.tag is not None
    assert read_token(receiver.inbox.secret, tag.tag) == ("c", conversation_id)
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    listed = await team_agent.client.get(f"/api/v1/conversations/{conversation_id}/messages")
    assert listed.json()[-1]["email"]["status"] == "sent"


async def test_the_customers_answer_to_our_mail_threads_back(
    db: Database, settings: Settings, receiver: Receiver, team_agent: Person, sink: SmtpSink
) -> None:
    conversation_id, _ = await _customer_mail_then_reply(db, receiver, team_agent)
    await sender_for(db, settings, sink).run_once()
    ours = next(d for d in await sink.wait(2) if "monteur" in d.raw.decode()).message
    answer = mail(
        subject=f"RE: {ours['Subject']}",
        text="Prima, tot morgen.",
        in_reply_to=str(ours["Message-ID"]),
        references=f"{ours['References']} {ours['Message-ID']}",
    )
    await deliver(receiver.port, answer)
    assert [c.id for c in await conversations(db)] == [conversation_id]


async def test_a_relay_that_says_try_later_is_retried_with_backoff(
    db: Database, settings: Settings, receiver: Receiver, team_agent: Person, sink: SmtpSink
) -> None:
    conversation_id, _ = await _customer_mail_then_reply(db, receiver, team_agent)
    sink.answer = "451 4.3.0 Busy"
    sender = sender_for(db, settings, sink)
    await sender.run_once()
    rows = await outbox(db)
    assert {r.status for r in rows} == {"queued"}
    assert all(r.attempts == 1 and "Busy" in (r.last_error or "") for r in rows)
    assert all(r.next_attempt_at >= utcnow() + dt.timedelta(seconds=25) for r in rows)
    assert await sender.run_once() == 0  # not due yet
    listed = await team_agent.client.get(f"/api/v1/conversations/{conversation_id}/messages")
    assert "Busy" in listed.json()[-1]["email"]["last_error"]  # the agent sees why
    sink.answer = None
    await _make_due(db)
    await sender.run_once()
    assert {r.status for r in await outbox(db)} == {"sent"}
    assert len(await sink.wait(2)) == 2


async def test_a_permanent_refusal_fails_at_once_and_can_be_retried(
    db: Database, settings: Settings, receiver: Receiver, team_agent: Person, sink: SmtpSink
) -> None:
    conversation_id, _ = await _customer_mail_then_reply(db, receiver, team_agent)
    sink.answer = "550 5.1.1 No such user"
    await sender_for(db, settings, sink).run_once()
    listed = await team_agent.client.get(f"/api/v1/conversations/{conversation_id}/messages")
    delivery = listed.json()[-1]["email"]
    assert delivery["status"] == "failed" and "No such user" in delivery["last_error"]
    retried = await team_agent.client.post(
        f"/api/v1/conversations/{conversation_id}/outbox/{delivery['outbox_id']}/retry"
    )
    assert retried.status_code == 200 and retried.json()["status"] == "queued"
    again = await team_agent.client.post(
        f"/api/v1/conversations/{conversation_id}/outbox/{delivery['outbox_id']}/retry"
    )
    assert again.status_code == 409  # only a failed mail can be retried
    sink.answer = None
    await sender_for(db, settings, sink).run_once()
    assert any("monteur" in d.raw.decode() for d in await sink.wait(1))


async def test_attempts_run_out(
    db: Database, settings: Settings, receiver: Receiver, team_agent: Person, sink: SmtpSink
) -> None:
    await _customer_mail_then_reply(db, receiver, team_agent)
    sink.answer = "421 4.4.2 Timeout"
    sender = sender_for(db, settings, sink, outbox_max_attempts=3)
    for _ in range(3):
        await sender.run_once()
        await _make_due(db)
    assert {r.status for r in await outbox(db)} == {"failed"}
    assert backoff(1) == dt.timedelta(seconds=30) and backoff(20) == dt.timedelta(hours=2)


async def test_relay_unreachable_keeps_the_mail(
    db: Database, settings: Settings, receiver: Receiver, team_agent: Person
) -> None:
    await _customer_mail_then_reply(db, receiver, team_agent)
    nowhere = OutboxSender(
        db, settings.model_copy(update={"smtp_relay": "127.0.0.1:1", "smtp_relay_security": "none"})
    )
    await nowhere.run_once()
    rows = await outbox(db)
    assert {r.status for r in rows} == {"queued"} and all(r.last_error for r in rows)


async def test_internal_notes_and_chat_replies_read_in_time_send_nothing(
    db: Database, settings: Settings, receiver: Receiver, team_agent: Person, sink: SmtpSink
) -> None:
    await deliver(receiver.port, mail())
    [conversation] = await conversations(db)
    note = await team_agent.client.post(
        f"/api/v1/conversations/{conversation.id}/messages",
        json={"text": "Klant belt vaker, let op.", "internal": True},
    )
    assert note.status_code == 201
    assert [m.purpose for m in await outbox(db)] == ["acknowledgement"]


async def test_a_late_chat_answer_reaches_the_visitor_by_mail(
    db: Database, settings: Settings, email_inbox: object, team_agent: Person, sink: SmtpSink
) -> None:
    conversation_id = await chat_with_email(team_agent)
    reply = await team_agent.client.post(
        f"/api/v1/conversations/{conversation_id}/messages",
        json={"text": "Uw pakket komt morgen."},
    )
    assert reply.status_code == 201
    [follow_up] = await outbox(db)
    assert follow_up.purpose == "chat_follow_up"
    assert follow_up.next_attempt_at > utcnow() + dt.timedelta(seconds=60)  # waits first
    sender = sender_for(db, settings, sink)
    assert await sender.run_once() == 0
    await _make_due(db)
    await sender.run_once()
    [delivered] = await sink.wait(1)
    assert delivered.rcpt_tos == ["joris@example.nl"]
    assert "Uw pakket komt morgen." in delivered.message.get_body(("plain",)).get_content()


async def test_a_chat_answer_read_in_the_widget_is_not_mailed(
    db: Database, settings: Settings, email_inbox: object, team_agent: Person, sink: SmtpSink
) -> None:
    conversation_id = await chat_with_email(team_agent)
    reply = await team_agent.client.post(
        f"/api/v1/conversations/{conversation_id}/messages", json={"text": "Morgen."}
    )
    async with db.writing() as session:
        conversation = await session.get(Conversation, conversation_id)
        assert conversation is not None
        await mark_read(
            Act(session, CLI, utcnow()), conversation, side="customer", seq=reply.json()["seq"]
        )
    await _make_due(db)
    await sender_for(db, settings, sink).run_once()
    [row] = await outbox(db)
    assert row.status == "cancelled"
    await asyncio.sleep(0.2)
    assert sink.received == []


async def test_two_senders_send_each_mail_once(
    db: Database, settings: Settings, team_agent: Person, sink: SmtpSink
) -> None:
    """Two server processes' senders share the outbox: claims keep them apart."""
    ids = [await chat_with_email(team_agent) for _ in range(6)]
    for conversation_id in ids:
        await team_agent.client.post(
            f"/api/v1/conversations/{conversation_id}/messages", json={"text": "Komt eraan."}
        )
    await _make_due(db)
    first, second = sender_for(db, settings, sink), sender_for(db, settings, sink)
    await asyncio.gather(first.run_once(), second.run_once(), first.run_once(), second.run_once())
    await sink.wait(6)
    await asyncio.sleep(0.3)  # a double would arrive now
    assert len(sink.received) == 6
    assert {r.status for r in await outbox(db)} == {"sent"}
