"""exchange inbox: count the copies of a message received again, so that only the 1st, 2nd,
4th, 8th... are audited (a replay flood cannot bury the trail in a peer's name)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 22:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("exchange_inbox") as batch:
        batch.add_column(sa.Column("duplicates", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("exchange_inbox") as batch:
        batch.drop_column("duplicates")
