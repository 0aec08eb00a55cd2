"""prevention desk: stored statistical risk fits, their country scores, analysts' assessments

Revision ID: 0026
Revises: 0028
Create Date: 2026-12-05 04:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "risk_fits",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("as_of", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=40), nullable=False),
        sa.Column("lambda", sa.Float(), nullable=False),
        sa.Column("lambda_source", sa.String(length=8), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("data_file", sa.String(length=255), nullable=False),
        sa.Column("data_sha256", sa.String(length=64), nullable=False),
        sa.Column("versions", sa.JSON(), nullable=False),
        sa.Column("intercept", sa.Float(), nullable=False),
        sa.Column("baseline", sa.Float(), nullable=False),
        sa.Column("coefficients", sa.JSON(), nullable=False),
        sa.Column("standardised", sa.JSON(), nullable=False),
        sa.Column("means", sa.JSON(), nullable=False),
        sa.Column("sds", sa.JSON(), nullable=False),
        sa.Column("n_train", sa.Integer(), nullable=False),
        sa.Column("n_positive", sa.Integer(), nullable=False),
        sa.Column("train_from", sa.Integer(), nullable=False),
        sa.Column("train_to", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_fits")),
    )
    with op.batch_alter_table("risk_fits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_risk_fits_as_of"), ["as_of"], unique=False)
    op.create_table(
        "risk_scores",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("fit_id", sa.Integer(), nullable=False),
        sa.Column("ccode", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=120), nullable=False),
        sa.Column("iso3", sa.String(length=3), nullable=True),
        sa.Column("risk", sa.Float(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("relative", sa.Float(), nullable=True),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("top_terms", sa.JSON(), nullable=False),
        sa.Column("predictor_values", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["fit_id"], ["risk_fits.id"], name=op.f("fk_risk_scores_fit_id_risk_fits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_scores")),
        sa.UniqueConstraint("fit_id", "ccode", name="uq_risk_scores_fit_ccode"),
    )
    with op.batch_alter_table("risk_scores", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_risk_scores_fit_id"), ["fit_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_risk_scores_iso3"), ["iso3"], unique=False)
    op.create_table(
        "atrocity_assessments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("authority_id", sa.String(length=64), nullable=False),
        sa.Column("iso3", sa.String(length=3), nullable=False),
        sa.Column("framework", sa.String(length=24), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("ratings", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("drafted_by", sa.Integer(), nullable=False),
        sa.Column("drafted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewed_by", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["authority_id"],
            ["authorities.id"],
            name=op.f("fk_atrocity_assessments_authority_id_authorities"),
        ),
        sa.ForeignKeyConstraint(
            ["drafted_by"], ["users.id"], name=op.f("fk_atrocity_assessments_drafted_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by"], ["users.id"], name=op.f("fk_atrocity_assessments_reviewed_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_atrocity_assessments")),
    )
    with op.batch_alter_table("atrocity_assessments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_atrocity_assessments_authority_id"), ["authority_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_atrocity_assessments_iso3"), ["iso3"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("atrocity_assessments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_atrocity_assessments_iso3"))
        batch_op.drop_index(batch_op.f("ix_atrocity_assessments_authority_id"))
    op.drop_table("atrocity_assessments")
    with op.batch_alter_table("risk_scores", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_scores_iso3"))
        batch_op.drop_index(batch_op.f("ix_risk_scores_fit_id"))
    op.drop_table("risk_scores")
    with op.batch_alter_table("risk_fits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_fits_as_of"))
    op.drop_table("risk_fits")
