"""Keeping the search index in step with writes; called by actions in their transaction.

On SQLite, message terms go into the contentless FTS5 table ``message_fts`` (rowid = the
message id). On PostgreSQL an expression index over the message text does the work, so
there is nothing to write.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from balie.search.terms import index_terms
from balie.store.tables import Customer


def _is_sqlite(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "sqlite"


async def index_message(session: AsyncSession, message_id: int, body: str) -> None:
    if _is_sqlite(session):
        await session.execute(
            text("INSERT INTO message_fts(rowid, terms) VALUES (:id, :terms)"),
            {"id": message_id, "terms": index_terms(body)},
        )


def customer_terms(name: str, emails: list[str]) -> str:
    return index_terms(" ".join([name, *emails]))


async def index_customer(
    session: AsyncSession, customer: Customer, emails: list[str], *, new: bool = False
) -> None:
    """Bring the customer's search terms up to date; ``new`` when it was just inserted
    with its terms already set, so there is no old row to replace."""
    terms = customer_terms(customer.name, emails)
    customer.search_terms = terms
    if _is_sqlite(session):
        await session.flush()
        if not new:
            await session.execute(
                text("DELETE FROM customer_fts WHERE rowid = :id"), {"id": customer.id}
            )
        await session.execute(
            text("INSERT INTO customer_fts(rowid, terms) VALUES (:id, :terms)"),
            {"id": customer.id, "terms": terms},
        )
