"""Reply addresses: an inbox address with a signed conversation token after a plus.

Balie's mail carries ``Reply-To: support+c42-k3v9x2m7pq@shop.example``. Clients that lose
the Message-ID chain still reply to that address, so the reply finds conversation 42. The
token is signed with the inbox's secret: guessing ``+c43`` lands nowhere.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

# "c42-...": replies to conversation 42; "b7-...": the envelope sender of outbox mail 7, so
# a bounce names exactly the mail that failed (VERP) and nobody can forge one.
_TOKEN = re.compile(r"^([cb])(\d{1,18})-([a-z2-7]{10})$")
_PURPOSE = {"c": "reply", "b": "bounce"}


def _signature(secret: str, kind: str, number: int) -> str:
    message = f"{_PURPOSE[kind]}:{number}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256)
    return base64.b32encode(digest.digest()[:10]).decode().lower()[:10]


def token(secret: str, kind: str, number: int) -> str:
    return f"{kind}{number}-{_signature(secret, kind, number)}"


def read_token(secret: str, tag: str) -> tuple[str, int] | None:
    """What a tag names, ("c", conversation) or ("b", outbox mail), if this secret signed it."""
    match = _TOKEN.match(tag.lower())
    if match is None:
        return None
    kind, number = match.group(1), int(match.group(2))
    if not hmac.compare_digest(match.group(3), _signature(secret, kind, number)):
        return None
    return kind, number


@dataclass(frozen=True)
class Recipient:
    """An envelope or header recipient split into the inbox address and a plus tag."""

    base: str  # "support@shop.example"
    tag: str | None  # "c42-k3v9x2m7pq", or any other tag a sender put after the plus


def split_recipient(address: str) -> Recipient | None:
    address = address.strip().strip("<>").lower()
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        return None
    base, plus, tag = local.partition("+")
    return Recipient(f"{base}@{domain}", tag if plus and tag else None)


def tagged_address(inbox_address: str, tag: str) -> str:
    local, _, domain = inbox_address.partition("@")
    return f"{local}+{tag}@{domain}"


def reply_address(inbox_address: str, secret: str, conversation_id: int) -> str:
    return tagged_address(inbox_address, token(secret, "c", conversation_id))


def bounce_address(inbox_address: str, secret: str, outbox_id: int) -> str:
    return tagged_address(inbox_address, token(secret, "b", outbox_id))
