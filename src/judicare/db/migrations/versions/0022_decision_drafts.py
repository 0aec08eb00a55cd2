"""decision drafts: an officer prepares a decision, a reviewer proposes it or sends it back

Revision ID: 0022
Revises: 0016
Create Date: 2026-12-04 23:55:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "decision_drafts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("citations", sa.JSON(), nullable=False),
        sa.Column("conditions", sa.Text(), nullable=False),
        sa.Column("consulted", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("drafted_by", sa.Integer(), nullable=False),
        sa.Column("drafted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewed_by", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_note", sa.Text(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["decision_id"], ["decisions.id"], name=op.f("fk_decision_drafts_decision_id_decisions")
        ),
        sa.ForeignKeyConstraint(
            ["drafted_by"], ["users.id"], name=op.f("fk_decision_drafts_drafted_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"], ["requests.id"], name=op.f("fk_decision_drafts_request_id_requests")
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by"], ["users.id"], name=op.f("fk_decision_drafts_reviewed_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision_drafts")),
    )
    with op.batch_alter_table("decision_drafts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_decision_drafts_request_id"), ["request_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_decision_drafts_decision_id"), ["decision_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("decision_drafts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decision_drafts_decision_id"))
        batch_op.drop_index(batch_op.f("ix_decision_drafts_request_id"))
    op.drop_table("decision_drafts")
