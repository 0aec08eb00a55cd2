"""the treaty register's version: a counter the database moves on every change of actions

`legal_basis.service.LegalBasisProvider` keeps one resolver per state of the treaty register
and asked, before each use, for the count and highest id of `depositary_actions` (2,477 rows
on the demo's register: about 0.5 ms of PostgreSQL's time on every create of a request). It
now reads one row of `treaty_register_version` instead, whose `version` a trigger moves on
every INSERT, UPDATE or DELETE of actions (and TRUNCATE on PostgreSQL), in the writing
transaction: every process sees the new version when the change commits, whatever wrote it
(the desk, the reference import, SQL typed by hand), and a change the count and highest id
did not show (an action corrected in place) is seen too.

Downgrade drops the triggers and the table.

Revision ID: 0052
Revises: 0050
Create Date: 2026-12-06 11:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0052"
down_revision = "0050"
branch_labels = None
depends_on = None

_BUMP = "UPDATE treaty_register_version SET version = version + 1 WHERE id = 1"


def upgrade() -> None:
    op.create_table(
        "treaty_register_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_treaty_register_version")),
    )
    op.execute("INSERT INTO treaty_register_version (id, version) VALUES (1, 1)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION treaty_register_changed() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {_BUMP}; RETURN NULL; END $$"
        )
        # once per statement: a reference import of thousands of rows moves it once
        op.execute(
            "CREATE TRIGGER depositary_actions_version AFTER INSERT OR UPDATE OR DELETE "
            "OR TRUNCATE ON depositary_actions FOR EACH STATEMENT "
            "EXECUTE FUNCTION treaty_register_changed()"
        )
    else:  # SQLite has row triggers only
        for event in ("INSERT", "UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER depositary_actions_version_{event.lower()} AFTER {event} "
                f"ON depositary_actions BEGIN {_BUMP}; END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER depositary_actions_version ON depositary_actions")
        op.execute("DROP FUNCTION treaty_register_changed()")
    else:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER depositary_actions_version_{event}")
    op.drop_table("treaty_register_version")
