"""Polling IMAP mailboxes, against a real dovecot: what is delivered, in which order, when it
is marked, what happens when storing fails or the server goes away."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from balie.email.imap import (
    ImapAccount,
    ImapError,
    ImapPoller,
    _Session,
    account_of,
    clean_imap,
    poll_once,
)
from tests.dovecot_support import Dovecot, free_port

SEEN = b"\\Seen"


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    with Dovecot() as server:
        yield server


class Mailbox:
    """A fresh user on the test dovecot: an empty mailbox of its own."""

    def __init__(self, server: Dovecot) -> None:
        self.server = server
        self.username, self.password = server.add_user()

    def account(self, **changes: Any) -> ImapAccount:
        settings: dict[str, Any] = {
            "host": self.server.host,
            "port": self.server.port,
            "security": "none",
            "username": self.username,
            "password": self.password,
        }
        settings.update(changes)
        return account_of(settings)

    def append(self, message: bytes, *, seen: bool = False, folder: str = "INBOX") -> int:
        flags = (SEEN,) if seen else ()
        return self.server.append(self.username, self.password, message, folder=folder, flags=flags)

    def flags(self, folder: str = "INBOX") -> dict[int, set[bytes]]:
        return self.server.flags(self.username, self.password, folder)

    def seen(self, folder: str = "INBOX") -> dict[int, bool]:
        return {uid: SEEN in flags for uid, flags in self.flags(folder).items()}

    def folders(self) -> set[str]:
        return self.server.folders(self.username, self.password)


@pytest.fixture
def mailbox(dovecot: Dovecot) -> Mailbox:
    return Mailbox(dovecot)


def mail(n: int) -> bytes:
    # Deliberately odd bytes (8-bit, trailing spaces) to show they come through untouched.
    return (
        (
            f"From: klant{n}@example.com\r\nTo: support@example.com\r\n"
            f"Subject: vraag {n}\r\nMessage-ID: <m{n}@example.com>\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        ).encode()
        + f"Hallo, bestelling {n} is kapot  \r\n".encode()
        + "café\r\n".encode()
    )


class Receiver:
    """Stores what it is given; can be told to fail, and checks the mail is still unseen while
    it is being stored (it may only be marked afterwards)."""

    def __init__(self, mailbox: Mailbox | None = None) -> None:
        self.mailbox = mailbox
        self.got: list[tuple[bytes, str]] = []
        self.fail_on: set[int] = set()  # 1-based call numbers that raise
        self.calls = 0
        self.unseen_while_storing: list[bool] = []
        self.arrived = asyncio.Event()

    async def __call__(self, raw: bytes, key: str) -> None:
        self.calls += 1
        if self.mailbox is not None:
            uid = int(key.rsplit(":", 1)[1])
            seen = await asyncio.to_thread(self.mailbox.seen)
            self.unseen_while_storing.append(not seen[uid])
        if self.calls in self.fail_on:
            raise RuntimeError("database is down")
        self.got.append((raw, key))
        self.arrived.set()

    async def wait_for(self, count: int, within: float) -> None:
        deadline = time.monotonic() + within
        while len(self.got) < count:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"got {len(self.got)} mails, expected {count}")
            self.arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), timeout=left)


async def eventually(check: Callable[[], bool], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within} s: {what}")
        await asyncio.sleep(0.05)


# --- poll_once -----------------------------------------------------------------------------------


async def test_poll_once_delivers_unseen_mail_oldest_first_and_marks_it_after(
    mailbox: Mailbox,
) -> None:
    old = mailbox.append(b"Subject: al gelezen\r\n\r\noud\r\n", seen=True)
    uids = [mailbox.append(mail(n)) for n in range(3)]
    receiver = Receiver(mailbox)

    assert await poll_once(mailbox.account(), receiver) == 3

    assert [raw for raw, _key in receiver.got] == [mail(0), mail(1), mail(2)]
    assert receiver.unseen_while_storing == [True, True, True]
    assert mailbox.seen() == {old: True, **dict.fromkeys(uids, True)}
    # Nothing left: a second round delivers nothing.
    assert await poll_once(mailbox.account(), receiver) == 0
    assert len(receiver.got) == 3


async def test_a_failed_delivery_leaves_that_mail_and_later_ones_for_the_next_round(
    mailbox: Mailbox,
) -> None:
    uids = [mailbox.append(mail(n)) for n in range(4)]
    receiver = Receiver()
    receiver.fail_on = {2}

    assert await poll_once(mailbox.account(), receiver) == 1
    assert mailbox.seen() == {uids[0]: True, uids[1]: False, uids[2]: False, uids[3]: False}

    assert await poll_once(mailbox.account(), receiver) == 3
    assert [raw for raw, _key in receiver.got] == [mail(n) for n in range(4)]
    assert len({key for _raw, key in receiver.got}) == 4
    assert all(mailbox.seen().values())


async def test_batch_limits_one_round(mailbox: Mailbox) -> None:
    for n in range(3):
        mailbox.append(mail(n))
    receiver = Receiver()
    assert await poll_once(mailbox.account(), receiver, batch=2) == 2
    assert await poll_once(mailbox.account(), receiver, batch=2) == 1
    assert [raw for raw, _key in receiver.got] == [mail(0), mail(1), mail(2)]


async def test_processed_mail_is_moved_to_a_folder_made_for_it(mailbox: Mailbox) -> None:
    mailbox.append(mail(1))
    mailbox.append(mail(2))
    receiver = Receiver(mailbox)
    account = mailbox.account(processed="move:Balie/Processed")

    assert await poll_once(account, receiver) == 2

    assert receiver.unseen_while_storing == [True, True]
    # This dovecot separates levels with '.': Balie's '/' is written the server's way.
    assert "Balie.Processed" in mailbox.folders()
    assert mailbox.flags() == {}
    moved = mailbox.server.bodies(mailbox.username, mailbox.password, "Balie.Processed")
    assert sorted(moved.values()) == [mail(1), mail(2)]
    assert all(mailbox.seen("Balie.Processed").values())
    # The folder exists now; the next round just uses it.
    mailbox.append(mail(3))
    assert await poll_once(account, receiver) == 1


async def test_moving_takes_mail_a_person_already_read(mailbox: Mailbox) -> None:
    """Someone opened the mail in another client before Balie came by: in move mode the
    folder holds only what Balie has not taken, so it is taken all the same."""
    mailbox.append(mail(1), seen=True)
    receiver = Receiver()
    assert await poll_once(mailbox.account(processed="move:Done"), receiver) == 1
    assert [raw for raw, _key in receiver.got] == [mail(1)]
    assert mailbox.flags() == {}


async def test_moving_without_the_move_command(mailbox: Mailbox) -> None:
    """Servers without MOVE (RFC 6851) get COPY, \\Deleted and UID EXPUNGE instead."""
    mailbox.append(mail(1))
    receiver = Receiver()
    session = _Session(mailbox.account(processed="move:Done"))
    try:
        await session.open()
        session._can_move = False
        assert await session.round(receiver, batch=50) == (1, None)
    finally:
        await session.close()
    assert mailbox.flags() == {}
    assert list(mailbox.server.bodies(mailbox.username, mailbox.password, "Done").values()) == [
        mail(1)
    ]


async def test_source_key_names_one_message_for_good(mailbox: Mailbox) -> None:
    first = mailbox.append(mail(1))
    mailbox.append(mail(2))
    receiver = Receiver()
    account = mailbox.account()
    await poll_once(account, receiver)
    keys = [key for _raw, key in receiver.got]
    assert len(set(keys)) == 2
    prefix = f"imap:{mailbox.server.host}:{mailbox.username}:INBOX:"
    assert all(key.startswith(prefix) for key in keys)
    assert keys[0].endswith(f":{first}")

    # Unmarked again (as after a crash between storing and marking): the same key comes back.
    with mailbox.server.client(mailbox.username, mailbox.password) as client:
        client.select_folder("INBOX")
        client.remove_flags([first], [SEEN])
    again = Receiver()
    await poll_once(account, again)
    assert again.got == [receiver.got[0]]


async def test_wrong_password_is_a_clear_error(mailbox: Mailbox) -> None:
    mailbox.append(mail(1))
    receiver = Receiver()
    with pytest.raises(ImapError, match="refused the log-in") as caught:
        await poll_once(mailbox.account(password="wrong"), receiver)
    assert "wrong" not in str(caught.value)
    assert receiver.got == []


async def test_missing_folder_is_a_clear_error(mailbox: Mailbox) -> None:
    with pytest.raises(ImapError, match="folder 'Nergens'"):
        await poll_once(mailbox.account(folder="Nergens"), Receiver())


async def test_unreachable_server_is_a_clear_error(mailbox: Mailbox) -> None:
    with pytest.raises(ImapError, match="connection refused"):
        await poll_once(mailbox.account(port=free_port()), Receiver())


@pytest.fixture(scope="module")
def tls_dovecot() -> Iterator[Dovecot]:
    with Dovecot(tls=True) as server:
        yield server


@pytest.mark.parametrize("security", ["tls", "starttls"])
async def test_tls_and_starttls(tls_dovecot: Dovecot, security: str) -> None:
    box = Mailbox(tls_dovecot)
    box.append(mail(1))
    port = tls_dovecot.tls_port if security == "tls" else tls_dovecot.port
    receiver = Receiver()
    # The test server's certificate is self-signed: checked, it is refused with a clear reason.
    checked = box.account(security=security, port=port)
    with pytest.raises(ImapError, match=r"certificate of 127\.0\.0\.1 could not be verified"):
        await poll_once(checked, receiver)
    assert receiver.got == []
    unchecked = box.account(security=security, port=port, verify_tls=False)
    assert await poll_once(unchecked, receiver) == 1
    assert receiver.got[0][0] == mail(1)


# --- ImapPoller ----------------------------------------------------------------------------------


async def test_poller_in_idle_delivers_new_mail_at_once(mailbox: Mailbox) -> None:
    mailbox.append(mail(0))
    receiver = Receiver()
    poller = ImapPoller(mailbox.account(), receiver, interval=300, name="test")
    await poller.start()
    try:
        await receiver.wait_for(1, within=10)
        # Let it settle into IDLE, then new mail arrives.
        await asyncio.sleep(0.3)
        started = time.monotonic()
        await asyncio.to_thread(mailbox.append, mail(1))
        await receiver.wait_for(2, within=5)
        assert time.monotonic() - started < 5
        await asyncio.to_thread(mailbox.append, mail(2))
        await receiver.wait_for(3, within=5)
        assert [raw for raw, _key in receiver.got] == [mail(0), mail(1), mail(2)]
        assert poller.delivered == 3
        assert poller.last_error is None
    finally:
        started = time.monotonic()
        await poller.stop()
        assert time.monotonic() - started < 3
    assert all(mailbox.seen().values())


async def test_poller_retries_a_failed_delivery_soon(mailbox: Mailbox) -> None:
    mailbox.append(mail(0))
    mailbox.append(mail(1))
    receiver = Receiver()
    receiver.fail_on = {1}
    poller = ImapPoller(mailbox.account(), receiver, interval=300)
    await poller.start()
    try:
        await receiver.wait_for(2, within=10)
        assert [raw for raw, _key in receiver.got] == [mail(0), mail(1)]
        await eventually(lambda: poller.last_error is None, 5, "last_error cleared")
    finally:
        await poller.stop()


async def test_poller_with_a_wrong_password_says_why_and_delivers_nothing(
    mailbox: Mailbox,
) -> None:
    mailbox.append(mail(0))
    receiver = Receiver()
    poller = ImapPoller(mailbox.account(password="wrong"), receiver, interval=300)
    await poller.start()
    try:
        await eventually(lambda: poller.last_error is not None, 10, "last_error set")
        error = poller.last_error or ""
        assert "refused the log-in" in error
        assert mailbox.username in error
        assert "wrong" not in error
        assert receiver.got == []
        assert poller.delivered == 0
    finally:
        await poller.stop()
    assert mailbox.seen() != {} and not any(mailbox.seen().values())


async def test_poller_survives_the_server_going_away_and_coming_back() -> None:
    with Dovecot() as server:
        box = Mailbox(server)
        box.append(mail(0))
        receiver = Receiver()
        poller = ImapPoller(box.account(), receiver, interval=300)
        await poller.start()
        try:
            await receiver.wait_for(1, within=10)
            # Stopping the server before the poller marks the mail seen would rightly hand the
            # same mail over again after the outage (the store keeps one copy).
            await eventually(lambda: box.seen() == {1: True}, 10, "first mail marked seen")
            await asyncio.to_thread(server.stop)
            await eventually(lambda: poller.last_error is not None, 10, "last_error set")
            assert "connection" in (poller.last_error or "")
            await asyncio.to_thread(server.start)
            await asyncio.to_thread(box.append, mail(1))
            # Backoff is at most a few seconds after a short outage.
            await receiver.wait_for(2, within=15)
            assert [raw for raw, _key in receiver.got] == [mail(0), mail(1)]
            await eventually(lambda: poller.last_error is None, 5, "last_error cleared")
        finally:
            await poller.stop()


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def errors(self) -> list[str]:
        return [str(getattr(r, "fields", {}).get("error")) for r in self.records]


@pytest.fixture
def imap_log() -> Iterator[Records]:
    # On the module's own logger: the app's logging set-up stops "balie" records from reaching
    # the root logger, where pytest's caplog listens.
    handler = Records()
    logger = logging.getLogger("balie.email.imap")
    level = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


async def test_poller_notices_a_connection_cut_without_goodbye(
    mailbox: Mailbox, imap_log: Records
) -> None:
    mailbox.append(mail(0))
    receiver = Receiver()
    poller = ImapPoller(mailbox.account(), receiver, interval=300)
    await poller.start()
    try:
        await receiver.wait_for(1, within=10)
        await asyncio.sleep(0.5)  # in IDLE by now
        assert mailbox.server.kill_sessions() == 1
        await asyncio.to_thread(mailbox.append, mail(1))
        # Were the cut unnoticed, the poller would wait for news until the interval is over.
        await receiver.wait_for(2, within=10)
        # ("closed the connection" when cut in IDLE, as here unless the machine is very slow)
        assert any("connection" in error for error in imap_log.errors())
    finally:
        await poller.stop()


async def test_a_lasting_failure_is_logged_once_without_the_password(
    mailbox: Mailbox, imap_log: Records
) -> None:
    account = mailbox.account(port=free_port(), password="s3cr3t-pw")
    poller = ImapPoller(account, Receiver(), interval=300)
    await poller.start()
    try:
        await asyncio.sleep(3.5)  # tries at 0, 1 and 3 s
    finally:
        await poller.stop()
    warnings = [r for r in imap_log.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert len([r for r in imap_log.records if r.levelno == logging.DEBUG]) >= 1
    assert "connection refused" in (poller.last_error or "")
    for record in imap_log.records:
        assert "s3cr3t" not in record.getMessage() + repr(getattr(record, "fields", None))
        assert record.fields["user"] == mailbox.username  # type: ignore[attr-defined]


async def test_poller_stop_is_prompt_and_start_stop_are_idempotent(mailbox: Mailbox) -> None:
    poller = ImapPoller(mailbox.account(), Receiver(), interval=300)
    await poller.stop()
    await poller.start()
    await poller.start()
    assert poller.running
    await asyncio.sleep(0.5)  # in IDLE by now
    started = time.monotonic()
    await poller.stop()
    assert time.monotonic() - started < 3
    assert not poller.running
    await poller.stop()


# --- settings ------------------------------------------------------------------------------------

VALID: dict[str, Any] = {
    "host": "imap.example.com",
    "port": 993,
    "security": "tls",
    "username": "support@example.com",
    "password": "  geheim ",
    "folder": "INBOX",
    "processed": "move:Balie/Processed",
    "verify_tls": True,
}


def test_clean_imap_keeps_valid_settings() -> None:
    assert clean_imap(None) is None
    cleaned = clean_imap(dict(VALID))
    assert cleaned == VALID
    assert clean_imap(cleaned) == cleaned
    account = account_of(VALID)
    assert account.password == "  geheim "  # passwords are taken as typed
    assert "geheim" not in repr(account)


def test_clean_imap_fills_in_defaults() -> None:
    cleaned = clean_imap({"host": " imap.example.com ", "username": "u", "password": "p"})
    assert cleaned == {
        "host": "imap.example.com",
        "port": 993,
        "security": "tls",
        "username": "u",
        "password": "p",
        "folder": "INBOX",
        "processed": "seen",
        "verify_tls": True,
    }
    starttls = clean_imap({"host": "h", "security": "starttls", "username": "u", "password": "p"})
    assert starttls is not None and starttls["port"] == 143


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"host": None}, "imap.host"),
        ({"host": ""}, "imap.host"),
        ({"host": "imap example.com"}, "imap.host"),
        ({"host": 12}, "imap.host"),
        ({"port": 0}, "imap.port"),
        ({"port": 65536}, "imap.port"),
        ({"port": "993"}, "imap.port"),
        ({"port": True}, "imap.port"),
        ({"security": "ssl"}, "imap.security"),
        ({"username": ""}, "imap.username"),
        ({"username": None}, "imap.username"),
        ({"password": ""}, "imap.password"),
        ({"password": 1234}, "imap.password"),
        ({"folder": ""}, "imap.folder"),
        ({"processed": "delete"}, "imap.processed"),
        ({"processed": "move:"}, "imap.processed"),
        ({"processed": "move:  "}, "imap.processed"),
        ({"processed": "move:INBOX"}, "imap.processed"),
        ({"processed": "move:inbox"}, "imap.processed"),
        ({"verify_tls": "yes"}, "imap.verify_tls"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_clean_imap_names_the_bad_field(changes: dict[str, Any], field: str) -> None:
    settings = {**VALID, **changes}
    settings = {k: v for k, v in settings.items() if not (k in changes and v is None)}
    with pytest.raises(ValueError, match=field):
        clean_imap(settings)


@pytest.mark.parametrize("value", ["imap.example.com", ["host"], 3])
def test_clean_imap_wants_an_object(value: object) -> None:
    with pytest.raises(ValueError, match="imap must be an object"):
        clean_imap(value)
