"""indexes for the pages at 100,000 requests (issues 17 "Speed" and 22 "page p95")

- `audit_events (subject_type, subject_id, seq)`: a request's timeline and the dashboard's
  recent activity read the entries of one subject, not the whole trail;
- `requests (received_on, id)` and `requests (status, received_on, id)`: the list's default
  order and the dashboard's "waiting for me" stop after a page instead of sorting everything;
- `documents (sha256)`: the same evidence in another request (competing requests);
- on PostgreSQL, where the `pg_trgm` extension can be created: a trigram index on
  `person_names.name_folded`, for the search by a part of a name (`LIKE '%…%'`).

Revision ID: 0032
Revises: 0029
Create Date: 2026-12-05 22:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0033"
branch_labels = None
depends_on = None

TRIGRAM = "ix_person_names_name_folded_trgm"


def upgrade() -> None:
    op.create_index(
        "ix_audit_events_subject", "audit_events", ["subject_type", "subject_id", "seq"]
    )
    op.create_index("ix_requests_received", "requests", ["received_on", "id"])
    op.create_index("ix_requests_status_received", "requests", ["status", "received_on", "id"])
    op.create_index("ix_documents_sha256", "documents", ["sha256"])
    bind = op.get_bind()
    if bind.dialect.name == "postgresql" and _can_create_trigram(bind):
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            f"CREATE INDEX IF NOT EXISTS {TRIGRAM} ON person_names "
            "USING gin (name_folded gin_trgm_ops)"
        )


def _can_create_trigram(bind) -> bool:
    """The extension is installed already, or available and ours to create (a superuser,
    or a trusted extension on PostgreSQL 13+ for a role that may create in the database)."""
    if bind.scalar(sa.text("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'")):
        return True
    available = bind.scalar(
        sa.text("SELECT count(*) FROM pg_available_extensions WHERE name = 'pg_trgm'")
    )
    if not available:
        return False
    return bool(
        bind.scalar(
            sa.text(
                "SELECT rolsuper OR has_database_privilege(current_database(), 'CREATE') "
                "FROM pg_roles WHERE rolname = current_user"
            )
        )
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {TRIGRAM}")
    op.drop_index("ix_documents_sha256", table_name="documents")
    op.drop_index("ix_requests_status_received", table_name="requests")
    op.drop_index("ix_requests_received", table_name="requests")
    op.drop_index("ix_audit_events_subject", table_name="audit_events")
