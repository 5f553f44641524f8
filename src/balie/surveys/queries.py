"""Survey answers, summed up for agents and the reports."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from balie.act import Actor
from balie.conversations.access import visible_to
from balie.store.tables import Conversation, Survey

MAX_ANSWERS = 500


async def summary(
    session: AsyncSession,
    actor: Actor,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    inbox_id: int | None = None,
) -> dict[str, Any]:
    """Surveys sent in [since, until) and answers given in it: counts per score, the
    average, and what customers said could have prevented their problem (newest first)."""
    where: list[Any] = [visible_to(actor)]
    if inbox_id is not None:
        where.append(Conversation.inbox_id == inbox_id)
    sent_where, answer_where = list(where), [*where, Survey.status == "answered"]
    if since is not None:
        sent_where.append(Survey.sent_at >= since)
        answer_where.append(Survey.answered_at >= since)
    if until is not None:
        sent_where.append(Survey.sent_at < until)
        answer_where.append(Survey.answered_at < until)
    joined = select(Survey).join(Conversation, Conversation.id == Survey.conversation_id)
    sent = await session.scalar(
        select(func.count()).select_from(joined.where(*sent_where).subquery())
    )
    per_score = {
        int(score or 0): int(n)
        for score, n in await session.execute(
            select(Survey.score, func.count())
            .join(Conversation, Conversation.id == Survey.conversation_id)
            .where(*answer_where)
            .group_by(Survey.score)
        )
    }
    answered = sum(per_score.values())
    total = sum(score * n for score, n in per_score.items())
    rows = await session.execute(
        select(Survey, Conversation.inbox_id)
        .join(Conversation, Conversation.id == Survey.conversation_id)
        .where(*answer_where, Survey.prevention.is_not(None))
        .order_by(Survey.answered_at.desc(), Survey.id.desc())
        .limit(MAX_ANSWERS)
    )
    return {
        "sent": int(sent or 0),
        "answered": answered,
        "scores": {str(s): per_score.get(s, 0) for s in range(1, 6)},
        "average": round(total / answered, 2) if answered else None,
        "prevention": [
            {
                "survey_id": s.id,
                "conversation_id": s.conversation_id,
                "inbox_id": inbox,
                "score": s.score,
                "text": s.prevention,
                "answered_at": s.answered_at.isoformat() if s.answered_at else None,
            }
            for s, inbox in rows
        ],
    }
