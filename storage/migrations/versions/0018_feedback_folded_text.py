"""feedback_folded_text

Feedback text folded (lower case, without diacritics) beside the text itself, so that the web
console's search finds "Phòng học" when staff type "phong hoc". Existing rows are filled here.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-08 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.folding import fold

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

BATCH = 1000


def upgrade() -> None:
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.add_column(sa.Column("folded_text", sa.Text(), nullable=True))
    feedback = sa.table("feedback", sa.column("id", sa.Integer), sa.column("text", sa.Text),
                        sa.column("folded_text", sa.Text))
    connection = op.get_bind()
    last = 0
    while True:
        rows = connection.execute(
            sa.select(feedback.c.id, feedback.c.text).where(feedback.c.id > last).order_by(feedback.c.id).limit(BATCH)
        ).all()
        if not rows:
            break
        connection.execute(
            feedback.update().where(feedback.c.id == sa.bindparam("row_id")).values(folded_text=sa.bindparam("folded")),
            [{"row_id": row_id, "folded": fold(text or "")} for row_id, text in rows],
        )
        last = rows[-1][0]


def downgrade() -> None:
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_column("folded_text")
