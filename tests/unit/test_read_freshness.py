"""Where a read-only page reads from (`db.freshness`): the replica within the bound, the
primary beyond it or when the replica cannot say how far behind it is."""

from __future__ import annotations

import pytest

from judicare.db.freshness import Fallback, ReadFrom, ReplicaState, choose, replica_lag


@pytest.mark.parametrize(
    ("state", "lag"),
    [
        # a primary, or a standby since promoted: never behind
        (ReplicaState(in_recovery=False, streaming=False, caught_up=False,
                      since_last_replay=None), 0.0),
        # all it received is replayed: 0, however long the primary has been idle
        (ReplicaState(True, True, True, 3600.0), 0.0),
        # behind: the time since the last transaction it replayed
        (ReplicaState(True, True, False, 7.25), 7.25),
        # clocks a little apart never make a negative lag
        (ReplicaState(True, True, False, -0.2), 0.0),
        # not streaming: it may be any distance behind
        (ReplicaState(True, False, True, 1.0), None),
        # streaming, behind, but nothing replayed yet: unknown
        (ReplicaState(True, True, False, None), None),
    ],
)  # fmt: skip
def test_replica_lag(state, lag):
    assert replica_lag(state) == lag


def test_choose_reads_the_replica_within_the_bound_and_the_primary_beyond():
    within = choose(30.0, 30.0)
    assert within.source is ReadFrom.REPLICA and within.shown_seconds == 30
    beyond = choose(30.2, 30.0)
    assert beyond.source is ReadFrom.PRIMARY and beyond.fallback is Fallback.TOO_FAR_BEHIND
    assert beyond.shown_seconds == 31  # rounded up: never shown as fresher than it is
    unknown = choose(None, 30.0)
    assert unknown.source is ReadFrom.PRIMARY and unknown.fallback is Fallback.LAG_UNKNOWN
    assert choose(0.0, 0.0).source is ReadFrom.REPLICA
