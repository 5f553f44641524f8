"""The built-in SMTP receiver (aiosmtpd) for the embedded default.

It answers ``250`` only after the mail is committed, ``451`` whenever it cannot store
(the database away, the disk full) so the sending server retries, ``550`` for addresses
no inbox has, and ``552`` (aiosmtpd itself) for mail over ``BALIE_SMTP_MAX_BYTES``.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from balie.email.inbound import MailRefused, email_inboxes, inbox_for, receive
from balie.settings import Settings
from balie.store.database import Database
from balie.store.tables import Inbox

log = logging.getLogger("balie.email.smtp")

INBOX_CACHE_SECONDS = 5.0
MAX_RECIPIENTS = 50


class Receiver:
    """aiosmtpd's handler: checks recipients at RCPT, stores at DATA."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.sender_limit = settings.email_sender_limit_per_hour
        self._inboxes: dict[str, Inbox] = {}
        self._read_at = -INBOX_CACHE_SECONDS

    async def inboxes(self) -> dict[str, Inbox]:
        if time.monotonic() - self._read_at >= INBOX_CACHE_SECONDS:
            self._inboxes = await email_inboxes(self.db)
            self._read_at = time.monotonic()
        return self._inboxes

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return "452 4.5.3 Too many recipients"
        try:
            known = inbox_for(await self.inboxes(), [address])
        except Exception:
            log.exception("recipient check failed")
            return "451 4.3.0 Cannot check this address now; try again later"
        if known is None:
            return "550 5.1.1 No Balie inbox has this address"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""  # the bytes as they came, before decoding
        try:
            inboxes = await self.inboxes()
            targets = {
                found.id
                for address in envelope.rcpt_tos
                if (found := inbox_for(inboxes, [address])) is not None
            }
            for inbox_id in sorted(targets):
                await receive(
                    self.db,
                    raw,
                    recipients=list(envelope.rcpt_tos),
                    envelope_from=envelope.mail_from,
                    source="smtp",
                    inbox_id=inbox_id,
                    sender_limit_per_hour=self.sender_limit,
                )
        except MailRefused as refused:
            log.info("mail refused", extra={"fields": {"reply": refused.reply()}})
            return refused.reply()
        except Exception:
            # Not stored, so not acknowledged: the sending server keeps it and retries.
            log.exception("mail not stored")
            return "451 4.3.0 Could not store the message; try again later"
        return "250 2.0.0 Stored"


def listen_address(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"BALIE_SMTP_LISTEN must be host:port, not {value!r}")
    return host.strip("[]"), int(port)


async def start_receiver(db: Database, settings: Settings) -> asyncio.Server:
    """Listen where ``BALIE_SMTP_LISTEN`` says. Every server process listens on the same
    port (SO_REUSEPORT); the kernel spreads connections over them."""
    host, port = listen_address(settings.smtp_listen)
    handler = Receiver(db, settings)
    loop = asyncio.get_running_loop()
    # Once, not per connection: aiosmtpd would otherwise ask the resolver every time.
    hostname = settings.smtp_hostname or socket.getfqdn()

    def protocol() -> Any:
        return SMTP(
            handler,
            data_size_limit=settings.smtp_max_bytes,
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname=hostname,
            ident="Balie",
            loop=loop,
        )

    server = await loop.create_server(protocol, host=host, port=port, reuse_port=True)
    log.info("smtp receiver listening", extra={"fields": {"host": host, "port": port}})
    return server
