"""Fixtures: a real database (SQLite, or PostgreSQL with BALIE_TEST_BACKEND=postgres),
the real ASGI app, and agents with API tokens.

Each test run gets its own database (a temporary SQLite file, or a fresh PostgreSQL
database that is dropped afterwards); each test starts from empty tables.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from balie.act import CLI, Act, utcnow
from balie.agents.actions import create_agent, create_team, create_token
from balie.app import create_app
from balie.settings import Settings
from balie.store.database import Database
from balie.store.migrate import migrate
from balie.store.tables import Base
from tests.live_support import OwnRedis

BACKEND = os.environ.get("BALIE_TEST_BACKEND", "sqlite")
PG_ADMIN = os.environ.get("BALIE_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
PASSWORD = "correct horse battery"


def pytest_report_header() -> str:
    return f"balie database backend: {BACKEND}"


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    if BACKEND == "sqlite":
        with tempfile.TemporaryDirectory(prefix="balie-test-") as tmp:
            yield f"sqlite+aiosqlite:///{tmp}/balie.db"
        return
    name = f"balie_test_{os.getpid()}_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
async def migrated_db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await migrate(database)
    yield database
    await database.dispose()


async def empty_tables(database: Database) -> None:
    # A live test server may still be reading (its once-a-second sweep, a socket that is
    # closing); PostgreSQL can then pick the TRUNCATE as a deadlock's victim. Try again.
    for attempt in range(5):
        try:
            await _empty_tables(database)
            return
        except OperationalError as exc:
            if "deadlock" not in str(exc) or attempt == 4:
                raise
            await asyncio.sleep(0.2)


async def _empty_tables(database: Database) -> None:
    names = [t.name for t in reversed(Base.metadata.sorted_tables)]
    async with database.writing() as session:
        if database.is_sqlite:
            for name in names:
                await session.execute(text(f"DELETE FROM {name}"))
            await session.execute(text("DELETE FROM customer_fts"))
            # A contentless table cannot DELETE; it has a command for emptying instead.
            await session.execute(
                text("INSERT INTO message_fts(message_fts) VALUES ('delete-all')")
            )
        else:
            await session.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
        await session.execute(
            text("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, :h)"), {"h": "0" * 64}
        )


@pytest.fixture
async def db(migrated_db: Database) -> Database:
    await empty_tables(migrated_db)
    return migrated_db


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    """A Redis of the test's own, which it may stop and start again."""
    redis = OwnRedis()
    redis.start()
    yield redis
    redis.stop()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        log_json=True,
        log_level="WARNING",
        login_attempts=3,
    )


@pytest.fixture
async def app(settings: Settings, db: Database) -> Any:
    return create_app(settings, db)


@pytest.fixture
async def anon(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://balie.test") as client:
        yield client


@dataclass
class Person:
    """An agent in the test world, with an API client that acts as them."""

    id: int
    email: str
    role: str
    team_id: int | None
    client: httpx.AsyncClient
    token: str


MakeAgent = Callable[..., Awaitable[Person]]


@pytest.fixture
async def make_agent(app: Any, db: Database) -> AsyncIterator[MakeAgent]:
    clients: list[httpx.AsyncClient] = []

    async def make(
        role: str = "agent", *, email: str | None = None, team: str | None = None, **kw: Any
    ) -> Person:
        email = email or f"{role}-{secrets.token_hex(3)}@balie-test.nl"
        async with db.writing() as session:
            act = Act(session, CLI, utcnow())
            team_id = None
            if team:
                existing = await session.execute(
                    text("SELECT id FROM teams WHERE name = :n"), {"n": team}
                )
                team_id = existing.scalar() or (await create_team(act, name=team)).id
            agent = await create_agent(
                act,
                email=email,
                name=kw.pop("name", email.split("@")[0]),
                role=role,
                password=PASSWORD,
                team_id=team_id,
                **kw,
            )
            token = await create_token(act, agent_email=email)
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://balie.test",
            headers={"Authorization": f"Bearer {token}"},
        )
        clients.append(client)
        return Person(agent.id, email, role, team_id, client, token)

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
async def agent(make_agent: MakeAgent) -> Person:
    return await make_agent("agent")


@pytest.fixture
async def supervisor(make_agent: MakeAgent) -> Person:
    return await make_agent("supervisor")


async def snapshot(db: Database) -> dict[str, list[Any]]:
    """Every row of every table: compared before and after a refused request."""
    out: dict[str, list[Any]] = {}
    async with db.reading() as session:
        for table in Base.metadata.sorted_tables:
            rows = await session.execute(table.select().order_by(*table.primary_key.columns))
            out[table.name] = [tuple(r) for r in rows]
    return out


def new_conversation(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "customer": {"name": "Sanne de Vries", "email": "sanne@example.nl"},
        "subject": "Wasmachine lekt",
        "message": {"text": "Mijn wasmachine lekt sinds gisteren, wat nu?"},
    }
    body.update(over)
    return body
