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


def test_an_exports_as_of_time_is_the_replicas_replay_point_or_the_primarys_present():
    from datetime import UTC, datetime, timedelta, timezone

    from judicare.db.freshness import PRIMARY, Freshness
    from judicare.web.freshness import as_of

    now = datetime(2026, 12, 6, 1, 0, 0, 750_000, tzinfo=timezone(timedelta(hours=1)))
    behind = Freshness(ReadFrom.REPLICA, 12.5, Fallback.NONE, 30)
    assert as_of(behind, now) == datetime(2026, 12, 5, 23, 59, 48, tzinfo=UTC)
    # read from the primary (too far behind, or no replica): the primary's present
    too_far = Freshness(ReadFrom.PRIMARY, 99.0, Fallback.TOO_FAR_BEHIND, 30)
    assert as_of(too_far, now) == as_of(PRIMARY, now) == datetime(2026, 12, 6, 0, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("language", "replica", "primary"),
    [
        # Babel puts a narrow no-break space before AM
        ("en", "Data as of Dec 6, 2026, 12:45:12\u202fAM UTC (read from a replica of the "
         "database).", "Data as of Dec 6, 2026, 12:45:12\u202fAM UTC. "),
        ("fr", "Données au 6 déc. 2026, 00:45:12 UTC (lues sur une réplique de la base de "
         "données).", "Données au 6 déc. 2026, 00:45:12 UTC. "),
        ("nl", "Gegevens per 6 dec 2026, 00:45:12 UTC (gelezen van een replica van de database).",
         "Gegevens per 6 dec 2026, 00:45:12 UTC. "),
    ],
)  # fmt: skip
def test_a_static_page_says_when_its_data_is_from(language, replica, primary):
    from datetime import UTC, datetime

    from judicare.db.freshness import PRIMARY, Freshness
    from judicare.web.freshness import freshness_note
    from judicare.web.i18n import Translator

    t, moment = Translator(language), datetime(2026, 12, 6, 0, 45, 12, tzinfo=UTC)
    assert freshness_note(t, Freshness(ReadFrom.REPLICA, 0.0, Fallback.NONE, 30), moment) == replica
    down = freshness_note(t, Freshness(ReadFrom.PRIMARY, None, Fallback.UNREACHABLE, 30), moment)
    assert down.startswith(primary) and len(down) > len(primary) + 20  # and says why
    assert freshness_note(t, PRIMARY, moment) == ""  # no replica: nothing to say, as live
