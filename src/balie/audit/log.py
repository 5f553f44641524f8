"""Appending to and verifying the audit log in the database."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from balie.audit.chain import GENESIS, ChainBreak, ChainChecker, Entry, entry_hash
from balie.store.tables import AuditEvent, AuditHead


async def record(
    session: AsyncSession,
    *,
    actor: str,
    action: str,
    target: str,
    at: dt.datetime,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one entry. Must run inside ``Database.writing()``, which holds the head lock."""
    # The session's identity map holds objects weakly: keep the head for the whole
    # transaction so every further append reuses it instead of reading it again.
    head = session.info.get("audit_head")
    if head is None:
        head = await session.get(AuditHead, 1)
        if head is None:
            head = AuditHead(id=1, seq=0, hash=GENESIS)
            session.add(head)
        session.info["audit_head"] = head
    seq = head.seq + 1
    # JSON round trip through the same encoder the hash uses keeps what is stored and
    # what is hashed identical (dates become strings in both).
    before, after = _plain(before), _plain(after)
    digest = entry_hash(
        prev_hash=head.hash,
        seq=seq,
        at=at,
        actor=actor,
        action=action,
        target=target,
        before=before,
        after=after,
    )
    event = AuditEvent(
        seq=seq,
        at=at,
        actor=actor,
        action=action,
        target=target,
        before=before,
        after=after,
        prev_hash=head.hash,
        hash=digest,
    )
    session.add(event)
    head.seq, head.hash = seq, digest
    # What changed, for whoever listens after the commit (live sockets, see balie.live).
    session.info.setdefault("changed", set()).add(target)
    return event


def _plain(value: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if value is None else _jsonable(value)


def _jsonable(value: Any) -> Any:
    """Dates and times as ISO text, at any depth, so the stored JSON and the hashed JSON
    are the same thing."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


async def verify(session: AsyncSession, *, batch: int = 5000) -> tuple[int, ChainBreak | None]:
    """Check the whole chain, streaming; returns (entries checked, first break or None)."""
    head = await session.get(AuditHead, 1)
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    checker = ChainChecker()
    result = await session.stream(select(AuditEvent).order_by(AuditEvent.seq, AuditEvent.id))
    async for partition in result.scalars().partitions(batch):
        for e in partition:
            problem = checker.check(
                Entry(
                    seq=e.seq,
                    at=e.at,
                    actor=e.actor,
                    action=e.action,
                    target=e.target,
                    before=e.before,
                    after=e.after,
                    prev_hash=e.prev_hash,
                    hash=e.hash,
                )
            )
            if problem:
                await result.close()
                return checker.checked, problem
        session.expunge_all()  # keep memory flat on a long log
    return checker.checked, checker.finish(head_seq=head_seq, head_hash=head_hash)
