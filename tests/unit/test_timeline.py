"""The fast step-function answer must equal the rule in `StateRecord.status_on` on every
date, for every state of every instrument in the shipped data."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from judicare.treaties.catalogue import load_catalogue
from judicare.treaties.participation import build_participation
from judicare.treaties.reference import load_actions

PARTICIPATIONS = {
    i.id: build_participation(i, load_actions(i)[0]) for i in load_catalogue().values()
}


@pytest.mark.parametrize("instrument_id", sorted(PARTICIPATIONS))
def test_timeline_equals_the_rule_around_every_change_date(instrument_id):
    participation = PARTICIPATIONS[instrument_id]
    for state, record in participation.states.items():
        for change in record.change_dates():
            for on in (change - timedelta(days=1), change, change + timedelta(days=1)):
                assert participation.state_status_on(state, on) == record.status_on(on)


@settings(max_examples=300, deadline=None)
@given(
    instrument_id=st.sampled_from(sorted(PARTICIPATIONS)),
    on=st.dates(min_value=date(1940, 1, 1), max_value=date(2040, 12, 31)),
)
def test_timeline_equals_the_rule_on_any_date(instrument_id, on):
    participation = PARTICIPATIONS[instrument_id]
    for state, record in participation.states.items():
        assert participation.state_status_on(state, on) == record.status_on(on)
