"""need-to-know in screening: the owner of each index entry, and the authority and request
where a decision on a candidate was taken

Entries of the internal `requests` index get the authority of the request that names the
person (found by its reference); an entry whose request is gone keeps no owner and, being in
an authority-owned register, is read by nobody. Decisions taken before get the authority of
the user who took them (none for an operator's: they then count nowhere) and no request.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 21:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Not in a batch: on SQLite that would copy the table, which person_keys refers to.
    op.add_column("person_entries", sa.Column("authority_id", sa.String(length=64), nullable=True))
    op.create_index(op.f("ix_person_entries_authority_id"), "person_entries", ["authority_id"])
    with op.batch_alter_table("person_adjudications") as batch:
        batch.add_column(sa.Column("authority_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("request_id", sa.Integer(), nullable=True))
        batch.create_index(batch.f("ix_person_adjudications_authority_id"), ["authority_id"])
        batch.create_index(batch.f("ix_person_adjudications_request_id"), ["request_id"])
        batch.create_foreign_key(
            batch.f("fk_person_adjudications_request_id_requests"),
            "requests",
            ["request_id"],
            ["id"],
        )
    op.execute(
        "UPDATE person_entries SET authority_id = ("
        " SELECT requests.authority_id FROM requests"
        " WHERE substr(person_entries.external_id, 1, length(requests.reference) + 1)"
        " = requests.reference || '#')"
        " WHERE register = 'requests'"
    )
    op.execute(
        "UPDATE person_adjudications SET authority_id = ("
        " SELECT users.authority_id FROM users"
        " WHERE users.username = person_adjudications.decided_by)"
    )


def downgrade() -> None:
    with op.batch_alter_table("person_adjudications") as batch:
        batch.drop_constraint(
            batch.f("fk_person_adjudications_request_id_requests"), type_="foreignkey"
        )
        batch.drop_index(batch.f("ix_person_adjudications_request_id"))
        batch.drop_index(batch.f("ix_person_adjudications_authority_id"))
        batch.drop_column("request_id")
        batch.drop_column("authority_id")
    op.drop_index(op.f("ix_person_entries_authority_id"), table_name="person_entries")
    op.drop_column("person_entries", "authority_id")
