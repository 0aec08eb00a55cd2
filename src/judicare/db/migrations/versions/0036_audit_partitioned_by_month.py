"""audit: on PostgreSQL, the trail partitioned by month of `at` (issue 22)

PostgreSQL requires the partition key in every unique constraint: the primary key becomes
(seq, at) and the unique hash (hash, at). Appends are serialised by an advisory lock
(audit.service), so `seq` stays unique in fact; the head lookup (`ORDER BY seq DESC LIMIT
1`) reads the primary key's index, which leads with `seq`, in each partition.

A DEFAULT partition takes an entry dated in a month that has no partition, so an entry is
never refused; `judicare_audit_partition(day)` creates the month of `day` ahead of time
(`judicare audit partitions`), and leaves a month whose entries the default partition
already holds there. The append-only row trigger is cloned to every partition; the
TRUNCATE trigger, a statement trigger, is not, so each partition gets its own. SQLite:
unchanged.

Revision ID: 0036
Revises: 0029
Create Date: 2026-12-05 22:00:00
"""

from alembic import op

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None


PARTITION_FUNCTION = """
CREATE FUNCTION judicare_audit_partition(day date) RETURNS text AS $$
DECLARE
  first date := date_trunc('month', day)::date;
  low timestamptz := first::timestamp AT TIME ZONE 'UTC';
  high timestamptz := (first + interval '1 month')::timestamp AT TIME ZONE 'UTC';
  name text := 'audit_events_' || to_char(first, 'YYYY_MM');
BEGIN
  IF to_regclass(name) IS NOT NULL THEN
    RETURN name;
  END IF;
  IF EXISTS (SELECT 1 FROM audit_events_default WHERE at >= low AND at < high) THEN
    RETURN NULL;  -- entries of that month are in the default partition: they stay there
  END IF;
  BEGIN
    EXECUTE format('CREATE TABLE %I PARTITION OF audit_events FOR VALUES FROM (%L) TO (%L)',
                   name, low, high);
    EXECUTE format('CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON %I '
                   'FOR EACH STATEMENT EXECUTE FUNCTION judicare_audit_no_truncate()', name);
  EXCEPTION WHEN duplicate_table THEN
    NULL;  -- another server created it meanwhile
  END;
  RETURN name;
END $$ LANGUAGE plpgsql
"""

_GUARDS = (
    "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
    "FOR EACH ROW EXECUTE FUNCTION judicare_audit_append_only()",
    "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
    "FOR EACH STATEMENT EXECUTE FUNCTION judicare_audit_no_truncate()",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE audit_events RENAME TO audit_events_flat")
    op.execute(
        "ALTER TABLE audit_events_flat RENAME CONSTRAINT pk_audit_events TO pk_audit_events_flat"
    )
    op.execute(
        "ALTER TABLE audit_events_flat RENAME CONSTRAINT uq_audit_events_hash "
        "TO uq_audit_events_flat_hash"
    )
    op.execute(
        "CREATE TABLE audit_events (LIKE audit_events_flat INCLUDING DEFAULTS) "
        "PARTITION BY RANGE (at)"
    )
    op.execute("ALTER TABLE audit_events ADD CONSTRAINT pk_audit_events PRIMARY KEY (seq, at)")
    op.execute("ALTER TABLE audit_events ADD CONSTRAINT uq_audit_events_hash UNIQUE (hash, at)")
    op.execute("CREATE TABLE audit_events_default PARTITION OF audit_events DEFAULT")
    op.execute(
        "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events_default "
        "FOR EACH STATEMENT EXECUTE FUNCTION judicare_audit_no_truncate()"
    )
    op.execute(PARTITION_FUNCTION)
    # A partition for every month the trail already has, this month and the next.
    op.execute(
        "SELECT judicare_audit_partition(month::date) FROM ("
        "SELECT DISTINCT date_trunc('month', at AT TIME ZONE 'UTC') AS month "
        "FROM audit_events_flat "
        "UNION SELECT date_trunc('month', now() AT TIME ZONE 'UTC') "
        "UNION SELECT date_trunc('month', now() AT TIME ZONE 'UTC') + interval '1 month'"
        ") AS months ORDER BY month"
    )
    op.execute("INSERT INTO audit_events SELECT * FROM audit_events_flat ORDER BY seq")
    op.execute("DROP TABLE audit_events_flat")
    for statement in _GUARDS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE TABLE audit_events_flat (LIKE audit_events INCLUDING DEFAULTS)")
    op.execute("INSERT INTO audit_events_flat SELECT * FROM audit_events ORDER BY seq")
    op.execute("DROP TABLE audit_events")  # with its partitions and their triggers
    op.execute("DROP FUNCTION judicare_audit_partition(date)")
    op.execute("ALTER TABLE audit_events_flat RENAME TO audit_events")
    op.execute("ALTER TABLE audit_events ADD CONSTRAINT pk_audit_events PRIMARY KEY (seq)")
    op.execute("ALTER TABLE audit_events ADD CONSTRAINT uq_audit_events_hash UNIQUE (hash)")
    for statement in _GUARDS:
        op.execute(statement)
