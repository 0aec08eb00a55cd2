"""the earliest deadline of each request, stored and indexed (issues 17 and 22: the list
sorted by deadline)

`requests.next_due` is the minimum of the request's `request_deadlines.due` (NULL: none),
filled here from the deadlines already registered and kept from then on at every write of
a deadline (registration; `judicare.requests.models._keep_next_due` after any ORM flush).
`ix_requests_next_due (next_due, id)` serves the ascending sort with its LIMIT; on
PostgreSQL `ix_requests_next_due_desc (next_due DESC NULLS LAST, id DESC)` the descending
one (SQLite cannot index NULLS LAST; it sorts, as before).

Revision ID: 0041
Revises: 0032
Create Date: 2026-12-06 01:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0041"
down_revision = "0043"
branch_labels = None
depends_on = None

DESCENDING = "ix_requests_next_due_desc"


def upgrade() -> None:
    with op.batch_alter_table("requests", recreate="never") as batch:
        batch.add_column(sa.Column("next_due", sa.Date(), nullable=True))
    op.execute(
        "UPDATE requests SET next_due = (SELECT min(d.due) FROM request_deadlines d "
        "WHERE d.request_id = requests.id)"
    )
    op.create_index("ix_requests_next_due", "requests", ["next_due", "id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE INDEX {DESCENDING} ON requests (next_due DESC NULLS LAST, id DESC)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {DESCENDING}")
    op.drop_index("ix_requests_next_due", table_name="requests")
    with op.batch_alter_table("requests", recreate="never") as batch:
        batch.drop_column("next_due")
