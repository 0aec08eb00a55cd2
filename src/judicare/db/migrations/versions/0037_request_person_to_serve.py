"""requests: where necessary, the name and address of the person to be served (ECMA art.
14(1)(d)), shown in the letter of request and counted in its completeness (issue 18)

Revision ID: 0037
Revises: 0029
Create Date: 2026-12-05 21:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0037"
down_revision = "0039"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("requests", recreate="never") as batch:
        batch.add_column(sa.Column("person_to_serve", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    # in place (SQLite 3.35+), as 0029 does: copying `requests` fails on the tables whose
    # foreign keys point to it
    with op.batch_alter_table("requests", recreate="never") as batch:
        batch.drop_column("person_to_serve")
