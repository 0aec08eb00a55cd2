"""depositary's desk: received instruments, the original's custody, notification drafts
issued by a second officer, dispatches to states (issue 19)

Revision ID: 0027
Revises: 0023
Create Date: 2026-12-05 03:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("depositary_notifications") as batch:
        batch.alter_column("issued_at", existing_type=sa.DateTime(timezone=True), nullable=True)
        batch.add_column(
            sa.Column("status", sa.String(16), nullable=False, server_default="issued")
        )
        batch.add_column(sa.Column("drafted_by", sa.String(120), nullable=True))
        batch.add_column(sa.Column("issued_by", sa.String(120), nullable=True))
    op.create_table(
        "depositary_deposits",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("instrument_id", sa.String(64), nullable=False),
        sa.Column("state", sa.String(3), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("deposited_on", sa.Date(), nullable=False),
        sa.Column("signatory", sa.String(200), nullable=False),
        sa.Column("capacity", sa.String(40), nullable=False),
        sa.Column("full_powers", sa.JSON(), nullable=True),
        sa.Column("subject", sa.JSON(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("original_key", sa.String(80), nullable=False),
        sa.Column("original_sha256", sa.String(64), nullable=False),
        sa.Column("original_size", sa.Integer(), nullable=False),
        sa.Column("original_filename", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("objection_to", sa.Integer(), nullable=True),
        sa.Column("objection_late", sa.Boolean(), nullable=True),
        sa.Column("objection_deadline", sa.Date(), nullable=True),
        sa.Column("action_id", sa.Integer(), nullable=True),
        sa.Column("received_by", sa.String(120), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["instruments.id"],
            name=op.f("fk_depositary_deposits_instrument_id_instruments"),
        ),
        sa.ForeignKeyConstraint(
            ["objection_to"],
            ["depositary_deposits.id"],
            name=op.f("fk_depositary_deposits_objection_to_depositary_deposits"),
        ),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["depositary_actions.id"],
            name=op.f("fk_depositary_deposits_action_id_depositary_actions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_depositary_deposits")),
    )
    op.create_index(
        op.f("ix_depositary_deposits_instrument_id"), "depositary_deposits", ["instrument_id"]
    )
    op.create_table(
        "depositary_custody",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("deposit_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("location", sa.String(200), nullable=False),
        sa.Column("handled_by", sa.String(120), nullable=False),
        sa.Column("recipient", sa.String(200), nullable=False),
        sa.Column("copy_number", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["deposit_id"],
            ["depositary_deposits.id"],
            name=op.f("fk_depositary_custody_deposit_id_depositary_deposits"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_depositary_custody")),
    )
    op.create_index(op.f("ix_depositary_custody_deposit_id"), "depositary_custody", ["deposit_id"])
    op.create_table(
        "depositary_dispatches",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(3), nullable=False),
        sa.Column("channel", sa.String(24), nullable=False),
        sa.Column("document_key", sa.String(80), nullable=False),
        sa.Column("document_sha256", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["depositary_notifications.id"],
            name=op.f("fk_depositary_dispatches_notification_id_depositary_notifications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_depositary_dispatches")),
        sa.UniqueConstraint("notification_id", "state", name="uq_dispatch_state"),
    )


def downgrade() -> None:
    op.drop_table("depositary_dispatches")
    op.drop_index(op.f("ix_depositary_custody_deposit_id"), table_name="depositary_custody")
    op.drop_table("depositary_custody")
    op.drop_index(op.f("ix_depositary_deposits_instrument_id"), table_name="depositary_deposits")
    op.drop_table("depositary_deposits")
    op.execute("DELETE FROM depositary_notifications WHERE status = 'draft'")
    with op.batch_alter_table("depositary_notifications") as batch:
        batch.drop_column("issued_by")
        batch.drop_column("drafted_by")
        batch.drop_column("status")
        batch.alter_column("issued_at", existing_type=sa.DateTime(timezone=True), nullable=False)
