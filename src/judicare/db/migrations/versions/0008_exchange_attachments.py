"""exchange attachments: the outbox keeps the encrypted attachments it uploads first

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 13:15:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("exchange_outbox") as batch:
        batch.add_column(
            sa.Column("attachments", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )


def downgrade() -> None:
    with op.batch_alter_table("exchange_outbox") as batch:
        batch.drop_column("attachments")
