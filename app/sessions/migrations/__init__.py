"""Alembic migrations of the sessions database (run by app.sessions.db.upgrade)."""
