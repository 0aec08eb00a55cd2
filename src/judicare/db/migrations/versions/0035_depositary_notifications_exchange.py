"""depositary notifications over the node exchange (issue 19): the form an issued
notification was sent in, how each state was sent it (the peer node and message, or a PDF),
and the notifications this node received from a depositary's node

Revision ID: 0035
Revises: 0029
Create Date: 2026-12-05 21:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0035"
down_revision = "0038"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("depositary_notifications") as batch:
        batch.add_column(sa.Column("issued_form", sa.JSON(), nullable=True))
    with op.batch_alter_table("depositary_dispatches") as batch:
        batch.add_column(sa.Column("peer_id", sa.String(64), nullable=True))
        batch.add_column(sa.Column("message_id", sa.String(36), nullable=True))
    op.create_table(
        "depositary_received_notifications",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("sender", sa.String(64), nullable=False),
        sa.Column("message_id", sa.String(36), nullable=False),
        sa.Column("instrument_id", sa.String(64), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(80), nullable=False),
        sa.Column("state", sa.String(3), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("action_date", sa.Date(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("entry_into_force", sa.Date(), nullable=True),
        sa.Column("objection_deadline", sa.Date(), nullable=True),
        sa.Column("text_en", sa.Text(), nullable=False),
        sa.Column("text_fr", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("sender", "instrument_id", "number", name="uq_received_notification"),
    )


def downgrade() -> None:
    op.drop_table("depositary_received_notifications")
    with op.batch_alter_table("depositary_dispatches") as batch:
        batch.drop_column("message_id")
        batch.drop_column("peer_id")
    with op.batch_alter_table("depositary_notifications") as batch:
        batch.drop_column("issued_form")
