"""Searching messages and customers, on SQLite (FTS5) and PostgreSQL (tsvector).

Both backends follow one shape, so search stays fast with a million messages: the
full-text index finds the newest matches the actor may see (visibility is part of that
query, so a busy team elsewhere never crowds out what an agent may find), only those are
ranked, and only the best are joined for display. Snippets are built in Python for the
final hits only.

Scores are "higher is better" on both backends: the negated bm25 on SQLite, ts_rank on
PostgreSQL. They order results; they are not comparable across backends.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Subquery,
    column,
    func,
    literal_column,
    select,
    table,
    text,
    true,
)
from sqlalchemy.ext.asyncio import AsyncSession

from balie.act import Actor
from balie.conversations.access import visible_to
from balie.errors import InvalidInput
from balie.search.terms import MAX_QUERY_WORDS, fts5_match, highlight, query_groups
from balie.store.tables import Conversation, Customer, CustomerIdentity, Message

MAX_QUERY_CHARS = 200
MAX_LIMIT = 100
# Ranking costs time per matching row (about 1.5 µs for bm25 and 35 µs for ts_rank, which
# re-parses the text), so a word found in half of a million messages took 0.8 s on SQLite
# and 13 s on PostgreSQL. Only the newest this many matches are ranked: finding them is
# cheap (ids come in index order), and in a service inbox recent conversations matter most.
RANKED_NEWEST = 2_000
_WORD = re.compile(r"\w+")
# Exactly the expressions of ix_messages_fulltext and ix_customers_fulltext (migration
# 0001): PostgreSQL only uses an expression index for the same expression.
_PG_MESSAGE_VECTOR = "(to_tsvector('dutch', text) || to_tsvector('english', text))"
_PG_CUSTOMER_VECTOR = "to_tsvector('simple', search_terms)"
# "id + 0" keeps the planner from walking the primary key backwards and re-parsing every
# row's text until enough match: the newest matches must come from the full-text index.
_PG_NEWEST_MESSAGES = "messages.id + 0 DESC"
_PG_NEWEST_CUSTOMERS = "customers.id + 0 DESC"

Groups = list[frozenset[str]]
Window = Callable[[int, int], Subquery]
# The best ``size`` of the newest matching messages that pass the visibility condition.
MessageWindow = Callable[[ColumnElement[bool], int], Subquery]
_MESSAGE_FTS = table("message_fts", column("rowid", Integer))


@dataclass(frozen=True)
class MessageHit:
    conversation_id: int
    message_id: int
    seq: int
    subject: str
    snippet_html: str
    rank: float
    internal: bool  # an agents' note, never shown to the customer


@dataclass(frozen=True)
class CustomerHit:
    id: int
    name: str
    emails: list[str]
    snippet_html: str


@dataclass(frozen=True)
class SearchResults:
    query: str
    messages: list[MessageHit]
    customers: list[CustomerHit]


def _checked(q: str, limit: int) -> tuple[str, Groups]:
    q = q.strip()
    if not q:
        raise InvalidInput("Type something to search for.", field="q")
    if len(q) > MAX_QUERY_CHARS:
        raise InvalidInput(f"A search is limited to {MAX_QUERY_CHARS} characters.", field="q")
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}.", field="limit")
    groups = query_groups(q)
    if not groups:
        raise InvalidInput("The search has no words in it.", field="q")
    return q, groups


async def search(session: AsyncSession, actor: Actor, q: str, *, limit: int = 20) -> SearchResults:
    """The best ``limit`` messages the actor may see and the best ``limit`` customers.
    Internal notes are found too (agents search their own notes) and marked as such."""
    q, groups = _checked(q, limit)
    if session.get_bind().dialect.name == "sqlite":
        message_window, customer_window = _sqlite_windows(groups)
    else:
        message_window, customer_window = _postgres_windows(q, groups)
    return SearchResults(
        query=q,
        messages=await _messages(session, actor, message_window, groups, limit),
        customers=await _customers(session, customer_window, groups, limit),
    )


def _sqlite_windows(groups: Groups) -> tuple[MessageWindow, Window]:
    match = fts5_match(groups)

    def messages(visible: ColumnElement[bool], size: int) -> Subquery:
        newest = (
            select(
                _MESSAGE_FTS.c.rowid.label("id"),
                literal_column("-bm25(message_fts)", Float).label("score"),
            )
            .select_from(
                _MESSAGE_FTS.join(Message, Message.id == _MESSAGE_FTS.c.rowid).join(
                    Conversation, Conversation.id == Message.conversation_id
                )
            )
            .where(text("message_fts MATCH :match").bindparams(match=match), visible)
            .order_by(_MESSAGE_FTS.c.rowid.desc())
            .limit(RANKED_NEWEST)
            .subquery("newest")
        )
        return (
            select(newest.c.id, newest.c.score)
            .order_by(newest.c.score.desc(), newest.c.id.desc())
            .limit(size)
            .subquery("hits")
        )

    def customers(size: int, offset: int) -> Subquery:
        return (
            text(
                "SELECT customer_fts.rowid AS id, -bm25(customer_fts) AS score "
                "FROM customer_fts JOIN customers ON customers.id = customer_fts.rowid "
                "WHERE customer_fts MATCH :match AND customers.merged_into_id IS NULL "
                "AND customer_fts.rowid >= coalesce(("
                "  SELECT rowid FROM customer_fts WHERE customer_fts MATCH :match"
                "  ORDER BY rowid DESC LIMIT 1 OFFSET :newest), 0) "
                "ORDER BY bm25(customer_fts) LIMIT :size OFFSET :offset"
            )
            .bindparams(match=match, newest=RANKED_NEWEST - 1, size=size, offset=offset)
            .columns(id=Integer, score=Float)
            .subquery("hits")
        )

    return messages, customers


def _postgres_windows(q: str, groups: Groups) -> tuple[MessageWindow, Window]:
    # Messages: each query word in either language, every word required. The stems of
    # the Snowball stemmers that PostgreSQL runs are the ones the index holds.
    raw_words = list(dict.fromkeys(w.lower() for w in _WORD.findall(q)))[:MAX_QUERY_WORDS]
    message_params = {f"w{i}": w for i, w in enumerate(raw_words)}
    message_query = " && ".join(
        f"(plainto_tsquery('dutch', :w{i}) || plainto_tsquery('english', :w{i}))"
        for i in range(len(raw_words))
    )
    # Customers: search_terms already holds stems (search.index), so match stems as-is.
    customer_params: dict[str, Any] = {}
    alternatives = []
    for g, group in enumerate(groups):
        names = []
        for s, stem in enumerate(sorted(group)):
            customer_params[f"s{g}_{s}"] = stem
            names.append(f"plainto_tsquery('simple', :s{g}_{s})")
        alternatives.append("(" + " || ".join(names) + ")")
    customer_query = " && ".join(alternatives)

    def messages(visible: ColumnElement[bool], size: int) -> Subquery:
        tsq = (
            text(f"SELECT {message_query} AS q")
            .bindparams(**message_params)
            .columns(column("q"))
            .cte("tsq")
        )
        vector: ColumnElement[Any] = literal_column(_PG_MESSAGE_VECTOR)
        newest = (
            select(Message.id.label("id"))
            .select_from(Message)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .join(tsq, true())
            .where(vector.op("@@")(tsq.c.q), visible)
            .order_by(literal_column(_PG_NEWEST_MESSAGES))
            .limit(RANKED_NEWEST)
            .subquery("newest")
        )
        score = func.ts_rank(vector, tsq.c.q, type_=Float).label("score")
        return (
            select(newest.c.id, score)
            .select_from(newest)
            .join(Message, Message.id == newest.c.id)
            .join(tsq, true())
            .order_by(score.desc(), newest.c.id.desc())
            .limit(size)
            .subquery("hits")
        )

    def customers(size: int, offset: int) -> Subquery:
        return (
            text(
                f"WITH tsq AS MATERIALIZED (SELECT {customer_query} AS q), "
                "newest AS MATERIALIZED ("
                f"  SELECT customers.id FROM customers, tsq WHERE {_PG_CUSTOMER_VECTOR} @@ tsq.q"
                "   AND customers.merged_into_id IS NULL"
                f"  ORDER BY {_PG_NEWEST_CUSTOMERS}"
                "   LIMIT :newest) "
                f"SELECT customers.id AS id, ts_rank({_PG_CUSTOMER_VECTOR}, tsq.q) AS score "
                "FROM newest JOIN customers ON customers.id = newest.id, tsq "
                "ORDER BY score DESC, customers.id LIMIT :size OFFSET :offset"
            )
            .bindparams(**customer_params, newest=RANKED_NEWEST, size=size, offset=offset)
            .columns(id=Integer, score=Float)
            .subquery("hits")
        )

    return messages, customers


async def _messages(
    session: AsyncSession, actor: Actor, window: MessageWindow, groups: Groups, limit: int
) -> list[MessageHit]:
    hits = window(visible_to(actor), limit)
    rows = await session.execute(
        select(
            hits.c.id,
            hits.c.score,
            Message.seq,
            Message.internal,
            Message.text,
            Conversation.id.label("conversation_id"),
            Conversation.subject,
        )
        .join(Message, Message.id == hits.c.id)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .order_by(hits.c.score.desc(), hits.c.id.desc())
    )
    return [
        MessageHit(
            conversation_id=r.conversation_id,
            message_id=r.id,
            seq=r.seq,
            subject=r.subject,
            snippet_html=highlight(r.text, groups),
            rank=float(r.score),
            internal=bool(r.internal),
        )
        for r in rows
    ]


async def _customers(
    session: AsyncSession, window: Window, groups: Groups, limit: int
) -> list[CustomerHit]:
    hits = window(limit, 0)
    rows = list(
        await session.execute(
            select(Customer.id, Customer.name)
            .join(hits, hits.c.id == Customer.id)
            .order_by(hits.c.score.desc(), Customer.id)
        )
    )
    emails: dict[int, list[str]] = {r.id: [] for r in rows}
    if rows:
        for customer_id, value in await session.execute(
            select(CustomerIdentity.customer_id, CustomerIdentity.value)
            .where(CustomerIdentity.customer_id.in_(emails), CustomerIdentity.kind == "email")
            .order_by(CustomerIdentity.id)
        ):
            emails[customer_id].append(value)
    return [
        CustomerHit(
            id=r.id,
            name=r.name,
            emails=emails[r.id],
            snippet_html=highlight(" · ".join([r.name, *emails[r.id]]), groups),
        )
        for r in rows
    ]
