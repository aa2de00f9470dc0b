"""facebook_pages

Facebook Pages as one more broadcast platform: a Page link is a `linked_chats` row (platform
"facebook", kind "page"); its access token lives encrypted in `page_tokens`; `page_posts` is
the journal that keeps a crash from posting twice. A Page post id ("<page id>_<post id>") is
longer than a chat's message id, so `deliveries.message_id` grows to 64 characters.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "page_tokens",
        sa.Column("linked_chat_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("linked_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("broken_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("broken_reason", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["linked_chat_id"], ["linked_chats.id"],
            name=op.f("fk_page_tokens_linked_chat_id_linked_chats"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["linked_by"], ["people.id"], name=op.f("fk_page_tokens_linked_by_people"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("linked_chat_id", name=op.f("pk_page_tokens")),
    )
    op.create_table(
        "page_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("page_id", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("started_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("post_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_page_posts")),
        sa.UniqueConstraint("page_id", "key", name=op.f("uq_page_posts_page_id_key")),
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.alter_column(
            "message_id", existing_type=sa.String(length=32), type_=sa.String(length=64), existing_nullable=True
        )


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.alter_column(
            "message_id", existing_type=sa.String(length=64), type_=sa.String(length=32), existing_nullable=True
        )
    op.drop_table("page_posts")
    op.drop_table("page_tokens")
