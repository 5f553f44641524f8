"""Survey answers, summed up: one definition for the agents' summary (GET /api/v1/surveys)
and the satisfaction report, so both give the same numbers.

The period is a cohort of surveys SENT in [since, until): how many were sent, how many of
those were answered (whenever the answer came), their scores and what customers said
could have prevented their problem (the newest MAX_ANSWERS answers first). Counting sent
and answered over the same surveys keeps the answer rate meaningful.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from balie.act import Actor
from balie.conversations.access import visible_to
from balie.store.tables import Conversation, Survey

# The answers to "how could we have prevented this?" listed at most: the newest ones.
MAX_ANSWERS = 200


@dataclass(frozen=True)
class Figures:
    sent: int
    # score (1-5) -> how many answered with it
    scores: dict[int, int]
    # (survey, inbox id) of answers with words in "prevention", newest first
    prevention: list[tuple[Survey, int | None]]

    @property
    def answered(self) -> int:
        return sum(self.scores.values())

    @property
    def average(self) -> float | None:
        total = sum(score * n for score, n in self.scores.items())
        return round(total / self.answered, 2) if self.answered else None


def sent_in(since: dt.datetime | None, until: dt.datetime | None) -> list[ColumnElement[bool]]:
    """The period's condition on surveys: sent in [since, until)."""
    out: list[ColumnElement[bool]] = []
    if since is not None:
        out.append(Survey.sent_at >= since)
    if until is not None:
        out.append(Survey.sent_at < until)
    return out


def _joined() -> Any:
    return select(Survey).join(Conversation, Conversation.id == Survey.conversation_id)


async def figures(
    session: AsyncSession,
    where: list[ColumnElement[bool]],
    *,
    since: dt.datetime | None,
    until: dt.datetime | None,
) -> Figures:
    """The figures of the surveys sent in the period, among conversations matching
    ``where`` (conditions on Conversation)."""
    cohort = [*where, *sent_in(since, until)]
    answered_where = [*cohort, Survey.status == "answered", Survey.score.is_not(None)]
    sent = await session.scalar(
        select(func.count()).select_from(_joined().where(*cohort).subquery())
    )
    scores = {
        int(score or 0): int(n)
        for score, n in await session.execute(
            select(Survey.score, func.count())
            .join(Conversation, Conversation.id == Survey.conversation_id)
            .where(*answered_where)
            .group_by(Survey.score)
        )
    }
    rows = await session.execute(
        select(Survey, Conversation.inbox_id)
        .join(Conversation, Conversation.id == Survey.conversation_id)
        .where(*answered_where, Survey.prevention.is_not(None), Survey.prevention != "")
        .order_by(Survey.answered_at.desc(), Survey.id.desc())
        .limit(MAX_ANSWERS)
    )
    return Figures(int(sent or 0), scores, [(s, inbox) for s, inbox in rows])


async def answered(
    session: AsyncSession,
    where: list[ColumnElement[bool]],
    *,
    since: dt.datetime | None,
    until: dt.datetime | None,
) -> list[Survey]:
    """Every answered survey of the period (same cohort as ``figures``), newest answer
    first: for the satisfaction CSV."""
    rows = await session.scalars(
        _joined()
        .where(
            *where,
            *sent_in(since, until),
            Survey.status == "answered",
            Survey.score.is_not(None),
        )
        .order_by(Survey.answered_at.desc(), Survey.id.desc())
    )
    return list(rows)


async def summary(
    session: AsyncSession,
    actor: Actor,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    inbox_id: int | None = None,
) -> dict[str, Any]:
    """The agents' summary of surveys in conversations the actor may see (see the module
    for the period)."""
    where: list[ColumnElement[bool]] = [visible_to(actor)]
    if inbox_id is not None:
        where.append(Conversation.inbox_id == inbox_id)
    found = await figures(session, where, since=since, until=until)
    return {
        "sent": found.sent,
        "answered": found.answered,
        "scores": {str(s): found.scores.get(s, 0) for s in range(1, 6)},
        "average": found.average,
        "prevention": [
            {
                "survey_id": s.id,
                "conversation_id": s.conversation_id,
                "inbox_id": inbox,
                "score": s.score,
                "text": s.prevention,
                "answered_at": s.answered_at.isoformat() if s.answered_at else None,
            }
            for s, inbox in found.prevention
        ],
    }
