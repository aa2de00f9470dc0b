"""group_shares

Officers forward broadcasts into their Zalo groups themselves (most Zalo bots cannot join
groups yet); each confirmation "shared into N groups" is a `group_shares` row per (broadcast,
person, unit). A delivery remembers whether its copy offered that confirmation
(`deliveries.offers_share`), decided when the audience is expanded.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "group_shares",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("broadcast_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("groups", sa.Integer(), nullable=False),
        sa.Column("shared_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["broadcast_id"], ["broadcasts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("broadcast_id", "person_id", "unit_id"),
    )
    with op.batch_alter_table("group_shares", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_group_shares_broadcast_id"), ["broadcast_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_group_shares_person_id"), ["person_id"], unique=False)
        batch_op.create_index("ix_group_shares_unit_shared", ["unit_id", "shared_at"], unique=False)
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("offers_share", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("offers_share")
    with op.batch_alter_table("group_shares", schema=None) as batch_op:
        batch_op.drop_index("ix_group_shares_unit_shared")
        batch_op.drop_index(batch_op.f("ix_group_shares_person_id"))
        batch_op.drop_index(batch_op.f("ix_group_shares_broadcast_id"))
    op.drop_table("group_shares")
