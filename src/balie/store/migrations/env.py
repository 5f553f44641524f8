"""Alembic environment: runs migrations on the connection Balie hands it."""

from __future__ import annotations

from alembic import context

from balie.store.migrate import include_name
from balie.store.tables import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    include_name=include_name,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
