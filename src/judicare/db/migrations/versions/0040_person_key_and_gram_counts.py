"""persons: each posting (blocking key, character trigram) carries its entry's scope (the
node's registers, each authority's entries), and each key's and trigram's number of entries
per scope, and each scope's number of entries, are kept with them, so that screening reads
the postings it may read from an index alone and the frequencies without counting (issues 17,
22: page speed); filled from what is already stored

Revision ID: 0040
Revises: 0032
Create Date: 2026-12-06 01:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0040"
down_revision = "0042"
branch_labels = None
depends_on = None

# judicare.persons.registers `scope_of` as it is at this revision: the owning authority,
# else "-" for an entry of the authority-owned register `requests` with no owner, else ""
# (a register of the node).
_SCOPE = (
    "CASE WHEN e.authority_id IS NOT NULL THEN e.authority_id"
    " WHEN e.register IN ('requests') THEN '-' ELSE '' END"
)
_POSTINGS = (
    ("person_keys", "key", 120, "ix_person_keys_key", ("key",)),
    ("person_grams", "gram", 16, "ix_person_grams_gram", ("gram", "entry_id")),
)


def upgrade() -> None:
    bind = op.get_bind()
    for postings, column, length, old_index, _ in _POSTINGS:
        op.add_column(
            postings, sa.Column("scope", sa.String(length=64), nullable=False, server_default="")
        )
        op.execute(
            f"UPDATE {postings} SET scope = (SELECT {_SCOPE} FROM person_entries e"
            f" WHERE e.id = {postings}.entry_id)"
            if bind.dialect.name != "postgresql"
            else f"UPDATE {postings} p SET scope = {_SCOPE} FROM person_entries e"
            f" WHERE e.id = p.entry_id AND {_SCOPE} <> ''"
        )
        if bind.dialect.name == "postgresql":  # (SQLite cannot drop a column's default)
            op.alter_column(postings, "scope", server_default=None)
        op.drop_index(old_index, table_name=postings)
        op.create_index(
            f"ix_{postings}_{column}_scope", postings, [column, "scope", "entry_id"], unique=False
        )
        table = f"{postings[:-1]}_counts"
        op.create_table(
            table,
            sa.Column(column, sa.String(length=length), nullable=False),
            sa.Column("scope", sa.String(length=64), nullable=False),
            sa.Column("entries", sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint(column, "scope", name=op.f(f"pk_{table}")),
        )
        op.execute(
            f"INSERT INTO {table} ({column}, scope, entries)"
            f" SELECT {column}, scope, count(*) FROM {postings} GROUP BY {column}, scope"
        )
    op.create_table(
        "person_scope_counts",
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_person_scope_counts")),
    )
    op.execute(
        "INSERT INTO person_scope_counts (scope, entries)"
        f" SELECT {_SCOPE}, count(*) FROM person_entries e GROUP BY {_SCOPE}"
    )


def downgrade() -> None:
    op.drop_table("person_scope_counts")
    for postings, column, _, old_index, old_columns in _POSTINGS:
        op.drop_table(f"{postings[:-1]}_counts")
        op.drop_index(f"ix_{postings}_{column}_scope", table_name=postings)
        op.create_index(old_index, postings, list(old_columns), unique=False)
        with op.batch_alter_table(postings, schema=None) as batch_op:
            batch_op.drop_column("scope")
