"""API tokens: random, shown once, stored as SHA-256."""

from __future__ import annotations

import hashlib
import secrets

PREFIX = "balie_"


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
