"""The pure part of the audit log: how an entry is hashed and how a chain is checked.

Each entry's hash covers its own fields and the previous entry's hash, so editing,
deleting, inserting or reordering entries breaks the chain at that point. The head row
keeps the newest seq and hash, so a deleted tail shows too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


def entry_hash(
    *,
    prev_hash: str,
    seq: int,
    at: dt.datetime,
    actor: str,
    action: str,
    target: str,
    before: Any,
    after: Any,
) -> str:
    canonical = json.dumps(
        [prev_hash, seq, at.astimezone(dt.UTC).isoformat(), actor, action, target, before, after],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Entry:
    seq: int
    at: dt.datetime
    actor: str
    action: str
    target: str
    before: Any
    after: Any
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    reason: str

    def __str__(self) -> str:
        return f"audit entry {self.seq}: {self.reason}"


class ChainChecker:
    """Checks entries one at a time, in seq order, so a long log needs no memory."""

    def __init__(self) -> None:
        self.expected_seq = 1
        self.prev = GENESIS

    def check(self, e: Entry) -> ChainBreak | None:
        if e.seq != self.expected_seq:
            missing = e.seq > self.expected_seq
            return ChainBreak(
                self.expected_seq if missing else e.seq,
                "missing" if missing else "out of order",
            )
        if e.prev_hash != self.prev:
            return ChainBreak(e.seq, "does not follow the entry before it (deleted or reordered)")
        recomputed = entry_hash(
            prev_hash=e.prev_hash,
            seq=e.seq,
            at=e.at,
            actor=e.actor,
            action=e.action,
            target=e.target,
            before=e.before,
            after=e.after,
        )
        if recomputed != e.hash:
            return ChainBreak(e.seq, "content was altered")
        self.prev, self.expected_seq = e.hash, self.expected_seq + 1
        return None

    def finish(self, *, head_seq: int, head_hash: str) -> ChainBreak | None:
        """After the last entry: the log must end where its head says it does."""
        last_seq = self.expected_seq - 1
        if last_seq == head_seq and self.prev == head_hash:
            return None
        if last_seq < head_seq:
            return ChainBreak(last_seq + 1, "missing (the log ends before the recorded head)")
        return ChainBreak(last_seq, "not recorded by the log's head (appended outside Balie)")

    @property
    def checked(self) -> int:
        return self.expected_seq - 1


def find_break(entries: Iterable[Entry], *, head_seq: int, head_hash: str) -> ChainBreak | None:
    """The first place where the chain is not intact, or None. ``entries`` in seq order."""
    checker = ChainChecker()
    for e in entries:
        problem = checker.check(e)
        if problem:
            return problem
    return checker.finish(head_seq=head_seq, head_hash=head_hash)
