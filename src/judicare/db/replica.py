"""Reading from a PostgreSQL streaming replica: measuring its lag and choosing where a
read-only page reads (the rule is `db.freshness`)."""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True, slots=True)
class ReplicaReport:
    """What the replica said about itself (None: it did not answer) and where reads go."""

    state: ReplicaState | None
    freshness: Freshness

    @property
    def reachable(self) -> bool:
        return self.state is not None

    def as_json(self) -> dict:
        """For `/health/ready`: reachable, its replay lag, and where read-only pages read."""
        state, freshness = self.state, self.freshness
        return {
            "reachable": self.reachable,
            "in_recovery": state.in_recovery if state else None,
            "streaming": state.streaming if state else None,
            "lag_seconds": freshness.lag_seconds,
            "max_lag_seconds": freshness.bound_seconds,
            "reads_from": freshness.source.value,
            "fallback": freshness.fallback.value,
        }


def inspect(engine: Engine, bound: float) -> ReplicaReport:
    """Ask the replica behind `engine` how far behind it is, and choose where reads go; an
    unreachable one means the primary."""
    try:
        with engine.connect() as connection:
            state = measure(connection)
    except SQLAlchemyError:
        return ReplicaReport(None, Freshness(ReadFrom.PRIMARY, None, Fallback.UNREACHABLE, bound))
    return ReplicaReport(state, choose(replica_lag(state), bound))


def where_to_read(engine: Engine, bound: float) -> Freshness:
    """Measure the replica behind `engine` and choose; an unreachable one means the primary."""
    return inspect(engine, bound).freshness
