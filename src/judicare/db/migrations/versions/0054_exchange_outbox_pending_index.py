"""the outbox's due indexes hold the pending messages only

`ix_exchange_outbox_due` on (status, next_attempt_at) held every message, delivered or not,
and each claim and settlement added an entry for the row's new version. The delivery
worker's claim (`exchange.delivery._due_query`) read it with bitmap scans, which visit the
table for every entry in the pending range, also those of versions superseded since: on
PostgreSQL, until a vacuum removes them, each claim read more of them the longer the outbox
ran, and joined every pending message to find those waiting behind an earlier one. It is
replaced by partial indexes, each a small part of the rows:

- `ix_exchange_outbox_pending` on (next_attempt_at, id) where status = 'pending': the due
  messages in the order the claim takes them;
- `ix_exchange_outbox_pending_conversation` on (conversation_id, id) where status =
  'pending': the first pending message of a conversation, looked up for each due one;
- `ix_exchange_outbox_dead` on (id) where status = 'dead': the dead letters, listed by
  `judicare node outbox --status dead`.

Downgrade drops them and builds `ix_exchange_outbox_due` again.

Revision ID: 0054
Revises: 0053
Create Date: 2026-12-06 17:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0054"
down_revision = "0053"
branch_labels = None
depends_on = None

_PARTIAL = {
    "ix_exchange_outbox_pending": (["next_attempt_at", "id"], "status = 'pending'"),
    "ix_exchange_outbox_pending_conversation": (["conversation_id", "id"], "status = 'pending'"),
    "ix_exchange_outbox_dead": (["id"], "status = 'dead'"),
}


def upgrade() -> None:
    op.drop_index("ix_exchange_outbox_due", table_name="exchange_outbox")
    for name, (columns, where) in _PARTIAL.items():
        op.create_index(
            name,
            "exchange_outbox",
            columns,
            postgresql_where=sa.text(where),
            sqlite_where=sa.text(where),
        )


def downgrade() -> None:
    for name in _PARTIAL:
        op.drop_index(name, table_name="exchange_outbox")
    op.create_index("ix_exchange_outbox_due", "exchange_outbox", ["status", "next_attempt_at"])
