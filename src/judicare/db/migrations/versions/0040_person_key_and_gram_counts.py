"""persons: each blocking key's and character trigram's number of entries per scope (the
node's registers, each authority's entries), kept with the postings, so that screening reads
the frequencies instead of counting postings (issues 17, 22: page speed), filled from the
postings already stored

Revision ID: 0040
Revises: 0032
Create Date: 2026-12-06 01:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0040"
down_revision = "0032"
branch_labels = None
depends_on = None

# judicare.persons.registers `scope_of` as it is at this revision: the owning authority,
# else "-" for an entry of the authority-owned register `requests` with no owner, else ""
# (a register of the node).
_SCOPE = (
    "CASE WHEN e.authority_id IS NOT NULL THEN e.authority_id"
    " WHEN e.register IN ('requests') THEN '-' ELSE '' END"
)


def upgrade() -> None:
    for table, column, length in (("person_key_counts", "key", 120),
                                  ("person_gram_counts", "gram", 16)):  # fmt: skip
        op.create_table(
            table,
            sa.Column(column, sa.String(length=length), nullable=False),
            sa.Column("scope", sa.String(length=64), nullable=False),
            sa.Column("entries", sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint(column, "scope", name=op.f(f"pk_{table}")),
        )
        postings = "person_keys" if column == "key" else "person_grams"
        op.execute(
            f"INSERT INTO {table} ({column}, scope, entries)"
            f" SELECT p.{column}, {_SCOPE}, count(*) FROM {postings} p"
            " JOIN person_entries e ON e.id = p.entry_id"
            f" GROUP BY p.{column}, {_SCOPE}"
        )


def downgrade() -> None:
    op.drop_table("person_gram_counts")
    op.drop_table("person_key_counts")
