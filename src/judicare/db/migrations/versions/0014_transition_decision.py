"""transition decision: the decision a change of status applied (four-eyes, issue 13 §2)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 21:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("request_transitions") as batch:
        batch.add_column(sa.Column("decision_id", sa.Integer(), nullable=True))
        batch.create_index("ix_request_transitions_decision_id", ["decision_id"])


def downgrade() -> None:
    with op.batch_alter_table("request_transitions") as batch:
        batch.drop_index("ix_request_transitions_decision_id")
        batch.drop_column("decision_id")
