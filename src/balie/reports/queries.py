"""The figures of every report over one period, filtered by inbox and agent.

Counts and sums are aggregated in SQL. Medians and percentiles are not portable SQL
(SQLite has none), so the two timestamps of each item are read in one query and the
durations worked out here; days are bucketed here too, in the agents' time zone.

The agent filter means the conversation's owner for figures about conversations, and the
agent who acted for figures about an agent's own acts (goodwill, hand-overs, coach flags
and overrides, abuse warnings, blocks).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import ColumnElement, String, cast, exists, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from balie.errors import InvalidInput
from balie.policy import mandate
from balie.policy.mandate import DEFAULT_LIMITS
from balie.reports.period import Filters, local_day
from balie.reports.stats import summary
from balie.store.tables import (
    AbuseWarning,
    Agent,
    AuditEvent,
    CoachOverride,
    Conversation,
    GoodwillAction,
    Handover,
    Inbox,
    MandateLimit,
    Message,
    Product,
    SlaBreach,
)
from balie.surveys import queries as survey_queries

REPORTS = (
    "first_response",
    "next_response",
    "breaches",
    "resolution",
    "satisfaction",
    "goodwill",
    "repeats",
    "abuse",
    "handovers",
    "coach",
)
BREACH_TARGETS = ("first_response", "next_response", "resolution")
# Who answers the customer, for both response reports: agents and the bot, as for the SLA
# clock (balie.sla.clock.on_agent_reply), so a report and a breach never disagree.
RESPONDERS = ("agent", "bot")
SPENT = ("granted", "approved")


async def check_filters(session: AsyncSession, f: Filters) -> None:
    """An inbox or agent that does not exist is a mistake in the filter, not an empty
    report: 422 naming the field."""
    if f.inbox_id is not None and await session.get(Inbox, f.inbox_id) is None:
        raise InvalidInput(f"Inbox {f.inbox_id} does not exist.", field="inbox_id")
    if f.agent_id is not None and await session.get(Agent, f.agent_id) is None:
        raise InvalidInput(f"Agent {f.agent_id} does not exist.", field="agent_id")


def _scope(f: Filters) -> list[ColumnElement[bool]]:
    """The filters on a conversation (joined or selected)."""
    out: list[ColumnElement[bool]] = []
    if f.inbox_id is not None:
        out.append(Conversation.inbox_id == f.inbox_id)
    if f.agent_id is not None:
        out.append(Conversation.owner_id == f.agent_id)
    return out


def _inbox_only(f: Filters) -> list[ColumnElement[bool]]:
    return [Conversation.inbox_id == f.inbox_id] if f.inbox_id is not None else []


def _seconds(start: dt.datetime, end: dt.datetime) -> float:
    return max(0.0, (end - start).total_seconds())


def _by_day(f: Filters, items: list[tuple[dt.date, float]]) -> list[dict[str, Any]]:
    per_day: dict[dt.date, list[float]] = defaultdict(list)
    for day, seconds in items:
        per_day[day].append(seconds)
    return [{"day": d.isoformat(), **summary(per_day.get(d, []))} for d in f.days]


async def first_response(session: AsyncSession, f: Filters) -> dict[str, Any]:
    """Conversations opened in the period: from the first message to the first public
    reply (RESPONDERS). The SLA clock keeps ``first_response_at``; conversations from
    before it ran fall back to their first public reply message."""
    first_reply = (
        select(func.min(Message.created_at))
        .where(
            Message.conversation_id == Conversation.id,
            Message.author_kind.in_(RESPONDERS),
            Message.internal.is_(False),
        )
        .scalar_subquery()
    )
    rows = (
        await session.execute(
            select(
                Conversation.created_at,
                func.coalesce(Conversation.first_response_at, first_reply),
            ).where(Conversation.created_at >= f.start, Conversation.created_at < f.end, *_scope(f))
        )
    ).all()
    answered = [(local_day(c), _seconds(c, r)) for c, r in rows if r is not None]
    return {
        "conversations": len(rows),
        "unanswered": len(rows) - len(answered),
        **summary([s for _, s in answered]),
        "days": _by_day(f, answered),
    }


async def next_response(session: AsyncSession, f: Filters) -> dict[str, Any]:
    """Each time the customer wrote again after a reply: from their first message of that
    turn to the next public reply (RESPONDERS). Turns that started in the period count."""
    written = (
        select(Message.conversation_id)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(
            Message.author_kind == "customer",
            Message.created_at >= f.start,
            Message.created_at < f.end,
            *_scope(f),
        )
        .distinct()
    )
    rows = (
        await session.execute(
            select(Message.conversation_id, Message.author_kind, Message.created_at)
            .where(
                Message.conversation_id.in_(written),
                Message.internal.is_(False),
                Message.author_kind.in_(("customer", *RESPONDERS)),
            )
            .order_by(Message.conversation_id, Message.seq)
        )
    ).all()
    items: list[tuple[dt.date, float]] = []
    waiting = 0
    conversation, replied, since = None, False, None
    for conversation_id, kind, at in rows:
        if conversation_id != conversation:
            # The previous conversation's last turn, if unanswered, is still waiting.
            waiting += since is not None and f.start <= since < f.end
            conversation, replied, since = conversation_id, False, None
        if kind == "customer":
            if replied and since is None:
                since = at
        else:
            if since is not None and f.start <= since < f.end:
                items.append((local_day(since), _seconds(since, at)))
            replied, since = True, None
    waiting += since is not None and f.start <= since < f.end
    return {**summary([s for _, s in items]), "waiting": waiting, "days": _by_day(f, items)}


async def breaches(session: AsyncSession, f: Filters) -> dict[str, Any]:
    """SLA targets that passed unanswered, by when they were breached."""
    conditions = [SlaBreach.breached_at >= f.start, SlaBreach.breached_at < f.end]
    if f.inbox_id is not None:
        conditions.append(SlaBreach.inbox_id == f.inbox_id)
    if f.agent_id is not None:
        conditions.append(SlaBreach.owner_id == f.agent_id)
    rows = (
        await session.execute(select(SlaBreach.target, SlaBreach.breached_at).where(*conditions))
    ).all()
    per_day: dict[dt.date, Counter[str]] = defaultdict(Counter)
    for target, at in rows:
        per_day[local_day(at)][target] += 1
    totals = Counter(target for target, _ in rows)
    targets = [*BREACH_TARGETS, *sorted(set(totals) - set(BREACH_TARGETS))]
    return {
        "total": len(rows),
        "by_target": {t: totals.get(t, 0) for t in targets},
        "days": [
            {
                "day": d.isoformat(),
                **{t: per_day[d].get(t, 0) for t in targets},
                "total": per_day[d].total(),
            }
            for d in f.days
        ],
    }


async def resolution(session: AsyncSession, f: Filters) -> dict[str, Any]:
    """Conversations resolved in the period (and not reopened since): from the first
    message to resolution."""
    rows = (
        await session.execute(
            select(Conversation.created_at, Conversation.resolved_at).where(
                Conversation.resolved_at >= f.start,
                Conversation.resolved_at < f.end,
                *_scope(f),
            )
        )
    ).all()
    items = [(local_day(r), _seconds(c, r)) for c, r in rows if r is not None]
    return {**summary([s for _, s in items]), "days": _by_day(f, items)}


async def satisfaction(session: AsyncSession, f: Filters) -> dict[str, Any]:
    """Surveys sent in the period: the scores, how many answered, and what customers said
    could have prevented their question. The same figures as the agents' survey summary
    (balie.surveys.queries, one definition of the period)."""
    found = await survey_queries.figures(session, _scope(f), since=f.start, until=f.end)
    answers = [
        {
            "conversation_id": s.conversation_id,
            "score": s.score,
            "answered_at": s.answered_at.isoformat() if s.answered_at else None,
            "prevention": s.prevention or None,
        }
        for s in await survey_queries.answered(session, _scope(f), since=f.start, until=f.end)
    ]
    return {
        "sent": found.sent,
        "answered": found.answered,
        "answer_rate": found.answered / found.sent if found.sent else None,
        "average": found.average,
        "distribution": {str(n): found.scores.get(n, 0) for n in range(1, 6)},
        # Every answered survey, newest first (the CSV); those with words in "prevention",
        # at most survey_queries.MAX_ANSWERS.
        "answers": answers,
        "prevention": [
            {
                "conversation_id": s.conversation_id,
                "score": s.score,
                "answered_at": s.answered_at.isoformat() if s.answered_at else None,
                "prevention": s.prevention,
            }
            for s, _ in found.prevention
        ],
    }


def _months(f: Filters) -> tuple[dt.datetime, dt.datetime]:
    """From the start of the calendar month holding the period's first day to the end of
    the one holding its last: a mandate is per whole month (balie.policy.mandate)."""
    first, _ = mandate.month_of(f.start)
    _, last = mandate.month_of(f.end - dt.timedelta(microseconds=1))
    return first, last


async def goodwill(session: AsyncSession, f: Filters) -> dict[str, Any]:
    """Goodwill granted (or approved) in the period per requesting agent, with totals per
    currency; and, per person, kind and calendar month the period touches, the WHOLE
    month's use of the monthly mandate of their role, counted as the goodwill room counts
    it (balie.goodwill.queries.spent_this_month): each action is charged to whoever
    decided it, in the month of the decision. A request a supervisor approved is listed on
    the requester's line but is not theirs to answer for: it is on the approver's."""
    conditions = [GoodwillAction.status.in_(SPENT), *_inbox_only(f)]
    month_start, month_end = _months(f)
    # When it was decided (rows from before decisions were stored: when it was made).
    decided = func.coalesce(GoodwillAction.decided_at, GoodwillAction.created_at)
    rows = (
        await session.execute(
            select(
                GoodwillAction.agent_id,
                GoodwillAction.decided_by,
                GoodwillAction.status,
                GoodwillAction.kind,
                GoodwillAction.currency,
                GoodwillAction.amount_cents,
                decided,
            )
            .join(Conversation, Conversation.id == GoodwillAction.conversation_id)
            .where(*conditions, decided >= month_start, decided < month_end)
        )
    ).all()
    people: dict[int | None, tuple[str, str]] = {
        a: (n or "", r or "")
        for a, n, r in (await session.execute(select(Agent.id, Agent.name, Agent.role))).all()
    }
    # The monthly limit of each role and kind: a configured row, else the built-in one.
    limits = {key: (limit.per_month_cents, limit.currency) for key, limit in DEFAULT_LIMITS.items()}
    for role, kind, per_month, currency in (
        await session.execute(
            select(
                MandateLimit.role,
                MandateLimit.kind,
                MandateLimit.per_month_cents,
                MandateLimit.currency,
            )
        )
    ).all():
        limits[(role, kind)] = (per_month, currency)

    def wanted(agent_id: int | None) -> bool:
        return f.agent_id is None or agent_id == f.agent_id

    per_agent: Counter[tuple[int | None, str]] = Counter()
    totals: Counter[str] = Counter()
    # (person, kind, month, currency) -> granted, approved for them, approved for others
    lines: dict[tuple[int | None, str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for agent_id, decided_by, _status, kind, currency, cents, at in rows:
        if f.start <= at < f.end and wanted(agent_id):
            per_agent[(agent_id, currency)] += cents
            totals[currency] += cents
        month = local_day(at).strftime("%Y-%m")
        decider = agent_id if decided_by is None else decided_by
        if wanted(agent_id):
            lines[(agent_id, kind, month, currency)][0 if decider == agent_id else 1] += cents
        if decider != agent_id and wanted(decider):
            lines[(decider, kind, month, currency)][2] += cents

    out_lines = []
    for (agent_id, kind, month, currency), (granted, approved, for_others) in sorted(
        lines.items(),
        key=lambda item: (people.get(item[0][0], ("", ""))[0], item[0][0] or 0, *item[0][1:]),
    ):
        name, role = people.get(agent_id, ("", ""))
        # A limit in another currency says nothing about this spending: none shown.
        limit_of = limits.get((role, kind))
        limit = limit_of[0] if limit_of and limit_of[1] == currency else None
        used = granted + for_others
        out_lines.append(
            {
                "agent_id": agent_id,
                "agent": name,
                "role": role,
                "kind": kind,
                "month": month,
                "currency": currency,
                # What the person's customers received that month: their own grants and
                # their requests a supervisor approved.
                "spent_cents": granted + approved,
                "approved_cents": approved,
                "approved_for_others_cents": for_others,
                # What counts against their own monthly mandate.
                "mandate_used_cents": used,
                "limit_cents": limit,
                "over_limit": limit is not None and used > limit,
            }
        )
    return {
        "totals": {c: totals[c] for c in sorted(totals)},
        "agents": [
            {
                "agent_id": a,
                "agent": people.get(a, ("", ""))[0] if a else "",
                "currency": c,
                "spent_cents": cents,
            }
            for (a, c), cents in sorted(
                per_agent.items(), key=lambda i: (-i[1], people.get(i[0][0], ("", ""))[0])
            )
        ],
        "lines": out_lines,
    }


async def repeats(session: AsyncSession, f: Filters) -> dict[str, Any]:
    """Conversations opened in the period that were the same customer about the same
    product or order again, and the products they were about most."""
    opened = [Conversation.created_at >= f.start, Conversation.created_at < f.end, *_scope(f)]
    total, repeated = (
        await session.execute(
            select(
                func.count(),
                func.count().filter(Conversation.repeat.is_(True)),
            ).where(*opened)
        )
    ).one()
    products = (
        await session.execute(
            select(Conversation.product_id, Product.name, func.count().label("n"))
            .outerjoin(Product, Product.id == Conversation.product_id)
            .where(*opened, Conversation.repeat.is_(True))
            .group_by(Conversation.product_id, Product.name)
            .order_by(func.count().desc(), Product.name)
            .limit(10)
        )
    ).all()
    return {
        "conversations": int(total),
        "repeats": int(repeated),
        "share": repeated / total if total else None,
        "top_products": [
            {"product_id": p, "product": name, "repeats": int(n)} for p, name, n in products
        ],
    }


async def abuse(session: AsyncSession, f: Filters) -> dict[str, Any]:
    """Abusive conversations opened, boundary warnings sent and customers blocked in the
    period. Blocks are found in the audit log ("customer.block"); with an inbox filter,
    those of customers with a conversation in that inbox."""
    conversations = [
        d
        for (d,) in (
            await session.execute(
                select(Conversation.created_at).where(
                    Conversation.created_at >= f.start,
                    Conversation.created_at < f.end,
                    Conversation.abusive.is_(True),
                    *_scope(f),
                )
            )
        ).all()
    ]
    warning_filter = [
        AbuseWarning.created_at >= f.start,
        AbuseWarning.created_at < f.end,
        *_inbox_only(f),
    ]
    if f.agent_id is not None:
        warning_filter.append(AbuseWarning.agent_id == f.agent_id)
    warnings = [
        d
        for (d,) in (
            await session.execute(
                select(AbuseWarning.created_at)
                .join(Conversation, Conversation.id == AbuseWarning.conversation_id)
                .where(*warning_filter)
            )
        ).all()
    ]
    block_filter = [
        AuditEvent.action == "customer.block",
        # The action also records the block on the conversation it came from: count the
        # customer's record only, once per block.
        AuditEvent.target.like("customer:%"),
        AuditEvent.at >= f.start,
        AuditEvent.at < f.end,
    ]
    if f.agent_id is not None:
        block_filter.append(AuditEvent.actor == f"agent:{f.agent_id}")
    if f.inbox_id is not None:
        customers = select(
            literal("customer:", String) + cast(Conversation.customer_id, String)
        ).where(Conversation.inbox_id == f.inbox_id)
        block_filter.append(AuditEvent.target.in_(customers))
    blocks = [
        d for (d,) in (await session.execute(select(AuditEvent.at).where(*block_filter))).all()
    ]
    counted = {
        "abusive_conversations": Counter(local_day(d) for d in conversations),
        "warnings": Counter(local_day(d) for d in warnings),
        "blocks": Counter(local_day(d) for d in blocks),
    }
    return {
        "abusive_conversations": len(conversations),
        "warnings": len(warnings),
        "blocks": len(blocks),
        "days": [
            {"day": d.isoformat(), **{k: c.get(d, 0) for k, c in counted.items()}} for d in f.days
        ],
    }


async def handovers(session: AsyncSession, f: Filters) -> dict[str, Any]:
    """Hand-overs requested in the period, and those passed on without action (D6): the
    handing-over agent had sent no public reply in the conversation before asking.
    Declined and cancelled ones were not passed on, so only accepted or still pending
    ones count as passed on."""
    giver, taker = aliased(Agent), aliased(Agent)
    acted = exists().where(
        Message.conversation_id == Handover.conversation_id,
        Message.author_agent_id == Handover.from_agent_id,
        Message.author_kind == "agent",
        Message.internal.is_(False),
        Message.created_at <= Handover.created_at,
    )
    conditions = [
        Handover.created_at >= f.start,
        Handover.created_at < f.end,
        Handover.from_agent_id.is_not(None),
        *_inbox_only(f),
    ]
    if f.agent_id is not None:
        conditions.append(Handover.from_agent_id == f.agent_id)
    rows = (
        await session.execute(
            select(
                Handover.id,
                Handover.conversation_id,
                Handover.from_agent_id,
                giver.name,
                Handover.to_agent_id,
                taker.name,
                Handover.status,
                Handover.created_at,
                acted,
            )
            .join(Conversation, Conversation.id == Handover.conversation_id)
            .join(giver, giver.id == Handover.from_agent_id)
            .join(taker, taker.id == Handover.to_agent_id)
            .where(*conditions)
            .order_by(Handover.created_at, Handover.id)
        )
    ).all()
    items = [
        {
            "handover_id": h,
            "conversation_id": c,
            "from_agent_id": fa,
            "from_agent": fn,
            "to_agent_id": ta,
            "to_agent": tn,
            "status": status,
            "requested_at": at.isoformat(),
            "without_action": not did_act and status in ("accepted", "pending"),
        }
        for h, c, fa, fn, ta, tn, status, at, did_act in rows
    ]
    per_agent: dict[Any, dict[str, Any]] = {}
    for item in items:
        line = per_agent.setdefault(
            item["from_agent_id"],
            {
                "agent_id": item["from_agent_id"],
                "agent": item["from_agent"],
                "requested": 0,
                "without_action": 0,
            },
        )
        line["requested"] += 1
        line["without_action"] += item["without_action"]
    return {
        "requested": len(items),
        "without_action": sum(1 for i in items if i["without_action"]),
        "agents": sorted(per_agent.values(), key=lambda a: (-a["without_action"], a["agent"])),
        "handovers": items,
    }


async def coach(session: AsyncSession, f: Filters) -> dict[str, Any]:
    """The coach's flags on agents' texts written in the period, by kind, and the
    requests to send a blocked text anyway, by how they stand."""
    message_filter = [
        Message.author_kind == "agent",
        Message.coaching.is_not(None),
        Message.created_at >= f.start,
        Message.created_at < f.end,
        *_inbox_only(f),
    ]
    if f.agent_id is not None:
        message_filter.append(Message.author_agent_id == f.agent_id)
    flags: Counter[str] = Counter()
    flagged = overridden = 0
    # Only the verdicts are read; flag kinds live in JSON, counted here on both backends.
    for (record,) in (
        await session.execute(
            select(Message.coaching)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(*message_filter)
        )
    ).all():
        kinds = [
            str(flag.get("kind"))
            for flag in (record or {}).get("flags", [])
            if isinstance(flag, dict) and flag.get("kind")
        ]
        flags.update(kinds)
        flagged += bool(kinds)
        overridden += "override" in (record or {})
    override_filter = [
        CoachOverride.created_at >= f.start,
        CoachOverride.created_at < f.end,
        *_inbox_only(f),
    ]
    if f.agent_id is not None:
        override_filter.append(CoachOverride.agent_id == f.agent_id)
    statuses = dict(
        (
            await session.execute(
                select(CoachOverride.status, func.count())
                .join(Conversation, Conversation.id == CoachOverride.conversation_id)
                .where(*override_filter)
                .group_by(CoachOverride.status)
            )
        ).all()
    )
    return {
        "flagged_messages": flagged,
        "sent_with_override": overridden,
        "flags": dict(sorted(flags.items(), key=lambda kv: (-kv[1], kv[0]))),
        "overrides": {
            s: int(statuses.get(s, 0))
            for s in [
                "pending",
                "approved",
                "declined",
                "used",
                *sorted(set(statuses) - {"pending", "approved", "declined", "used"}),
            ]
        },
    }


QUERIES = {
    "first_response": first_response,
    "next_response": next_response,
    "breaches": breaches,
    "resolution": resolution,
    "satisfaction": satisfaction,
    "goodwill": goodwill,
    "repeats": repeats,
    "abuse": abuse,
    "handovers": handovers,
    "coach": coach,
}


async def report(
    session: AsyncSession, f: Filters, names: tuple[str, ...] = REPORTS
) -> dict[str, Any]:
    """The named reports' figures (all by default), with the period they cover."""
    await check_filters(session, f)
    out: dict[str, Any] = {"period": f.as_json()}
    for name in names:
        out[name] = await QUERIES[name](session, f)
    return out
