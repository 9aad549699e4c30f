"""Alembic environment: the engine comes from warroom.store.db, never from an ini file."""

from alembic import context
from sqlalchemy import Engine

from warroom.store.tables import Base

engine = context.config.attributes["engine"]
assert isinstance(engine, Engine)

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
