"""victims and witnesses, competing requests, the duty to prosecute (issue 20)

Revision ID: 0028
Revises: 0025
Create Date: 2026-12-05 03:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0025"
branch_labels = None
depends_on = None


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), autoincrement=True, nullable=False)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    ref_table = target.split(".")[0]
    return sa.ForeignKeyConstraint(
        [column], [target], name=op.f(f"fk_{table}_{column}_{ref_table}")
    )


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "victim_records",
        _id(),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("interpreter_needed", sa.Boolean(), nullable=False),
        sa.Column("child", sa.Boolean(), nullable=False),
        sa.Column("vulnerable", sa.Boolean(), nullable=False),
        sa.Column("sgbv", sa.Boolean(), nullable=False),
        sa.Column("consent_to_contact", sa.Boolean(), nullable=False),
        sa.Column("channel", sa.String(length=24), nullable=True),
        sa.Column("contact", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=False),
        _ts("updated_at"),
        _fk("victim_records", "request_id", "requests.id"),
        _fk("victim_records", "person_id", "request_persons.id"),
        _fk("victim_records", "updated_by", "users.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_victim_records")),
        sa.UniqueConstraint("person_id", name="uq_victim_records_person_id"),
    )
    op.create_index("ix_victim_records_request_id", "victim_records", ["request_id"])
    op.create_table(
        "protection_measures",
        _id(),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("measure", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("withhold_from", sa.JSON(), nullable=False),
        sa.Column("requested_by", sa.Text(), nullable=False),
        sa.Column("request_reasons", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.Text(), nullable=True),
        sa.Column("decision_reasons", sa.Text(), nullable=False),
        _ts("decided_at", nullable=True),
        _ts("created_at"),
        _fk("protection_measures", "request_id", "requests.id"),
        _fk("protection_measures", "person_id", "request_persons.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_protection_measures")),
    )
    op.create_index("ix_protection_measures_request_id", "protection_measures", ["request_id"])
    op.create_table(
        "victim_information_requests",
        _id(),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        _ts("created_at"),
        _fk("victim_information_requests", "request_id", "requests.id"),
        _fk("victim_information_requests", "person_id", "request_persons.id"),
        _fk("victim_information_requests", "created_by", "users.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_victim_information_requests")),
    )
    op.create_index(
        "ix_victim_information_requests_request_id", "victim_information_requests", ["request_id"]
    )
    op.create_index("ix_victim_information_requests_due", "victim_information_requests", ["due"])
    op.create_table(
        "victim_notices",
        _id(),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=40), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("channel", sa.String(length=24), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("information_request_id", sa.Integer(), nullable=True),
        sa.Column("sent_by", sa.Integer(), nullable=False),
        _ts("sent_at"),
        _fk("victim_notices", "request_id", "requests.id"),
        _fk("victim_notices", "person_id", "request_persons.id"),
        _fk("victim_notices", "information_request_id", "victim_information_requests.id"),
        _fk("victim_notices", "sent_by", "users.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_victim_notices")),
    )
    op.create_index("ix_victim_notices_request_id", "victim_notices", ["request_id"])
    op.create_table(
        "competing_decisions",
        _id(),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("other_request_id", sa.Integer(), nullable=False),
        sa.Column("priority_to", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("criteria", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("proposed_by", sa.Integer(), nullable=False),
        _ts("proposed_at"),
        sa.Column("approved_by", sa.Integer(), nullable=True),
        _ts("approved_at", nullable=True),
        sa.Column("approval_note", sa.Text(), nullable=False),
        _fk("competing_decisions", "request_id", "requests.id"),
        _fk("competing_decisions", "other_request_id", "requests.id"),
        _fk("competing_decisions", "priority_to", "requests.id"),
        _fk("competing_decisions", "proposed_by", "users.id"),
        _fk("competing_decisions", "approved_by", "users.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_competing_decisions")),
    )
    op.create_index("ix_competing_decisions_request_id", "competing_decisions", ["request_id"])
    op.create_index(
        "ix_competing_decisions_other_request_id", "competing_decisions", ["other_request_id"]
    )
    op.create_table(
        "prosecution_obligations",
        _id(),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("authority_id", sa.String(length=64), nullable=False),
        sa.Column("requesting_state", sa.String(length=3), nullable=False),
        sa.Column("trigger", sa.String(length=40), nullable=False),
        sa.Column("citations", sa.JSON(), nullable=False),
        sa.Column("responsible", sa.Text(), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("inform_requesting_state", sa.Boolean(), nullable=False),
        sa.Column("informed_on", sa.Date(), nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
        _fk("prosecution_obligations", "request_id", "requests.id"),
        _fk("prosecution_obligations", "decision_id", "decisions.id"),
        _fk("prosecution_obligations", "authority_id", "authorities.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prosecution_obligations")),
    )
    op.create_index(
        "ix_prosecution_obligations_request_id", "prosecution_obligations", ["request_id"]
    )
    op.create_index(
        "ix_prosecution_obligations_authority_id", "prosecution_obligations", ["authority_id"]
    )
    op.create_index("ix_prosecution_obligations_due", "prosecution_obligations", ["due"])


def downgrade() -> None:
    for table in (
        "prosecution_obligations",
        "competing_decisions",
        "victim_notices",
        "victim_information_requests",
        "protection_measures",
        "victim_records",
    ):
        op.drop_table(table)
