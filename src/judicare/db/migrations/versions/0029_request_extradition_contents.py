"""requests: what an extradition or provisional-arrest request carries (ECE art. 12(2) and
16(2), EAW FD art. 8(1)) as one JSON value (issue 17, point 5)

Revision ID: 0029
Revises: 0030
Create Date: 2026-12-05 03:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("requests", recreate="never") as batch:
        batch.add_column(sa.Column("extradition", sa.JSON(), nullable=True))


def downgrade() -> None:
    # in place (SQLite 3.35+): copying `requests`, as a batch would, fails on the tables
    # whose foreign keys point to it
    with op.batch_alter_table("requests", recreate="never") as batch:
        batch.drop_column("extradition")
