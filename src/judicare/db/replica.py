"""Reading from a PostgreSQL streaming replica: measuring its lag and choosing where a
read-only page reads (the rule is `db.freshness`)."""

from __future__ import annotations

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

from judicare.db.freshness import (
    Fallback,
    Freshness,
    ReadFrom,
    ReplicaState,
    choose,
    replica_lag,
)

_STATE = text(
    """
    SELECT pg_is_in_recovery(),
           coalesce((SELECT status = 'streaming' FROM pg_stat_wal_receiver), false),
           pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn(),
           extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8
    """
)


def measure(connection: Connection) -> ReplicaState:
    in_recovery, streaming, caught_up, since = connection.execute(_STATE).one()
    return ReplicaState(bool(in_recovery), bool(streaming), bool(caught_up), since)


def where_to_read(engine: Engine, bound: float) -> Freshness:
    """Measure the replica behind `engine` and choose; an unreachable one means the primary."""
    try:
        with engine.connect() as connection:
            state = measure(connection)
    except SQLAlchemyError:
        return Freshness(ReadFrom.PRIMARY, None, Fallback.UNREACHABLE, bound)
    return choose(replica_lag(state), bound)
