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

_TOKEN = re.compile(r"^c(\d{1,18})-([a-z2-7]{10})$")


def _signature(secret: str, conversation_id: int) -> str:
    digest = hmac.new(secret.encode(), f"reply:{conversation_id}".encode(), hashlib.sha256)
    return base64.b32encode(digest.digest()[:10]).decode().lower()[:10]


def reply_token(secret: str, conversation_id: int) -> str:
    return f"c{conversation_id}-{_signature(secret, conversation_id)}"


def token_conversation(secret: str, token: str) -> int | None:
    """The conversation a token names, if the inbox's secret signed it."""
    match = _TOKEN.match(token.lower())
    if match is None:
        return None
    conversation_id = int(match.group(1))
    if not hmac.compare_digest(match.group(2), _signature(secret, conversation_id)):
        return None
    return conversation_id


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


def reply_address(inbox_address: str, secret: str, conversation_id: int) -> str:
    local, _, domain = inbox_address.partition("@")
    return f"{local}+{reply_token(secret, conversation_id)}@{domain}"
