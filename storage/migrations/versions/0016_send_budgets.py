"""send_budgets

One row per bot token: the next free start time of the token's sending timeline, shared by
every `python -m bot run` process on one PostgreSQL database (issue #15). SQLite has the table
too (one schema), but one process there keeps its budget in memory.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "send_budgets",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("next_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_send_budgets")),
    )


def downgrade() -> None:
    op.drop_table("send_budgets")
