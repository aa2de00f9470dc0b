"""notice_messages

Each copy of an actionable notice (a report to review, content to approve, an urgent alert,
feedback) is recorded with the id the platform gave the message, so that when one admin acts,
the other admins' copies are edited (Telegram) instead of keeping live buttons.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notice_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("sent_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_messages")),
    )
    with op.batch_alter_table("notice_messages", schema=None) as batch_op:
        batch_op.create_index("ix_notice_messages_subject", ["kind", "subject_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notice_messages_sent_at"), ["sent_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notice_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notice_messages_sent_at"))
        batch_op.drop_index("ix_notice_messages_subject")
    op.drop_table("notice_messages")
