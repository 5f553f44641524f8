"""Polling existing IMAP mailboxes: an inbox can take its mail from a mailbox that already
exists at a mail provider, instead of (or besides) receiving it over SMTP.

A mail is marked as processed (flagged \\Seen, or moved to another folder) only after the
receiver has stored it durably. If Balie stops in between, the mail is fetched and delivered
again; the receiver recognises it by its source key and stores it once.

imapclient is synchronous. Each connection gets a thread of its own for its blocking calls,
rather than the shared default executor: a connection waiting in IDLE holds its thread for
as long as it waits, and many inboxes would otherwise starve everything else that runs there.
"""

from __future__ import annotations

import asyncio
import contextlib
import imaplib
import logging
import socket
import ssl
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from imapclient import IMAPClient, SocketTimeout
from imapclient.exceptions import (
    CapabilityError,
    LoginError,
)

log = logging.getLogger("balie.email.imap")

Deliver = Callable[[bytes, str], Awaitable[None]]
T = TypeVar("T")

SECURITIES = ("tls", "starttls", "none")
DEFAULT_PORTS = {"tls": 993, "starttls": 143, "none": 143}
_KEYS = ("host", "port", "security", "username", "password", "folder", "processed", "verify_tls")

CONNECT_TIMEOUT = 15.0
READ_TIMEOUT = 60.0
# RFC 2177: servers may log out a client idle for 30 minutes, so IDLE is re-issued before that.
IDLE_RENEW = 25 * 60.0
# IDLE is waited for in slices this long, so that stopping never waits longer than one slice.
IDLE_SLICE = 1.0
# Without IDLE, a NOOP this often keeps the connection from being logged out as idle.
NOOP_EVERY = 240.0
BACKOFF_FIRST = 1.0
BACKOFF_MAX = 60.0


class ImapError(Exception):
    """A failure to reach or use the mailbox, with a message fit for an operator."""


@dataclass(frozen=True)
class ImapAccount:
    host: str
    port: int
    security: str  # "tls" (implicit TLS, 993), "starttls", or "none" (plain; for local servers)
    username: str
    password: str = field(repr=False)  # never in a log line or a traceback's locals
    folder: str = "INBOX"
    processed: str = "seen"  # "seen", or "move:<Folder>"; the folder is created if missing
    verify_tls: bool = True

    @property
    def move_to(self) -> str | None:
        return self.processed.removeprefix("move:") if self.processed.startswith("move:") else None

    def source_key(self, uidvalidity: int, uid: int) -> str:
        # UIDVALIDITY changes when the server renumbers the folder, so (validity, uid) names
        # one message for good.
        return f"imap:{self.host}:{self.username}:{self.folder}:{uidvalidity}:{uid}"

    def log_fields(self) -> dict[str, Any]:
        return {"host": self.host, "user": self.username, "folder": self.folder}


# --- settings ---------------------------------------------------------------------------------


def _text(value: dict[str, Any], key: str, *, required: bool, default: str = "") -> str:
    if key not in value or value[key] is None:
        if required:
            raise ValueError(f"imap.{key} is required")
        return default
    item = value[key]
    if not isinstance(item, str):
        raise ValueError(f"imap.{key} must be text")
    if key != "password":
        item = item.strip()
    if not item:
        raise ValueError(f"imap.{key} must not be empty")
    if len(item) > 1000:
        raise ValueError(f"imap.{key} is too long (at most 1000 characters)")
    if any(c in item for c in "\r\n\0"):
        raise ValueError(f"imap.{key} must be on one line")
    return item


