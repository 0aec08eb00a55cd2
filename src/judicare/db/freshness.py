"""Where a read-only page reads from, and how old what it shows may be (issue 22).

Read-only pages and exports may read from a PostgreSQL streaming replica
(`JUDICARE_READ_DATABASE_URL`). A replica replays the primary's changes a little later: the
page then says how far behind it was ("data as of N seconds ago"), and beyond
`JUDICARE_READ_MAX_LAG_SECONDS`, or when the replica cannot say, the page reads from the
primary instead and says why. This module is the pure rule; `db.replica` measures.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class ReadFrom(Enum):
    PRIMARY = "primary"
    REPLICA = "replica"


class Fallback(Enum):
    """Why a page read from the primary although a replica is configured."""

    NONE = "none"  # no replica is configured: nothing to say
    TOO_FAR_BEHIND = "too_far_behind"
    LAG_UNKNOWN = "lag_unknown"  # the replica does not stream, or has replayed nothing yet
    UNREACHABLE = "unreachable"
    WRITES = "writes"  # the page writes (an audited search), so it reads where it writes


@dataclass(frozen=True, slots=True)
class Freshness:
    """Where a page's data came from. `lag_seconds`: the replica's replay lag when it was
    measured (read from the replica, or found too far behind); None when unknown."""

    source: ReadFrom
    lag_seconds: float | None = None
    fallback: Fallback = Fallback.NONE
    bound_seconds: float | None = None

    @property
    def shown_seconds(self) -> int | None:
        """The lag as the page shows it: whole seconds, rounded up (never "0" for 0.4)."""
        if self.lag_seconds is None:
            return None
        whole = int(self.lag_seconds)
        return whole + 1 if self.lag_seconds > whole else whole


PRIMARY = Freshness(ReadFrom.PRIMARY)


@dataclass(frozen=True, slots=True)
class ReplicaState:
    """What a standby reports about itself (`db.replica.measure`)."""

    in_recovery: bool  # False: not a standby (a promoted one, or a primary): never behind
    streaming: bool  # its WAL receiver is connected to a primary
    caught_up: bool  # it has replayed all the WAL it has received
    since_last_replay: float | None  # seconds since the last transaction it replayed


def replica_lag(state: ReplicaState) -> float | None:
    """The replay lag in seconds, or None when the replica cannot bound it.

    `now() - pg_last_xact_replay_timestamp()` alone grows while the primary is idle: a
    replica that has replayed all it received is 0 seconds behind. A standby whose WAL
    receiver is not streaming may be any distance behind: unknown."""
    if not state.in_recovery:
        return 0.0
    if not state.streaming:
        return None
    if state.caught_up:
        return 0.0
    if state.since_last_replay is None:
        return None
    return max(0.0, state.since_last_replay)


def choose(lag: float | None, bound: float) -> Freshness:
    """Read from the replica when its lag is known and within the bound, else the primary."""
    if lag is None:
        return Freshness(ReadFrom.PRIMARY, None, Fallback.LAG_UNKNOWN, bound)
    if lag > bound:
        return Freshness(ReadFrom.PRIMARY, lag, Fallback.TOO_FAR_BEHIND, bound)
    return Freshness(ReadFrom.REPLICA, lag, Fallback.NONE, bound)
