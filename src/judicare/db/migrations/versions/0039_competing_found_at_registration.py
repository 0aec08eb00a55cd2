"""competing requests found and stored at registration; the requesting state informed of a
prosecution's result by a sent communication (issue 20, follow-up)

Revision ID: 0039
Revises: 0029
Create Date: 2026-12-05 21:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0039"
down_revision = "0036"
branch_labels = None
depends_on = None

_INFORM = (
    ("inform_status", sa.String(length=24)),
    ("inform_channel", sa.String(length=16)),
    ("inform_message_id", sa.String(length=64)),
)


def upgrade() -> None:
    op.create_table(
        "competing_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("other_request_id", sa.Integer(), nullable=False),
        sa.Column("person_score", sa.Float(), nullable=True),
        sa.Column("same_evidence", sa.Boolean(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("found_by", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["request_id"], ["requests.id"],
                                name=op.f("fk_competing_requests_request_id_requests")),
        sa.ForeignKeyConstraint(["other_request_id"], ["requests.id"],
                                name=op.f("fk_competing_requests_other_request_id_requests")),
        sa.ForeignKeyConstraint(
            ["decision_id"], ["competing_decisions.id"],
            name=op.f("fk_competing_requests_decision_id_competing_decisions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_competing_requests")),
        sa.UniqueConstraint("request_id", "other_request_id",
                            name=op.f("uq_competing_requests_request_id")),
    )  # fmt: skip
    op.create_index("ix_competing_requests_request_id", "competing_requests", ["request_id"])
    op.create_index(
        "ix_competing_requests_other_request_id", "competing_requests", ["other_request_id"]
    )
    with op.batch_alter_table("prosecution_obligations", recreate="never") as batch:
        for name, type_ in _INFORM:
            batch.add_column(sa.Column(name, type_, nullable=True))
        batch.add_column(sa.Column("inform_text", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("inform_drafted_by", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("inform_approved_by", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("prosecution_obligations", recreate="never") as batch:
        for name in ("inform_approved_by", "inform_drafted_by", "inform_text",
                     *(n for n, _ in _INFORM)):  # fmt: skip
            batch.drop_column(name)
    op.drop_index("ix_competing_requests_other_request_id", table_name="competing_requests")
    op.drop_index("ix_competing_requests_request_id", table_name="competing_requests")
    op.drop_table("competing_requests")
