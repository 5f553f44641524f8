"""Masking swear words for agents who prefer not to read them. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# The evidence labels triage gives swear words and insults. Threats are not masked: an
# agent must read a threat as it was written.
MASKED_LABELS = frozenset({"profanity", "insult"})


def mask(text: str, evidence: Iterable[dict[str, Any]]) -> str:
    """``text`` with every letter but the first of each profane span replaced by "*"."""
    chars = list(text)
    for e in evidence:
        if e.get("label") not in MASKED_LABELS:
            continue
        start, end = int(e["start"]), int(e["end"])
        if not 0 <= start < end <= len(chars):
            continue
        first = True
        for i in range(start, end):
            if chars[i].isalpha():
                if not first:
                    chars[i] = "*"
                first = False
            elif chars[i].isspace():
                first = True
    return "".join(chars)
