"""The outbox sender: delivers committed mail to the relay, retrying with backoff.

Rows are claimed in a write transaction (``FOR UPDATE SKIP LOCKED`` on PostgreSQL) and
leased for ``LEASE``: a process that dies mid-send leaves its rows to be claimed again, so
a mail is sent at least once; its fixed Message-ID lets the receiving side drop a double.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import aiosmtplib
from sqlalchemy import or_, select

from balie.act import SYSTEM, Act, utcnow
from balie.polling import Polling
from balie.settings import Settings
from balie.store.database import Database
from balie.store.tables import Conversation, OutboxMail

log = logging.getLogger("balie.email.sender")

LEASE = dt.timedelta(minutes=5)
BATCH = 20
FIRST_RETRY = dt.timedelta(seconds=30)
LONGEST_WAIT = dt.timedelta(hours=2)


def backoff(attempts: int) -> dt.timedelta:
    """30 s, 1 min, 2 min, ... capped at two hours."""
    wait: dt.timedelta = FIRST_RETRY * 2 ** max(attempts - 1, 0)
    return min(wait, LONGEST_WAIT)


@dataclass(frozen=True)
class Claimed:
    id: int
    envelope_from: str
    to: str
    content: bytes
    attempts: int


@dataclass(frozen=True)
class Relay:
    host: str
    port: int
    security: str  # auto, none, starttls, tls
    username: str
    password: str
    timeout: float = 30.0

    @classmethod
    def of(cls, settings: Settings) -> Relay:
        host, _, port = settings.smtp_relay.rpartition(":")
        return cls(
            host=host.strip("[]"),
            port=int(port),
            security=settings.smtp_relay_security,
            username=settings.smtp_relay_username,
            password=settings.smtp_relay_password,
        )

    async def send(self, envelope_from: str, to: str, content: bytes) -> None:
        await aiosmtplib.send(
            content,
            sender=envelope_from,
            recipients=[to],
            hostname=self.host,
            port=self.port,
            use_tls=self.security == "tls",
            # None: STARTTLS when the relay offers it; True: required; False: never.
            start_tls={"auto": None, "starttls": True}.get(self.security, False),
            username=self.username or None,
            password=self.password or None,
            timeout=self.timeout,
            # Addresses with non-ASCII letters need the relay's SMTPUTF8 (RFC 6531).
            mail_options=[] if (envelope_from + to).isascii() else ["SMTPUTF8"],
        )


def permanent(error: Exception) -> bool:
    """A 5xx answer will not change by trying again, nor will an address the relay cannot
    take (non-ASCII where it has no SMTPUTF8); anything else might."""
    if isinstance(error, (ValueError, aiosmtplib.SMTPNotSupported)):  # no SMTPUTF8, say
        return True
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return all(500 <= r.code < 600 for r in error.recipients)
    return isinstance(error, aiosmtplib.SMTPResponseException) and 500 <= error.code < 600


async def claim(db: Database, *, now: dt.datetime, max_attempts: int) -> Claimed | None:
    """The next due mail, leased to this sender; None when nothing is due. One at a time:
    a lease covers one send, which the relay's timeouts keep well under ``LEASE``."""
    async with db.writing() as session:
        act = Act(session, SYSTEM, now)
        query = (
            select(OutboxMail)
            .where(
                or_(OutboxMail.status == "queued", OutboxMail.status == "sending"),
                OutboxMail.next_attempt_at <= now,
            )
            .order_by(OutboxMail.next_attempt_at, OutboxMail.id)
            .limit(1)
        )
        if not db.is_sqlite:  # SQLite's single writer already keeps claims apart
            query = query.with_for_update(skip_locked=True)
        while (mail := await session.scalar(query)) is not None:
            outcome = await _unsendable(act, mail, max_attempts)
            if outcome is None:
                mail.status, mail.attempts = "sending", mail.attempts + 1
                mail.next_attempt_at = now + LEASE
                return Claimed(
                    mail.id,
                    mail.from_address,
                    mail.to_address,
                    mail.content,
                    mail.attempts,
                )
            mail.status, mail.last_error = outcome
            await act.audit(
                f"mail.{mail.status}",
                f"conversation:{mail.conversation_id}",
                after={"outbox_id": mail.id, "to": mail.to_address, "error": mail.last_error},
            )
            await session.flush()
        return None


async def _unsendable(act: Act, mail: OutboxMail, max_attempts: int) -> tuple[str, str] | None:
    """Why a due mail is not to be sent (a new status and the reason), or None."""
    if mail.unless_read_seq:
        conversation = await act.session.get(Conversation, mail.conversation_id)
        assert conversation is not None
        if conversation.customer_read_seq >= mail.unless_read_seq:
            return "cancelled", "The visitor read the reply in the chat."
    if mail.status == "sending" and mail.attempts >= max_attempts:
        # Its sender died mid-send every time: stop, and tell the agent.
        return "failed", "Sending was interrupted on every attempt."
    return None


async def settle(db: Database, mail: Claimed, error: Exception | None, *, max_attempts: int) -> str:
    """Record the outcome of one attempt; returns the new status. Only the holder of the
    current lease may: a sender whose lease ran out and was taken over writes nothing."""
    async with db.writing() as session:
        act = Act(session, SYSTEM, utcnow())
        row = await session.get(OutboxMail, mail.id)
        assert row is not None
        if row.status != "sending" or row.attempts != mail.attempts:
            return "superseded"
        if error is None:
            row.status, row.sent_at, row.last_error = "sent", act.now, None
        else:
            row.last_error = f"{type(error).__name__}: {error}"[:1000]
            final = permanent(error) or row.attempts >= max_attempts
            row.status = "failed" if final else "queued"
            row.next_attempt_at = act.now + backoff(row.attempts)
        # Audited on the conversation, so the agent's screen shows the new state live.
        await act.audit(
            f"mail.{row.status}",
            f"conversation:{row.conversation_id}",
            after={
                "outbox_id": row.id,
                "to": row.to_address,
                "attempts": row.attempts,
                "error": row.last_error,
            },
        )
        return row.status


class OutboxSender(Polling):
    task_name = "balie-outbox"

    def __init__(self, db: Database, settings: Settings) -> None:
        super().__init__(settings.outbox_poll_seconds)
        self.db = db
        self.relay = Relay.of(settings)
        self.max_attempts = settings.outbox_max_attempts

    async def round(self) -> int:
        return await self.run_once()

    async def run_once(self) -> int:
        """Send what is due now (up to ``BATCH``); returns how many attempts were made."""
        attempts = 0
        while attempts < BATCH:
            mail = await claim(self.db, now=utcnow(), max_attempts=self.max_attempts)
            if mail is None:
                break
            attempts += 1
            error: Exception | None = None
            try:
                await self.relay.send(mail.envelope_from, mail.to, mail.content)
            except Exception as exc:  # whatever the relay or the address did, it is recorded
                error = exc
            status = await settle(self.db, mail, error, max_attempts=self.max_attempts)
            log.info(
                "outbox attempt",
                extra={"fields": {"outbox_id": mail.id, "status": status, "error": repr(error)}},
            )
        return attempts
