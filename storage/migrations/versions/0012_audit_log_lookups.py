"""audit_log_lookups

The console's Nhật ký shows a unit admin the entries of their subtree: those by its people
(`actor_id`) or about its units, reports, issues, feedback and people (`target`). Indexes on
both let the database find a commune's few entries among the whole country's without reading
the log from the newest entry down.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 10:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_target"), ["target"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_target"))
        batch_op.drop_index(batch_op.f("ix_audit_log_actor_id"))
