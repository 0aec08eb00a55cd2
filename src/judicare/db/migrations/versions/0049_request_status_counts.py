"""each authority's number of requests in each status, stored and kept on every write
(issue 22: the dashboard's counts read a few rows instead of counting every request)

`request_status_counts (authority_id, status, requests)`, filled here from the requests
already registered and kept from then on by `judicare.requests.models` (each insert,
status change or deletion of a request flushed, written when its transaction commits).

Revision ID: 0049
Revises: 0046
Create Date: 2026-12-06 05:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0049"
down_revision = "0046"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "request_status_counts",
        sa.Column("authority_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("authority_id", "status", name=op.f("pk_request_status_counts")),
    )
    op.execute(
        "INSERT INTO request_status_counts (authority_id, status, requests)"
        " SELECT authority_id, status, count(*) FROM requests GROUP BY authority_id, status"
    )


def downgrade() -> None:
    op.drop_table("request_status_counts")
