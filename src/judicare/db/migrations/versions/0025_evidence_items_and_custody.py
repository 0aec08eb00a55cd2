"""evidence: items (sealed originals and working copies) and their chain of custody
(issue 18, second half)

Revision ID: 0025
Revises: 0027
Create Date: 2026-12-05 04:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "evidence_items",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uid", sa.String(36), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("derived_from_id", sa.Integer(), nullable=True),
        sa.Column("derived_from_uid", sa.String(36), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("media_type", sa.String(120), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("sha512", sa.String(128), nullable=False),
        sa.Column("storage_key", sa.String(200), nullable=False),
        sa.Column("added_by", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"], ["requests.id"], name=op.f("fk_evidence_items_request_id_requests")
        ),
        sa.ForeignKeyConstraint(
            ["derived_from_id"],
            ["evidence_items.id"],
            name=op.f("fk_evidence_items_derived_from_id_evidence_items"),
        ),
        sa.ForeignKeyConstraint(
            ["added_by"], ["users.id"], name=op.f("fk_evidence_items_added_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_items")),
        sa.UniqueConstraint("request_id", "uid", name=op.f("uq_evidence_item_uid")),
    )
    op.create_index("ix_evidence_items_request_id", "evidence_items", ["request_id"])
    op.create_table(
        "evidence_custody_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("why", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["evidence_items.id"],
            name=op.f("fk_evidence_custody_events_item_id_evidence_items"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_custody_events")),
        sa.UniqueConstraint("item_id", "seq", name=op.f("uq_custody_event_seq")),
    )
    op.create_index("ix_evidence_custody_events_item_id", "evidence_custody_events", ["item_id"])


def downgrade() -> None:
    op.drop_index("ix_evidence_custody_events_item_id", "evidence_custody_events")
    op.drop_table("evidence_custody_events")
    op.drop_index("ix_evidence_items_request_id", "evidence_items")
    op.drop_table("evidence_items")
