"""the protected entries' postings, kept apart by the database (`person_protected_keys`)

A screening and a search by name rank the protected entries (a status such as refugee)
that share any blocking key of the query, common keys included, so that a protected person
is never crowded out (`persons.service._protected_query`). That statement joined every
posting of the query's keys to the protected entries: at 1,000,000 requests (some
2,500,000 entries, 57,000 of them protected) 11 to 82 ms a query, most of a search's time,
and growing with the register.

This table holds the postings (`person_keys`) of the entries with a status, and only
those: the same rows (by the posting's id), so that counting a protected entry's postings
of the query's keys gives what the join gave. The database keeps it, whatever writes the
postings or the statuses (the services, a bulk load by COPY, a re-key, a later migration):

- PostgreSQL: statement triggers with transition tables on `person_keys` (insert, update,
  delete) and on `person_entries` (an update that gives an entry a status or takes it
  away);
- SQLite: row triggers doing the same.

Upgrade fills it from the existing postings. Downgrade drops the triggers and the table
(the join is then the only way again, as before).

Revision ID: 0053
Revises: 0052
Create Date: 2026-12-06 17:35:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0053"
down_revision = "0052"
branch_labels = None
depends_on = None

# The postings a statement added (those of an entry with a status), and removed.
_ADDED = """
        INSERT INTO person_protected_keys (posting_id, key, scope, entry_id)
        SELECT a.id, a.key, a.scope, a.entry_id FROM person_keys_added a
        WHERE EXISTS (SELECT 1 FROM person_entries e
                      WHERE e.id = a.entry_id AND e.status IS NOT NULL);"""
_REMOVED = """
        DELETE FROM person_protected_keys p USING person_keys_removed r
        WHERE p.posting_id = r.id;"""


def _function(name: str, body: str) -> str:
    return (
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        f"    BEGIN{body}\n        RETURN NULL;\n    END $$"
    )


_POSTGRESQL = (
    _function("person_keys_protected_added", _ADDED),
    _function("person_keys_protected_removed", _REMOVED),
    _function("person_keys_protected_changed", _REMOVED + _ADDED),
    """
    CREATE FUNCTION person_entries_protected_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM person_protected_keys p USING person_entries_after a
        WHERE p.entry_id = a.id AND a.status IS NULL;
        INSERT INTO person_protected_keys (posting_id, key, scope, entry_id)
        SELECT k.id, k.key, k.scope, k.entry_id
        FROM person_entries_after a
        JOIN person_entries_before b ON b.id = a.id
        JOIN person_keys k ON k.entry_id = a.id
        WHERE a.status IS NOT NULL AND b.status IS NULL;
        RETURN NULL;
    END $$
    """,
    "CREATE TRIGGER person_keys_protected_added AFTER INSERT ON person_keys"
    " REFERENCING NEW TABLE AS person_keys_added"
    " FOR EACH STATEMENT EXECUTE FUNCTION person_keys_protected_added()",
    "CREATE TRIGGER person_keys_protected_removed AFTER DELETE ON person_keys"
    " REFERENCING OLD TABLE AS person_keys_removed"
    " FOR EACH STATEMENT EXECUTE FUNCTION person_keys_protected_removed()",
    "CREATE TRIGGER person_keys_protected_changed AFTER UPDATE ON person_keys"
    " REFERENCING OLD TABLE AS person_keys_removed NEW TABLE AS person_keys_added"
    " FOR EACH STATEMENT EXECUTE FUNCTION person_keys_protected_changed()",
    "CREATE TRIGGER person_entries_protected_changed AFTER UPDATE ON person_entries"
    " REFERENCING OLD TABLE AS person_entries_before NEW TABLE AS person_entries_after"
    " FOR EACH STATEMENT EXECUTE FUNCTION person_entries_protected_changed()",
)

_SQLITE = (
    """
    CREATE TRIGGER person_keys_protected_added AFTER INSERT ON person_keys
    WHEN (SELECT status FROM person_entries WHERE id = NEW.entry_id) IS NOT NULL
    BEGIN
        INSERT INTO person_protected_keys (posting_id, key, scope, entry_id)
        VALUES (NEW.id, NEW.key, NEW.scope, NEW.entry_id);
    END
    """,
    """
    CREATE TRIGGER person_keys_protected_removed AFTER DELETE ON person_keys
    BEGIN
        DELETE FROM person_protected_keys WHERE posting_id = OLD.id;
    END
    """,
    """
    CREATE TRIGGER person_keys_protected_changed AFTER UPDATE ON person_keys
    BEGIN
        DELETE FROM person_protected_keys WHERE posting_id = OLD.id;
        INSERT INTO person_protected_keys (posting_id, key, scope, entry_id)
        SELECT NEW.id, NEW.key, NEW.scope, NEW.entry_id
        WHERE (SELECT status FROM person_entries WHERE id = NEW.entry_id) IS NOT NULL;
    END
    """,
    """
    CREATE TRIGGER person_entries_protected_changed AFTER UPDATE OF status ON person_entries
    WHEN (OLD.status IS NULL) <> (NEW.status IS NULL)
    BEGIN
        DELETE FROM person_protected_keys WHERE entry_id = NEW.id;
        INSERT INTO person_protected_keys (posting_id, key, scope, entry_id)
        SELECT k.id, k.key, k.scope, k.entry_id FROM person_keys k
        WHERE k.entry_id = NEW.id AND NEW.status IS NOT NULL;
    END
    """,
)

_TRIGGERS = (
    ("person_keys_protected_added", "person_keys"),
    ("person_keys_protected_removed", "person_keys"),
    ("person_keys_protected_changed", "person_keys"),
    ("person_entries_protected_changed", "person_entries"),
)


def upgrade() -> None:
    op.create_table(
        "person_protected_keys",
        sa.Column("posting_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("posting_id", name="pk_person_protected_keys"),
    )
    op.execute(
        "INSERT INTO person_protected_keys (posting_id, key, scope, entry_id)"
        " SELECT k.id, k.key, k.scope, k.entry_id FROM person_keys k"
        " JOIN person_entries e ON e.id = k.entry_id WHERE e.status IS NOT NULL"
    )
    op.create_index(
        "ix_person_protected_keys_key_scope",
        "person_protected_keys",
        ["key", "scope", "entry_id"],
    )
    op.create_index("ix_person_protected_keys_entry_id", "person_protected_keys", ["entry_id"])
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in _POSTGRESQL if postgresql else _SQLITE:
        op.execute(statement)


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for trigger, table in _TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}" + (f" ON {table}" if postgresql else ""))
    if postgresql:
        for trigger, _ in _TRIGGERS:
            op.execute(f"DROP FUNCTION IF EXISTS {trigger}()")
    op.drop_index("ix_person_protected_keys_entry_id", table_name="person_protected_keys")
    op.drop_index("ix_person_protected_keys_key_scope", table_name="person_protected_keys")
    op.drop_table("person_protected_keys")
