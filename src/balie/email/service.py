"""The e-mail channel's moving parts in one server process: the SMTP receiver, the outbox
sender and one IMAP poller per polled mailbox, started and stopped with the app."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
from typing import Any

from sqlalchemy import select

from balie.email.imap import ImapPoller, account_of
from balie.email.inbound import receive
from balie.email.sender import OutboxSender
from balie.email.smtp import start_receiver
from balie.settings import Settings
from balie.store.database import Database
from balie.store.tables import Inbox

log = logging.getLogger("balie.email")

# How soon an admin's change to an inbox's IMAP settings takes effect.
IMAP_REFRESH_SECONDS = 15.0


class EmailService:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self.smtp: asyncio.Server | None = None
        self.sender = OutboxSender(db, settings) if settings.smtp_relay else None
        self.pollers: dict[int, tuple[str, ImapPoller]] = {}
        self._watch: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self.settings.smtp_listen:
            self.smtp = await start_receiver(self.db, self.settings)
        if self.sender is not None:
            await self.sender.start()
        if self.settings.background_in_server:
            self._watch = asyncio.create_task(self._watch_mailboxes(), name="balie-imap-watch")

    async def stop(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
        for _, poller in self.pollers.values():
            await poller.stop()
        self.pollers.clear()
        if self.sender is not None:
            await self.sender.stop()
        if self.smtp is not None:
            self.smtp.close()
            await self.smtp.wait_closed()

    def polling(self, inbox_id: int) -> dict[str, Any] | None:
        """How this process's poller of the inbox fares, for an admin wondering where the
        mail is; None when it polls nothing for that inbox."""
        entry = self.pollers.get(inbox_id)
        if entry is None:
            return None
        poller = entry[1]
        return {
            "running": poller.running,
            "delivered": poller.delivered,
            "error": poller.last_error,
        }

    async def deliver(self, inbox_id: int, raw: bytes, source_key: str) -> None:
        await receive(
            self.db,
            raw,
            recipients=[],
            source=source_key,
            inbox_id=inbox_id,
            # The mailbox holds the mail already; refusing it would only stall the mailbox.
            sender_limit_per_hour=None,
        )

    async def sync_pollers(self) -> None:
        """One poller per inbox with IMAP settings; restarted when the settings change."""
        async with self.db.reading() as session:
            rows = await session.scalars(select(Inbox).where(Inbox.channel == "email"))
            wanted: dict[int, dict[str, Any]] = {
                inbox.id: inbox.email["imap"] for inbox in rows if (inbox.email or {}).get("imap")
            }
        for inbox_id in list(self.pollers):
            fingerprint, poller = self.pollers[inbox_id]
            if inbox_id not in wanted or _fingerprint(wanted[inbox_id]) != fingerprint:
                await poller.stop()
                del self.pollers[inbox_id]
        for inbox_id, imap in wanted.items():
            if inbox_id in self.pollers:
                continue
            poller = ImapPoller(
                account_of(imap),
                functools.partial(self.deliver, inbox_id),
                interval=self.settings.imap_poll_seconds,
                name=f"inbox:{inbox_id}",
            )
            await poller.start()
            self.pollers[inbox_id] = (_fingerprint(imap), poller)

    async def _watch_mailboxes(self) -> None:
        while True:
            try:
                await self.sync_pollers()
            except Exception:  # the database away; try again at the next round
                log.exception("could not read the polled mailboxes")
            await asyncio.sleep(IMAP_REFRESH_SECONDS)


def _fingerprint(imap: dict[str, Any]) -> str:
    return json.dumps(imap, sort_keys=True)
