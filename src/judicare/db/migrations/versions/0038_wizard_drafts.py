"""wizard_drafts, wizard_draft_files: saved drafts of the outgoing wizard, per user, with the
documents chosen in them (issue 17, the officer's forms)

Revision ID: 0038
Revises: 0029
Create Date: 2026-12-05 21:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0038"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wizard_drafts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("authority_id", sa.String(64), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_wizard_drafts_user_id", "wizard_drafts", ["user_id", "expires_at"])
    op.create_index("ix_wizard_drafts_expires_at", "wizard_drafts", ["expires_at"])
    op.create_table(
        "wizard_draft_files",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "draft_id",
            sa.Integer(),
            sa.ForeignKey("wizard_drafts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("media_type", sa.String(200), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
    )
    op.create_index("ix_wizard_draft_files_draft_id", "wizard_draft_files", ["draft_id"])


def downgrade() -> None:
    op.drop_index("ix_wizard_draft_files_draft_id", table_name="wizard_draft_files")
    op.drop_table("wizard_draft_files")
    op.drop_index("ix_wizard_drafts_expires_at", table_name="wizard_drafts")
    op.drop_index("ix_wizard_drafts_user_id", table_name="wizard_drafts")
    op.drop_table("wizard_drafts")
