"""Alembic environment: the connection comes from app.sessions.db.upgrade (config attribute
``connection``); run from the command line, the URL is the app's settings'."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from app.sessions.models import Base

target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
        return
    from app.config import get_settings

    engine = create_engine(get_settings().sessions_database_url())
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
