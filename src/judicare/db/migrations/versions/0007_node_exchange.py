"""node exchange: peers, outbox with dead letters, inbox (duplicate store), receipts

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 11:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exchange_peers",
        sa.Column("node_id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=3), nullable=False),
        sa.Column("authority", sa.Text(), nullable=False),
        sa.Column("endpoint", sa.Text(), nullable=False),
        sa.Column("card", sa.JSON(), nullable=False),
        sa.Column("confirmed_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("endorsement", sa.Text(), nullable=False),
        sa.Column("endorsement_key", sa.String(length=32), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("node_id", name=op.f("pk_exchange_peers")),
    )
    op.create_table(
        "exchange_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("conversation_id", sa.String(length=36), nullable=False),
        sa.Column("peer_id", sa.String(length=64), nullable=False),
        sa.Column("message_type", sa.String(length=40), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("envelope", sa.LargeBinary(), nullable=False),
        sa.Column("envelope_sha256", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dead_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["peer_id"],
            ["exchange_peers.node_id"],
            name=op.f("fk_exchange_outbox_peer_id_exchange_peers"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"], ["requests.id"], name=op.f("fk_exchange_outbox_request_id_requests")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_outbox")),
        sa.UniqueConstraint("message_id", name=op.f("uq_exchange_outbox_message_id")),
    )
    with op.batch_alter_table("exchange_outbox", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_exchange_outbox_conversation_id"), ["conversation_id"], unique=False
        )
        batch_op.create_index("ix_exchange_outbox_due", ["status", "next_attempt_at"], unique=False)

    op.create_table(
        "exchange_inbox",
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("conversation_id", sa.String(length=36), nullable=False),
        sa.Column("sender", sa.String(length=64), nullable=False),
        sa.Column("message_type", sa.String(length=40), nullable=False),
        sa.Column("envelope_sha256", sa.String(length=64), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("body_summary", sa.JSON(), nullable=False),
        sa.Column("receipt", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"], ["requests.id"], name=op.f("fk_exchange_inbox_request_id_requests")
        ),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_exchange_inbox")),
    )
    with op.batch_alter_table("exchange_inbox", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_exchange_inbox_conversation_id"), ["conversation_id"], unique=False
        )

    op.create_table(
        "exchange_receipts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("peer_id", sa.String(length=64), nullable=False),
        sa.Column("receipt", sa.LargeBinary(), nullable=False),
        sa.Column("receipt_sha256", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["exchange_outbox.message_id"],
            name=op.f("fk_exchange_receipts_message_id_exchange_outbox"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_receipts")),
        sa.UniqueConstraint("message_id", name=op.f("uq_exchange_receipts_message_id")),
    )


def downgrade() -> None:
    op.drop_table("exchange_receipts")
    with op.batch_alter_table("exchange_inbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exchange_inbox_conversation_id"))
    op.drop_table("exchange_inbox")
    with op.batch_alter_table("exchange_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_exchange_outbox_due")
        batch_op.drop_index(batch_op.f("ix_exchange_outbox_conversation_id"))
    op.drop_table("exchange_outbox")
    op.drop_table("exchange_peers")
