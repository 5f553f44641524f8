"""Engines and transactions.

Writes are serialised: on SQLite every write transaction starts with ``BEGIN IMMEDIATE``;
on PostgreSQL it first locks the audit-chain head row. The audit log is one chain, so
its appends must be ordered anyway, and taking that lock first means no two writers can
deadlock on rows taken in different orders. Reads never wait for writers.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from balie.store.tables import AuditHead


def _sqlite_engine(url: str, *, begin: str, pool_size: int) -> AsyncEngine:
    engine = create_async_engine(url, pool_size=pool_size, max_overflow=0)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event decide how transactions start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            "synchronous=NORMAL",
            "foreign_keys=ON",
            "busy_timeout=10000",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql(begin)

    return engine


log = logging.getLogger("balie.store")

# Told, after a commit, which audit targets the transaction changed ("conversation:42").
CommitListener = Callable[[set[str]], Awaitable[None]]


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.commit_listeners: list[CommitListener] = []
        self.dialect = make_url(url).get_backend_name()
        if self.dialect == "sqlite":
            self.writer = _sqlite_engine(url, begin="BEGIN IMMEDIATE", pool_size=1)
            self.reader = _sqlite_engine(url, begin="BEGIN", pool_size=4)
        else:
            self.writer = create_async_engine(url, pool_size=10, max_overflow=10)
            self.reader = self.writer
        self._write_sessions = async_sessionmaker(self.writer, expire_on_commit=False)
        self._read_sessions = async_sessionmaker(self.reader, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncSession]:
        """One write transaction: committed when the block ends, rolled back on error.
        After the commit, listeners hear what changed; never before, so nobody is told of
        a change they cannot read yet."""
        async with self._write_sessions() as session:
            async with session.begin():
                session.info.pop("audit_head", None)
                session.info.pop("changed", None)
                if not self.is_sqlite:
                    await session.execute(
                        select(AuditHead.id).where(AuditHead.id == 1).with_for_update()
                    )
                yield session
            changed: set[str] = session.info.pop("changed", set())
        if changed:
            for listener in self.commit_listeners:
                try:
                    await listener(changed)
                except Exception:
                    # The change is committed; a listener that cannot tell anyone (the bus
                    # away) must not make it look failed. Sockets catch up by sweeping.
                    log.exception("commit listener failed")

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        async with self._read_sessions() as session, session.begin():
            yield session

    async def dispose(self) -> None:
        await self.writer.dispose()
        if self.reader is not self.writer:
            await self.reader.dispose()
