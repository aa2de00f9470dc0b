"""report_previous_answers

A report sent up again keeps the answers of the submission before it (`previous_answers`), so a
reviewer on the web console sees what changed since the last submission, not only in the chat
notice. Only the one earlier snapshot is kept: each new submission moves the last one here.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("previous_answers", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_column("previous_answers")
