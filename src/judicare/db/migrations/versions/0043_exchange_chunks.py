"""chunks of large attachments received ahead of their envelope (issue 18: an evidence bag
larger than the upload limit travels in chunks, resumably)

Revision ID: 0043
Revises: 0032
Create Date: 2026-12-06 01:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0043"
down_revision = "0032"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exchange_chunks",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("sender", sa.String(64), nullable=False),
        sa.Column("message_id", sa.String(64), nullable=False),
        sa.Column("attachment_id", sa.String(64), nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("ciphertext_sha256", sa.String(64), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("storage_key", sa.String(80), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("message_id", "attachment_id", "idx", name="uq_exchange_chunk"),
    )
    op.create_index("ix_exchange_chunks_message_id", "exchange_chunks", ["message_id"])


def downgrade() -> None:
    op.drop_index("ix_exchange_chunks_message_id", table_name="exchange_chunks")
    op.drop_table("exchange_chunks")
