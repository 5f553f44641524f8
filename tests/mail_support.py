"""Real SMTP around Balie in tests: a sink standing in for the relay (aiosmtpd in its own
thread, as a mail server would be), and a client speaking smtplib to Balie's receiver."""

from __future__ import annotations

import asyncio
import email
import email.policy
import smtplib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.live_support import free_port


@dataclass
class Delivered:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class SmtpSink:
    """Collects what Balie sends. ``answer`` makes it refuse: "451 ..." or "550 ..."."""

    port: int = 0
    answer: str | None = None
    received: list[Delivered] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.answer:
            return self.answer
        with self.lock:
            self.received.append(
                Delivered(
                    str(envelope.mail_from), list(envelope.rcpt_tos), bytes(envelope.content or b"")
                )
            )
        return "250 OK"

    @property
    def relay(self) -> str:
        return f"127.0.0.1:{self.port}"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Delivered]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.02)
        raise AssertionError(f"expected {count} mails at the sink, got {len(self.received)}")

    async def wait(self, count: int) -> list[Delivered]:
        return await asyncio.to_thread(self.wait_for, count)


@contextmanager
def smtp_sink(*, utf8: bool = True) -> Iterator[SmtpSink]:
    """``utf8``: whether the relay takes addresses with non-ASCII letters (SMTPUTF8)."""
    sink = SmtpSink(port=free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port, enable_SMTPUTF8=utf8)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


def send(port: int, raw: bytes, *, to: list[str], sender: str = "klant@example.nl") -> Any:
    """One SMTP conversation with smtplib; returns what sendmail returns (refusals raise)."""
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        return client.sendmail(sender, to, raw)


def mail(
    *,
    sender: str = "Sanne de Vries <sanne@example.nl>",
    to: str = "support@shop.example",
    subject: str = "Wasmachine lekt",
    text: str = "Mijn wasmachine lekt sinds gisteren. Wat moet ik doen?",
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: str | None = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id or email.utils.make_msgid(domain="example.nl")
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    # CRLF line ends, as mail travels over SMTP (smtplib sends bytes as they are).
    return message.as_bytes(policy=email.policy.SMTP)
