"""The pure rules of a conversation's life. No database, no clock."""

from __future__ import annotations

import re
from typing import Literal

Status = Literal["open", "pending", "snoozed", "resolved"]
STATUSES: tuple[Status, ...] = ("open", "pending", "snoozed", "resolved")
PRIORITIES = ("low", "normal", "high", "urgent")
SEVERITIES = ("normal", "high", "critical")
# Sort key of a severity: critical conversations rise to the top of the inbox.
URGENCY = {"normal": 0, "high": 1, "critical": 2}
CHANNELS = ("chat", "email", "api", "phone")
AUTHOR_KINDS = ("customer", "agent", "bot", "system")

# A resolved conversation is reopened, never silently parked again.
_ALLOWED: dict[str, frozenset[str]] = {
    "open": frozenset({"pending", "snoozed", "resolved"}),
    "pending": frozenset({"open", "snoozed", "resolved"}),
    "snoozed": frozenset({"open", "pending", "resolved"}),
    "resolved": frozenset({"open"}),
}

MAX_TAGS = 20
_TAG = re.compile(r"^[\w][\w\-.:/]{0,49}$", re.UNICODE)
MAX_MESSAGE_CHARS = 50_000
MAX_SUBJECT_CHARS = 300


def transition_error(current: str, new: str) -> str | None:
    """Why ``current`` → ``new`` is not allowed, or None when it is."""
    if new not in STATUSES:
        return f"Unknown status {new!r}; use one of {', '.join(STATUSES)}."
    if new == current:
        return f"The conversation is already {current}."
    if new not in _ALLOWED[current]:
        allowed = ", ".join(sorted(_ALLOWED[current]))
        return f"A {current} conversation can become {allowed}, not {new}."
    return None


def clean_tags(tags: list[str]) -> list[str]:
    """Lower-cased, de-duplicated, in the given order; raises ValueError on a bad tag."""
    out: dict[str, None] = {}
    for raw in tags:
        tag = raw.strip().lower()
        if not _TAG.match(tag):
            raise ValueError(
                f"Tag {raw!r} must be 1-50 letters, digits or - _ . : / "
                "and start with a letter or digit."
            )
        out.setdefault(tag, None)
    if len(out) > MAX_TAGS:
        raise ValueError(f"At most {MAX_TAGS} tags per conversation.")
    return list(out)
