"""audit trail: TRUNCATE refused on PostgreSQL

Row triggers (0002) refuse UPDATE and DELETE, but TRUNCATE fires no row trigger: it emptied
the trail silently. A statement trigger refuses it. SQLite has no TRUNCATE.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 20:00:00
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

NO_TRUNCATE = "the audit log is append-only: it cannot be truncated"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE FUNCTION judicare_audit_no_truncate() RETURNS trigger AS $$ "
        f"BEGIN RAISE EXCEPTION '{NO_TRUNCATE}'; END; $$ LANGUAGE plpgsql"
    )
    op.execute(
        "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
        "FOR EACH STATEMENT EXECUTE FUNCTION judicare_audit_no_truncate()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events")
    op.execute("DROP FUNCTION IF EXISTS judicare_audit_no_truncate()")