def clean_imap(value: object) -> dict[str, Any] | None:
    """Validates an inbox's IMAP settings as sent to the API (a dict or None to switch polling off);
    raises ValueError with a clear, user-facing message naming the field on bad input.
    Returns the cleaned dict to store in the inbox's JSON settings, with every field filled in."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError("imap must be an object with host, port, security, username, password")
    unknown = sorted(str(k) for k in value if k not in _KEYS)
    if unknown:
        raise ValueError(
            f"imap has unknown field(s): {', '.join(unknown)} (known: {', '.join(_KEYS)})"
        )
    host = _text(value, "host", required=True)
    if any(c.isspace() for c in host) or "/" in host:
        raise ValueError("imap.host must be a host name or address, such as imap.example.com")
    security = _text(value, "security", required=False, default="tls")
    if security not in SECURITIES:
        raise ValueError(f"imap.security must be one of: {', '.join(SECURITIES)}")
    port = value.get("port")
    if port is None:
        port = DEFAULT_PORTS[security]
    # bool is an int in Python; true as a port number is a mistake.
    if isinstance(port, bool) or not isinstance(port, int):
        raise ValueError("imap.port must be a whole number")
    if not 1 <= port <= 65535:
        raise ValueError("imap.port must be between 1 and 65535")
    username = _text(value, "username", required=True)
    password = _text(value, "password", required=True)
    folder = _text(value, "folder", required=False, default="INBOX")
    processed = _text(value, "processed", required=False, default="seen")
    if processed != "seen":
        if not processed.startswith("move:"):
            raise ValueError("imap.processed must be 'seen' or 'move:<folder>'")
        target = processed.removeprefix("move:").strip()
        if not target:
            raise ValueError("imap.processed needs a folder after 'move:'")
        # INBOX is one folder whatever its case (RFC 3501).
        if target == folder or target.upper() == folder.upper() == "INBOX":
            raise ValueError("imap.processed must move to another folder than imap.folder")
        processed = f"move:{target}"
    verify_tls = value.get("verify_tls", True)
    if not isinstance(verify_tls, bool):
        raise ValueError("imap.verify_tls must be true or false")
    return {
        "host": host,
        "port": port,
        "security": security,
        "username": username,
        "password": password,
        "folder": folder,
        "processed": processed,
        "verify_tls": verify_tls,
    }


def account_of(settings: dict[str, Any]) -> ImapAccount:
    """The account for IMAP settings as clean_imap returned them (checked again, so settings
    stored by an older Balie or edited by hand fail here with a clear message)."""
    cleaned = clean_imap(settings)
    if cleaned is None:
        raise ValueError("imap settings are missing")
    return ImapAccount(**cleaned)


# --- describing failures ----------------------------------------------------------------------


def describe(account: ImapAccount, exc: BaseException) -> str:
    """A one-line reason for an operator; never contains the password."""
    where = f"{account.host}:{account.port}"
    if isinstance(exc, ImapError):
        return str(exc)
    text = _server_text(exc)
    if "* BYE" in text:
        # The server said goodbye (shutting down, or logging us out) in the middle of a command.
        reason = text.split("* BYE", 1)[1].strip(" '\".")
        return f"the IMAP server {where} ended the connection ({reason or 'BYE'})"
    if isinstance(exc, LoginError):
        return (
            f"the IMAP server {account.host} refused the log-in of {account.username!r}: "
            f"check the user name and password ({_server_text(exc)})"
        )
    if isinstance(exc, CapabilityError):
        return f"the IMAP server {where} lacks a needed feature: {_server_text(exc)}"
    if isinstance(exc, socket.gaierror):
        return f"could not find the IMAP server {account.host!r} (DNS: {exc.strerror})"
    if isinstance(exc, ConnectionRefusedError):
        return f"could not connect to {where}: connection refused"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"the TLS certificate of {account.host} could not be verified: {exc.verify_message}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS with {where} failed: {exc.reason or exc}"
    if isinstance(exc, TimeoutError):
        return f"the IMAP server {where} did not answer in time"
    if isinstance(exc, imaplib.IMAP4.abort | ConnectionError | EOFError):
        return f"the connection to {where} was lost: {_server_text(exc)}"
    if isinstance(exc, OSError):
        return f"could not talk to {where}: {exc.strerror or exc}"
    return f"IMAP failure with {where}: {_server_text(exc)}"


def _expected(exc: BaseException) -> bool:
    """Failures of the network or the server, which describe() says all about."""
    return isinstance(exc, ImapError | imaplib.IMAP4.error | OSError | EOFError)


def _server_text(exc: BaseException) -> str:
    text = str(exc)
    # imaplib wraps server answers as b'...'.
    if text.startswith(("b'", 'b"')) and text.endswith(text[1]):
        text = text[2:-1]
    return text or type(exc).__name__


# --- one connection ---------------------------------------------------------------------------


def _tls_context(account: ImapAccount) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if not account.verify_tls:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


class _Session:
    """One logged-in connection with the folder selected. Its blocking calls run one at a time
    on its own thread, so a call that outlives an asyncio cancellation still finishes before
    the next one (the logout on close) touches the connection."""

    def __init__(self, account: ImapAccount) -> None:
        self.account = account
        self.client: Any = None
        self.uidvalidity = 0
        self.can_idle = False
        self.idling = False
        self._folder = account.folder
        self._move_to: str | None = account.move_to
        self._can_move = False
        self._can_uid_expunge = False
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="balie-imap")

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        future = asyncio.get_running_loop().run_in_executor(self._thread, fn, *args)
        # Shielded: a call once queued runs to its end even when we are cancelled, so that a
        # mail stored is also marked, and the connection is in the state that the next call
        # (the logout on close) expects.
        return await asyncio.shield(future)

    # Blocking parts, run on the session's thread.

    def _open_blocking(self) -> None:
        account = self.account
        timeout = SocketTimeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT)
        if account.security == "tls":
            client = IMAPClient(
                account.host,
                port=account.port,
                ssl=True,
                ssl_context=_tls_context(account),
                timeout=timeout,
            )
        else:
            client = IMAPClient(account.host, port=account.port, ssl=False, timeout=timeout)
        self.client = client
        if account.security == "starttls":
            try:
                client.starttls(_tls_context(account))
            except CapabilityError as exc:
                raise ImapError(
                    f"the IMAP server {account.host}:{account.port} does not offer STARTTLS; "
                    "choose security 'tls' (port 993) instead"
                ) from exc
        client.login(account.username, account.password)
        capabilities = set(client.capabilities())
        self.can_idle = b"IDLE" in capabilities
        self._can_move = b"MOVE" in capabilities
        self._can_uid_expunge = b"UIDPLUS" in capabilities
        delimiter = self._delimiter()
        self._folder = _server_folder(account.folder, delimiter)
        try:
            selected = client.select_folder(self._folder)
        except imaplib.IMAP4.error as exc:
            raise ImapError(
                f"could not open the folder {account.folder!r} on {account.host}: "
                f"{_server_text(exc)}"
            ) from exc
        if selected.get(b"READ-ONLY"):
            # Marking would fail after every delivery; better to say so at once.
            raise ImapError(
                f"the folder {account.folder!r} on {account.host} is read-only for "
                f"{account.username!r}: Balie must be able to mark or move its mail"
            )
        self.uidvalidity = int(selected.get(b"UIDVALIDITY", 0))
        if account.move_to is not None:
            self._move_to = _server_folder(account.move_to, delimiter)
            if not client.folder_exists(self._move_to):
                try:
                    client.create_folder(self._move_to)
                except imaplib.IMAP4.error as exc:
                    # Another client may have made it meanwhile; only a real failure counts.
                    if not client.folder_exists(self._move_to):
                        raise ImapError(
                            f"could not create the folder {account.move_to!r} on "
                            f"{account.host}: {_server_text(exc)}"
                        ) from exc
                # Shown by mail clients that list subscribed folders only; not needed for Balie.
                with contextlib.suppress(imaplib.IMAP4.error):
                    client.subscribe_folder(self._move_to)

    def _delimiter(self) -> str | None:
        # LIST "" "" answers with the hierarchy delimiter of the personal namespace.
        try:
            listed = self.client.list_folders("", "")
        except imaplib.IMAP4.error:
            return None
        for _flags, delimiter, _name in listed:
            if delimiter:
                return bytes(delimiter).decode() if isinstance(delimiter, bytes) else delimiter
        return None

    def _unseen_blocking(self) -> list[int]:
        """The mails to take. Moving empties the folder of what Balie took, so everything
        left in it is new, even a mail a person already read in another client; marking
        seen has only the flag to go by."""
        wanted = ["UNDELETED"] if self._move_to is not None else ["UNSEEN", "UNDELETED"]
        return sorted(int(uid) for uid in self.client.search(wanted))

    def _fetch_blocking(self, uid: int) -> bytes | None:
        # BODY.PEEK[] leaves \Seen alone: a mail counts as processed only after delivery.
        fetched = self.client.fetch([uid], ["BODY.PEEK[]"])
        data = fetched.get(uid)
        if data is None:
            return None  # expunged meanwhile, by another client
        body = data.get(b"BODY[]")
        return bytes(body) if body is not None else None

    def _processed_blocking(self, uid: int) -> None:
        client = self.client
        # Also flagged when moved, so it shows as read in the folder it lands in.
        client.add_flags([uid], [b"\\Seen"])
        if self._move_to is None:
            return
        if self._can_move:
            client.move([uid], self._move_to)
            return
        client.copy([uid], self._move_to)
        client.add_flags([uid], [b"\\Deleted"])
        if self._can_uid_expunge:
            client.uid_expunge([uid])
        # Without UIDPLUS an EXPUNGE would also remove mail that someone else marked deleted;
        # the copy stays behind marked \Deleted and is skipped by the UNDELETED search.

    def _idle_blocking(self) -> None:
        self.client.idle()
        self.idling = True

    def _idle_done_blocking(self) -> None:
        self.idling = False
        self.client.idle_done()

    def _close_blocking(self) -> None:
        client = self.client
        if client is None:
            return
        self.client = None
        try:
            sock = client.socket()
            sock.settimeout(2.0)
            if self.idling:
                self.idling = False
                client.idle_done()
            client.logout()
        except Exception:
            with contextlib.suppress(Exception):
                client.shutdown()

    def _break_connection(self) -> None:
        """Called from the event loop while a blocking call hangs: shutting the socket down makes
        that call fail at once."""
        client = self.client
        if client is None:
            return
        with contextlib.suppress(Exception):
            client.socket().shutdown(socket.SHUT_RDWR)

    @property
    def _where(self) -> str:
        return f"{self.account.host}:{self.account.port}"

    # Async face.

    async def open(self) -> None:
        await self._call(self._open_blocking)

    async def round(self, deliver: Deliver, batch: int) -> tuple[int, BaseException | None]:
        """Delivers up to `batch` unseen mails, oldest first. Returns how many were delivered
        and, when delivery failed, why (the round stops there so that order is kept)."""
        account = self.account
        delivered = 0
        for uid in (await self._call(self._unseen_blocking))[:batch]:
            raw = await self._call(self._fetch_blocking, uid)
            if raw is None:
                continue
            key = account.source_key(self.uidvalidity, uid)
            try:
                await deliver(raw, key)
            except Exception as exc:
                # The caller logs it: once per round for poll_once, once per outage for the poller.
                exc.add_note(f"source key {key}")
                return delivered, exc
            await self._call(self._processed_blocking, uid)
            delivered += 1
        return delivered, None

    async def wait_for_mail(self, seconds: float) -> None:
        """Returns when the server reports new mail in the folder, or after `seconds`."""
        if not self.can_idle:
            deadline = time.monotonic() + seconds
            while (left := deadline - time.monotonic()) > 0:
                await asyncio.sleep(min(left, NOOP_EVERY))
                await self._call(self.client.noop)
            return
        await self._call(self._idle_blocking)
        deadline = time.monotonic() + min(seconds, IDLE_RENEW)
        while time.monotonic() < deadline:
            started = time.monotonic()
            responses = await self._call(self.client.idle_check, IDLE_SLICE)
            if any(_is_bye(r) for r in responses):
                raise ImapError(f"the IMAP server {self._where} ended the connection")
            if any(_is_new_mail(r) for r in responses):
                break
            # idle_check swallows end-of-file and returns nothing; nothing long before the slice
            # is over means the socket was readable with no data: the server hung up.
            if not responses and time.monotonic() - started < IDLE_SLICE / 2:
                raise ImapError(f"the IMAP server {self._where} closed the connection")
        await self._call(self._idle_done_blocking)

    async def close(self) -> None:
        """Logs out; prompt even when a blocking call is still running (e.g. after a
        cancellation): that call gets a moment to end, then its connection is cut."""
        future = asyncio.get_running_loop().run_in_executor(self._thread, self._close_blocking)
        try:
            done, _ = await asyncio.wait({future}, timeout=IDLE_SLICE + 0.5)
            if not done:
                self._break_connection()
                await asyncio.wait({future}, timeout=5)
        finally:
            self._thread.shutdown(wait=False)


def _server_folder(name: str, delimiter: str | None) -> str:
    """Folder names are written with '/' between levels in Balie; servers differ ('.' is
    common), so '/' becomes the server's own delimiter."""
    if delimiter and delimiter != "/":
        return name.replace("/", delimiter)
    return name


