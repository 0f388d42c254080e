"""Class sessions: a teacher asks the room a question, students answer from their phones, the
teacher closes the round, re-opens it after discussion and reveals the answer.

``service.SessionStore`` is the logic over the database (``db.Database``: SQLite by default,
PostgreSQL by URL; Alembic migrations in ``migrations/``); ``events.EventHub`` brings each
session's events to the streams a process holds; ``questions`` is what can be asked.
"""
