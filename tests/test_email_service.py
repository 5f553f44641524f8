"""The e-mail channel as a running Balie has it: the receiver, the outbox sender and IMAP
polling started with the server, against a real relay and a real IMAP server (dovecot)."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from balie.settings import Settings
from balie.store.database import Database
from balie.store.tables import AuditEvent
from tests.conftest import MakeAgent
from tests.dovecot_support import Dovecot, running_dovecot
from tests.email_fixtures import (
    ADDRESS,
    conversations,
    email_inbox,
    messages,
    team_agent,
)
from tests.live_support import free_port, serving
from tests.mail_support import mail, send, smtp_sink

__all__ = ["email_inbox", "team_agent"]


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    with running_dovecot() as server:
        yield server


async def _until(check: Callable[[], Awaitable[bool]]) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("timed out waiting")


async def test_a_polled_mailbox_feeds_the_inbox(
    app: Any, db: Database, email_inbox: object, make_agent: MakeAgent, dovecot: Dovecot
) -> None:
    admin = await make_agent("admin")
    user, password = await asyncio.to_thread(dovecot.add_user)
    imap = {
        "host": dovecot.host,
        "port": dovecot.port,
        "security": "none",
        "username": user,
        "password": password,
        "processed": "seen",
    }
    [inbox] = (await admin.client.get("/api/v1/inboxes")).json()
    configured = await admin.client.patch(f"/api/v1/inboxes/{inbox['id']}", json={"imap": imap})
    assert configured.status_code == 200, configured.text
    assert configured.json()["imap"]["password"] == "********"
    async with db.reading() as session:
        audited = await session.scalars(
            select(AuditEvent).where(AuditEvent.action == "inbox.update")
        )
        assert password not in str([(a.before, a.after) for a in audited])
    raw = mail(subject="Via de mailserver", text="Deze kwam via IMAP binnen.")
    uid = await asyncio.to_thread(dovecot.append, user, password, raw)
    service = app.state.email  # the app's own, as its lifespan would start it
    await service.start()
    try:

        async def arrived() -> bool:
            return len(await conversations(db)) == 1

        await _until(arrived)
        [conversation] = await conversations(db)
        [message] = await messages(db, conversation.id)
        assert message.text == "Deze kwam via IMAP binnen."

        async def marked() -> bool:
            flags = await asyncio.to_thread(dovecot.flags, user, password)
            return b"\\Seen" in flags.get(uid, set())

        await _until(marked)
        # A second mail, while the poller waits in IDLE, arrives without a poll interval.
        await asyncio.to_thread(
            dovecot.append, user, password, mail(subject="Tweede", text="Nog eentje.")
        )

        async def second() -> bool:
            return len(await conversations(db)) == 2

        await _until(second)

        async def counted() -> bool:
            # The poller counts a mail once it is marked on the server, just after the commit.
            shown = (await admin.client.get(f"/api/v1/inboxes/{inbox['id']}")).json()
            return bool(shown["imap_polling"] == {"running": True, "delivered": 2, "error": None})

        await _until(counted)
        # A wrong password: the admin reads why no mail comes in.
        await admin.client.patch(
            f"/api/v1/inboxes/{inbox['id']}", json={"imap": {**imap, "password": "fout"}}
        )
        await service.sync_pollers()

        async def explained() -> bool:
            status = (await admin.client.get(f"/api/v1/inboxes/{inbox['id']}")).json()
            return bool(status["imap_polling"]["error"])

        await _until(explained)
    finally:
        await service.stop()


async def test_mail_in_reply_out_answer_in_through_a_running_server(
    tmp_path: Path, settings: Settings, db: Database, email_inbox: object, make_agent: MakeAgent
) -> None:
    """A customer mails the running server, an agent answers, the relay gets the answer,
    and the customer's reply to it lands in the same conversation."""
    agent = await make_agent("agent", team="Team Shop support")
    smtp_port = free_port()
    with smtp_sink() as relay:
        running = settings.model_copy(
            update={
                "smtp_listen": f"127.0.0.1:{smtp_port}",
                "smtp_relay": relay.relay,
                "smtp_relay_security": "none",
                "outbox_poll_seconds": 0.2,
            }
        )
        with serving(running) as url:
            await asyncio.to_thread(
                send, smtp_port, mail(message_id="<loop-1@example.nl>"), to=[ADDRESS]
            )
            [conversation] = await conversations(db)
            async with httpx.AsyncClient(
                base_url=url, headers={"Authorization": f"Bearer {agent.token}"}
            ) as client:
                answered = await client.post(
                    f"/api/v1/conversations/{conversation.id}/messages",
                    json={"text": "Dag Sanne, de monteur komt dinsdag."},
                )
                assert answered.status_code == 201, answered.text
                delivered = await relay.wait(2)  # the acknowledgement, then the answer
                ours = next(d for d in delivered if "monteur" in d.raw.decode()).message
                reply = mail(
                    subject=f"Re: {ours['Subject']}",
                    text="Dinsdag is goed.",
                    in_reply_to=str(ours["Message-ID"]),
                )
                await asyncio.to_thread(send, smtp_port, reply, to=[ADDRESS])
                listed = (
                    await client.get(f"/api/v1/conversations/{conversation.id}/messages")
                ).json()
    assert [m["text"] for m in listed][-1] == "Dinsdag is goed."
    assert listed[1]["email"]["status"] == "sent"
    assert len(await conversations(db)) == 1


async def test_a_balie_worker_polls_the_mailboxes_when_the_servers_do_not(
    app: Any,
    db: Database,
    email_inbox: object,
    make_agent: MakeAgent,
    dovecot: Dovecot,
    database_url: str,
    tmp_path: Path,
) -> None:
    admin = await make_agent("admin")
    user, password = await asyncio.to_thread(dovecot.add_user)
    imap = {"host": dovecot.host, "port": dovecot.port, "security": "none"}
    [inbox] = (await admin.client.get("/api/v1/inboxes")).json()
    configured = await admin.client.patch(
        f"/api/v1/inboxes/{inbox['id']}",
        json={"imap": {**imap, "username": user, "password": password}},
    )
    assert configured.status_code == 200, configured.text
    await asyncio.to_thread(
        dovecot.append, user, password, mail(subject="Via de worker", text="Opgehaald.")
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("BALIE_")},
        "BALIE_DATABASE_URL": database_url,
        "BALIE_DATA_DIR": str(tmp_path),
        "BALIE_LOG_LEVEL": "WARNING",
    }
    worker = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "balie", "worker", env=env, stderr=asyncio.subprocess.PIPE
    )
    try:

        async def arrived() -> bool:
            return len(await conversations(db)) == 1

        await _until(arrived)
        [conversation] = await conversations(db)
        assert conversation.subject == "Via de worker"
    finally:
        worker.terminate()
        _, err = await asyncio.wait_for(worker.communicate(), timeout=30)
    assert worker.returncode == 0, err.decode()
