"""Class sessions: sessions, participants, questions, answers, progress, events.

Revision ID: 0001
Revises:
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_TZ = sa.DateTime()  # naive UTC (app.sessions.models.UTCDateTime)


def _session_id() -> sa.Column:
    return sa.Column(
        "session_id", sa.Integer, sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(16), nullable=False, unique=True),
        sa.Column("teacher_token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("expires_at", _TZ, nullable=False, index=True),
        sa.Column("current_question_id", sa.Integer, nullable=True),
        sa.Column("event_seq", sa.Integer, nullable=False),
    )
    op.create_table(
        "participants",
        sa.Column("id", sa.Integer, primary_key=True),
        _session_id(),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("nickname", sa.String(200), nullable=True),
        sa.Column("joined_at", _TZ, nullable=False),
    )
    op.create_index("ix_participants_session_id", "participants", ["session_id"])
    op.create_table(
        "questions",
        sa.Column("id", sa.Integer, primary_key=True),
        _session_id(),
        sa.Column("exercise", sa.String(64), nullable=False),
        sa.Column("seed", sa.BigInteger, nullable=False),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("asked_at", _TZ, nullable=False),
    )
    op.create_index("ix_questions_session_id", "questions", ["session_id"])
    op.create_table(
        "answers",
        sa.Column("id", sa.Integer, primary_key=True),
        _session_id(),
        sa.Column(
            "question_id",
            sa.Integer,
            sa.ForeignKey("questions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "participant_id",
            sa.Integer,
            sa.ForeignKey("participants.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("canonical", sa.Text, nullable=False),
        sa.Column("correct", sa.Boolean, nullable=False),
        sa.Column("answered_at", _TZ, nullable=False),
        sa.UniqueConstraint("question_id", "round", "participant_id"),
    )
    op.create_index("ix_answers_session_id", "answers", ["session_id"])
    op.create_index("ix_answers_question_id", "answers", ["question_id"])
    op.create_table(
        "progress",
        sa.Column(
            "participant_id",
            sa.Integer,
            sa.ForeignKey("participants.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("exercise", sa.String(64), primary_key=True),
        _session_id(),
        sa.Column("seed", sa.BigInteger, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("updated_at", _TZ, nullable=False),
    )
    op.create_index("ix_progress_session_id", "progress", ["session_id"])
    op.create_table(
        "session_events",
        sa.Column("id", sa.Integer, primary_key=True),
        _session_id(),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.UniqueConstraint("session_id", "seq"),
    )


def downgrade() -> None:
    for table in ("session_events", "progress", "answers", "questions", "participants"):
        op.drop_table(table)
    op.drop_table("sessions")
