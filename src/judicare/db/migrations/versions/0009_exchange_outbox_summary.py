"""exchange outbox summary: what this node said in a message, readable by its own officers
(the envelope itself is sealed for the recipient)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 07:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("exchange_outbox") as batch:
        batch.add_column(
            sa.Column("summary", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )


def downgrade() -> None:
    with op.batch_alter_table("exchange_outbox") as batch:
        batch.drop_column("summary")
