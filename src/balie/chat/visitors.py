"""Who a chat visitor is: a signed token, never a guessable number.

A token names the inbox and a visitor key. Anonymous visitors get a random key; a host
site's signed-in user gets ``user:<id>``, but only after the site proved it knows the user
with an HMAC of the id made with the inbox secret, so nobody can read another customer's
chat by guessing ids.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer

SALT = "balie.chat.visitor"
MAX_USER_ID = 200


@dataclass(frozen=True)
class Visitor:
    inbox_id: int
    key: str

    @property
    def verified_user(self) -> str | None:
        return self.key.removeprefix("user:") if self.key.startswith("user:") else None


def anonymous(inbox_id: int) -> Visitor:
    return Visitor(inbox_id, "anon:" + secrets.token_urlsafe(16))


def user_hash(inbox_secret: str, user_id: str) -> str:
    """What the host site computes on its server: HMAC-SHA256 of the user id, in hex."""
    return hmac.new(inbox_secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def verified(inbox_id: int, inbox_secret: str, user_id: str, given_hash: str) -> Visitor | None:
    """The visitor for a host site's user, or None when the hash is wrong."""
    if not 1 <= len(user_id) <= MAX_USER_ID:
        return None
    if not hmac.compare_digest(user_hash(inbox_secret, user_id), given_hash.lower()):
        return None
    return Visitor(inbox_id, "user:" + user_id)


def issue(secret_key: str, visitor: Visitor) -> str:
    return URLSafeSerializer(secret_key, salt=SALT).dumps({"i": visitor.inbox_id, "v": visitor.key})


def read(secret_key: str, token: str) -> Visitor | None:
    """The visitor a token names, or None when it is not one of ours."""
    if not token or len(token) > 500:
        return None
    try:
        data = URLSafeSerializer(secret_key, salt=SALT).loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    inbox_id, key = data.get("i"), data.get("v")
    if not isinstance(inbox_id, int) or not isinstance(key, str):
        return None
    return Visitor(inbox_id, key)
