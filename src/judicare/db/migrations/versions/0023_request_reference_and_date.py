"""requests: the requesting authority's own case reference and the date of the request
(issue 17, points 2 and 3)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04 23:59:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("requests", recreate="never") as batch:
        batch.add_column(
            sa.Column("requesting_reference", sa.String(120), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("request_date", sa.Date(), nullable=True))


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN in place (SQLite 3.35+): copying `requests` to drop a
    # column, as a batch would, fails on the tables whose foreign keys point to it.
    with op.batch_alter_table("requests", recreate="never") as batch:
        batch.drop_column("request_date")
        batch.drop_column("requesting_reference")
