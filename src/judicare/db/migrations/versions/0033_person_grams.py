"""persons: the character trigrams of each person's names, for the safeguard's n-gram
retrieval on the database (issue 16), filled for the entries already stored

Revision ID: 0033
Revises: 0029
Create Date: 2026-12-05 21:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0037"
branch_labels = None
depends_on = None

CHUNK = 5_000


def upgrade() -> None:
    op.create_table(
        "person_grams",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("gram", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["person_entries.id"],
            name=op.f("fk_person_grams_entry_id_person_entries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_grams")),
    )
    with op.batch_alter_table("person_grams", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_grams_entry_id"), ["entry_id"], unique=False)
        batch_op.create_index("ix_person_grams_gram", ["gram", "entry_id"], unique=False)
    _backfill()


def _backfill() -> None:
    """The grams of the entries stored before this revision, read by the engine as it is
    now (the pure fallback module: ICU and rapidfuzz, no database); `judicare persons
    rekey` recomputes them after a later change of the engine."""
    from judicare.persons.fallback import record_grams

    bind = op.get_bind()
    entries = sa.table("person_entries", sa.column("id", sa.Integer), sa.column("names", sa.JSON))
    grams = sa.table(
        "person_grams", sa.column("entry_id", sa.Integer), sa.column("gram", sa.String)
    )
    rows: list[dict] = []
    for entry_id, names in bind.execute(sa.select(entries.c.id, entries.c.names)).all():
        rows.extend({"entry_id": entry_id, "gram": g} for g in record_grams(tuple(names or ())))
        if len(rows) >= CHUNK:
            bind.execute(sa.insert(grams), rows)
            rows = []
    if rows:
        bind.execute(sa.insert(grams), rows)


def downgrade() -> None:
    with op.batch_alter_table("person_grams", schema=None) as batch_op:
        batch_op.drop_index("ix_person_grams_gram")
        batch_op.drop_index(batch_op.f("ix_person_grams_entry_id"))
    op.drop_table("person_grams")
