"""no_profile_names_code_tries

Citizens are told that no name of theirs is kept, yet every identity held the platform's
profile name (Telegram's first and last name, Zalo's display name), which nobody typed for
us and nothing read. The column goes, with what it held; the name of anyone who holds no role
but citizen is cleared too (such a person was never asked for one). Names typed by officers,
members and admins when they registered with an invite stay.

`code_tries` counts wrong invite and link codes per platform account, so guessing is throttled
across restarts.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_people = sa.table("people", sa.column("id", sa.Integer), sa.column("full_name", sa.String))
_roles = sa.table("role_assignments", sa.column("person_id", sa.Integer), sa.column("role", sa.String))


def upgrade() -> None:
    with op.batch_alter_table("identities", schema=None) as batch_op:
        batch_op.drop_column("display_name")

    holds_a_named_role = sa.exists().where(_roles.c.person_id == _people.c.id, _roles.c.role != "citizen")
    op.execute(_people.update().where(~holds_a_named_role).values(full_name=None))

    op.create_table(
        "code_tries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_code_tries")),
    )
    with op.batch_alter_table("code_tries", schema=None) as batch_op:
        batch_op.create_index("ix_code_tries_account", ["platform", "external_id", "at"], unique=False)
        batch_op.create_index(batch_op.f("ix_code_tries_at"), ["at"], unique=False)


def downgrade() -> None:
    """The schema goes back; the names cleared by the upgrade cannot (they were never ours)."""
    op.drop_table("code_tries")
    with op.batch_alter_table("identities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("display_name", sa.String(length=120), nullable=True))
