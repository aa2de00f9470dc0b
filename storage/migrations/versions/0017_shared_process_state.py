"""shared_process_state

Several `python -m bot run` processes on one PostgreSQL: what one process kept on its own disk
or in its own memory moves into the database. `job_runs` lets one process run each scheduler
job per time slot; `zalo_inbox` holds Zalo events accepted but not yet handled (any process
may take them over); `served_files` the images and files Zalo fetches from /media/, whichever
process it asks; `zalo_offers` the options last shown in a Zalo chat; `feedback_sends` the
per-person hourly feedback limit (hashed senders, pruned after the hour).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_runs",
        sa.Column("job", sa.String(length=64), nullable=False),
        sa.Column("slot", sa.BigInteger(), nullable=False),
        sa.Column("ran_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("job", "slot", name=op.f("pk_job_runs")),
    )
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_job_runs_ran_at"), ["ran_at"], unique=False)

    op.create_table(
        "zalo_inbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("event", sa.Text(), nullable=False),
        sa.Column("accepted_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=32), nullable=True),
        sa.Column("claimed_until", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zalo_inbox")),
    )
    with op.batch_alter_table("zalo_inbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_zalo_inbox_claimed_until"), ["claimed_until"], unique=False)

    op.create_table(
        "served_files",
        sa.Column("name", sa.String(length=48), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("expires_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_served_files")),
    )
    with op.batch_alter_table("served_files", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_served_files_digest"), ["digest"], unique=False)
        batch_op.create_index(batch_op.f("ix_served_files_expires_at"), ["expires_at"], unique=False)

    op.create_table(
        "zalo_offers",
        sa.Column("chat_key", sa.String(length=32), nullable=False),
        sa.Column("offer", sa.JSON(), nullable=False),
        sa.Column("offered_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("chat_key", name=op.f("pk_zalo_offers")),
    )
    with op.batch_alter_table("zalo_offers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_zalo_offers_offered_at"), ["offered_at"], unique=False)

    op.create_table(
        "feedback_sends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender", sa.String(length=64), nullable=False),
        sa.Column("at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_sends")),
    )
    with op.batch_alter_table("feedback_sends", schema=None) as batch_op:
        batch_op.create_index("ix_feedback_sends_sender", ["sender", "at"], unique=False)
        batch_op.create_index(batch_op.f("ix_feedback_sends_at"), ["at"], unique=False)


def downgrade() -> None:
    for name, indexes in (
        ("feedback_sends", ("ix_feedback_sends_at", "ix_feedback_sends_sender")),
        ("zalo_offers", ("ix_zalo_offers_offered_at",)),
        ("served_files", ("ix_served_files_expires_at", "ix_served_files_digest")),
        ("zalo_inbox", ("ix_zalo_inbox_claimed_until",)),
        ("job_runs", ("ix_job_runs_ran_at",)),
    ):
        with op.batch_alter_table(name, schema=None) as batch_op:
            for index in indexes:
                batch_op.drop_index(index)
        op.drop_table(name)
