"""the `requests` index: an entry's status is its person's protected status, not the role

Until now `requests.registration._index_persons` stored a request person's role (witness,
suspect...) as the status of its entry in the `requests` register, and the person engine
treats any entry with a status as a protected person (screened at the safeguard point, kept
beyond the shortlist, never crowded out). Each entry of that register now takes its status
from its request person's `protected_status` (None when the request gives none). The entry's
external id is "REFERENCE#PERSON_ID"; an entry whose person is not found (none is deleted
today) has no status: a role is never a protected status.

The few entries with a status are indexed apart (`ix_person_entries_protected`, a partial
index): a screening ranks those sharing the query's keys in one statement.

Downgrade writes the role back as the status, as the code before did (the protected status
is still the request person's, so nothing is lost either way), and drops the index.

Revision ID: 0050
Revises: 0049
Create Date: 2026-12-06 07:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0050"
down_revision = "0049"
branch_labels = None
depends_on = None


def _person_of_entry(column: str) -> str:
    """SQL: the request person whose id and request's reference make up the entry's
    external id ("REFERENCE#PERSON_ID"), as a subquery reading `column` of that person."""
    return (
        f"(SELECT rp.{column} FROM request_persons rp JOIN requests r ON r.id = rp.request_id"
        " WHERE rp.id = {person_id}"
        " AND person_entries.external_id = r.reference || '#' || CAST(rp.id AS VARCHAR))"
    )


def _person_id() -> str:
    """SQL: the person id after the entry's '#', as an integer (on PostgreSQL only where it
    is digits, so that no cast fails; SQLite casts anything else to a number no id has)."""
    if op.get_bind().dialect.name == "postgresql":
        return (
            "CASE WHEN person_entries.external_id ~ '#[0-9]{1,9}$' THEN"
            " CAST(substring(person_entries.external_id FROM '#([0-9]{1,9})$') AS INTEGER) END"
        )
    return (
        "CAST(substr(person_entries.external_id,"
        " instr(person_entries.external_id, '#') + 1) AS INTEGER)"
    )


def upgrade() -> None:
    subquery = _person_of_entry("protected_status").format(person_id=_person_id())
    op.execute(f"UPDATE person_entries SET status = {subquery} WHERE register = 'requests'")
    op.create_index(
        "ix_person_entries_protected",
        "person_entries",
        ["id"],
        postgresql_where=sa.text("status IS NOT NULL"),
        sqlite_where=sa.text("status IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_person_entries_protected", table_name="person_entries")
    subquery = _person_of_entry("role").format(person_id=_person_id())
    op.execute(
        f"UPDATE person_entries SET status = coalesce({subquery}, status)"
        " WHERE register = 'requests'"
    )
