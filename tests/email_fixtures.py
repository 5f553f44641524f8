"""Fixtures of the e-mail tests: an e-mail inbox, Balie's SMTP receiver on a free port, and
reading back what was stored."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from balie.act import CLI, Act, utcnow
from balie.agents.actions import create_inbox, create_team
from balie.chat.actions import configure_inbox
from balie.email.smtp import start_receiver
from balie.settings import Settings
from balie.store.database import Database
from balie.store.tables import Conversation, Inbox, MailRecord, Message, OutboxMail
from tests.conftest import MakeAgent, Person
from tests.live_support import free_port

ADDRESS = "support@shop.example"


@dataclass
class Receiver:
    port: int
    inbox: Inbox
    settings: Settings


async def make_email_inbox(
    db: Database, *, address: str = ADDRESS, name: str = "Shop support", **config: Any
) -> Inbox:
    async with db.writing() as session:
        act = Act(session, CLI, utcnow())
        team = await create_team(act, name=f"Team {name}")
        inbox = await create_inbox(
            act, team_id=team.id, name=name, channel="email", address=address
        )
        if config:
            await configure_inbox(act, inbox, config)
        return inbox


@pytest.fixture
async def email_inbox(db: Database) -> Inbox:
    return await make_email_inbox(db, acknowledge=True)


@asynccontextmanager
async def receiving(db: Database, settings: Settings, **over: Any) -> AsyncIterator[int]:
    """Balie's SMTP receiver on a free port, with any settings changed; yields the port."""
    port = free_port()
    listening = settings.model_copy(update={"smtp_listen": f"127.0.0.1:{port}", **over})
    server = await start_receiver(db, listening)
    try:
        yield port
    finally:
        server.close()
        await server.wait_closed()


@pytest.fixture
async def receiver(db: Database, settings: Settings, email_inbox: Inbox) -> AsyncIterator[Receiver]:
    async with receiving(db, settings) as port:
        yield Receiver(port, email_inbox, settings)


async def chat_with_email(person: Person, text: str = "Is mijn pakket al onderweg?") -> int:
    """A chat whose visitor left an e-mail address in the pre-chat form."""
    created = await person.client.post(
        "/api/v1/conversations",
        json={
            "customer": {"name": "Joris", "email": "joris@example.nl"},
            "subject": "Chat",
            "channel": "chat",
            "message": {"text": text},
        },
    )
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


async def deliver(port: int, raw: bytes, *, to: list[str] | None = None, **kw: Any) -> Any:
    """smtplib in a thread: the receiver runs on this test's event loop."""
    from tests.mail_support import send

    return await asyncio.to_thread(send, port, raw, to=to or [ADDRESS], **kw)


async def conversations(db: Database) -> list[Conversation]:
    async with db.reading() as session:
        return list(await session.scalars(select(Conversation).order_by(Conversation.id)))


async def messages(db: Database, conversation_id: int) -> list[Message]:
    async with db.reading() as session:
        return list(
            await session.scalars(
                select(Message)
                .where(Message.conversation_id == conversation_id)
                .order_by(Message.seq)
            )
        )


async def outbox(db: Database) -> list[OutboxMail]:
    async with db.reading() as session:
        return list(await session.scalars(select(OutboxMail).order_by(OutboxMail.id)))


async def records(db: Database) -> list[MailRecord]:
    async with db.reading() as session:
        return list(await session.scalars(select(MailRecord).order_by(MailRecord.id)))


@pytest.fixture
async def team_agent(make_agent: MakeAgent, email_inbox: Inbox) -> Person:
    """An agent of the team the e-mail inbox belongs to."""
    return await make_agent("agent", team="Team Shop support")
