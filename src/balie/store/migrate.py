"""Bringing a database to the newest schema with Alembic."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

from balie.store.database import Database

MIGRATIONS = Path(__file__).parent / "migrations"
# Full-text objects made by hand in migrations (FTS5 tables and their shadow tables,
# PostgreSQL expression indexes); autogenerate must neither drop nor recreate them.
SEARCH_OBJECTS = ("message_fts", "customer_fts", "ix_messages_fulltext", "ix_customers_fulltext")


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    return not (name and name.startswith(SEARCH_OBJECTS))


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection, revision: str = "head") -> None:
    command.upgrade(alembic_config(connection), revision)


async def migrate(db: Database, revision: str = "head") -> None:
    # The writer's BEGIN IMMEDIATE hook would nest inside Alembic's own transaction on
    # SQLite; a plain connection from the reader engine is fine for DDL.
    engine = db.reader if db.is_sqlite else db.writer
    async with engine.connect() as connection:
        await connection.run_sync(_upgrade, revision)
        await connection.commit()


def run_upgrade(connection: Connection, **kwargs: Any) -> None:
    _upgrade(connection, **kwargs)