def _is_new_mail(response: Any) -> bool:
    return isinstance(response, tuple) and len(response) >= 2 and response[1] == b"EXISTS"


def _is_bye(response: Any) -> bool:
    return isinstance(response, tuple) and len(response) >= 1 and response[0] == b"BYE"


# --- polling ----------------------------------------------------------------------------------


async def poll_once(account: ImapAccount, deliver: Deliver, *, batch: int = 50) -> int:
    """Connects, selects the folder, fetches up to `batch` UNSEEN messages (BODY.PEEK[] so that
    fetching does not mark them), oldest first, delivers each, and marks or moves each only
    after deliver returned. Returns the number delivered. A deliver failure stops the round
    (later mails wait, order is kept) and is logged. Failing to reach or use the mailbox raises
    ImapError with an operator-readable message."""
    session = _Session(account)
    try:
        await session.open()
        delivered, failure = await session.round(deliver, batch)
        if failure is not None:
            log.warning(
                "storing a fetched mail failed; it stays unseen and is fetched again",
                exc_info=failure,
                extra={"fields": account.log_fields()},
            )
        return delivered
    except ImapError:
        raise
    except Exception as exc:
        raise ImapError(describe(account, exc)) from exc
    finally:
        await session.close()


class ImapPoller:
    """Keeps one mailbox polled: a round every `interval` seconds; where the server offers IDLE,
    waits in IDLE (re-issued at most every 25 minutes, per RFC 2177 advice) and polls as soon as
    the server reports new mail; reconnects with backoff (1 s doubling to 60 s) after any network
    or server error, logging each failure once with the account host/user (never the
    password)."""

    def __init__(
        self,
        account: ImapAccount,
        deliver: Deliver,
        *,
        interval: float = 60.0,
        name: str = "",
        batch: int = 50,
    ) -> None:
        self.account = account
        self._deliver = deliver
        self.interval = interval
        self.name = name or f"{account.username}@{account.host}"
        self.batch = batch
        self._task: asyncio.Task[None] | None = None
        self._last_error: str | None = None
        self._delivered = 0

    @property
    def last_error(self) -> str | None:
        """Why polling fails now, for an operator; None while it works."""
        return self._last_error

    @property
    def delivered(self) -> int:
        return self._delivered

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        if self.running:
            return
        self._task = asyncio.create_task(self._run(), name=f"balie-imap-{self.name}")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        # The session's close gives a running blocking call one IDLE slice, so this is prompt.
        await asyncio.wait({task}, timeout=10)
        if task.done() and not task.cancelled() and task.exception() is not None:
            log.error(
                "the IMAP poller had stopped on an unexpected error",
                exc_info=task.exception(),
                extra={"fields": self._fields()},
            )

    async def _count(self, raw: bytes, key: str) -> None:
        await self._deliver(raw, key)
        self._delivered += 1

    def _fields(self) -> dict[str, Any]:
        return {"inbox": self.name, **self.account.log_fields()}

    def _failed(self, reason: str, exc: BaseException | None = None) -> None:
        # Once per distinct failure: a server that stays down for an hour is one line, not 60.
        if reason != self._last_error:
            log.warning(
                "IMAP polling fails",
                exc_info=exc,
                extra={"fields": {**self._fields(), "error": reason}},
            )
        else:
            log.debug("IMAP polling still fails", extra={"fields": self._fields()})
        self._last_error = reason

    def _worked(self) -> None:
        if self._last_error is not None:
            log.info("IMAP polling works again", extra={"fields": self._fields()})
            self._last_error = None

    async def _run(self) -> None:
        delay = BACKOFF_FIRST
        while True:
            session = _Session(self.account)
            try:
                await session.open()
                while True:
                    delivered, failure = await session.round(self._count, self.batch)
                    if failure is not None:
                        # Storing failed (the database, most likely): the mail waits unseen and
                        # this connection stays; try again after the backoff.
                        self._failed(
                            f"storing a fetched mail failed: {_server_text(failure)}", failure
                        )
                        await asyncio.sleep(delay)
                        delay = min(delay * 2, BACKOFF_MAX)
                        continue
                    self._worked()
                    delay = BACKOFF_FIRST
                    if delivered >= self.batch:
                        continue  # more may be waiting
                    await session.wait_for_mail(self.interval)
            except Exception as exc:
                # A traceback only for the unforeseen: describe() says all about the rest.
                self._failed(describe(self.account, exc), None if _expected(exc) else exc)
            finally:
                await session.close()
            await asyncio.sleep(delay)
            delay = min(delay * 2, BACKOFF_MAX)
