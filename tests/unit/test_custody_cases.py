"""The chain of custody: the lawyer-readable cases in src/judicare/evidence/cases/custody.yaml,
and the hash links (the audit chain's own discipline) that make an altered, removed or
reordered event visible."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from importlib import resources

import pytest
import yaml

from judicare.audit.chain import GENESIS
from judicare.evidence import custody
from judicare.evidence.custody import CustodyRefused, EventKind, NewEvent

DOCUMENT = yaml.safe_load(
    (resources.files("judicare.evidence") / "cases" / "custody.yaml").read_text("utf-8")
)
AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _chain(kinds: list[str], item: str = "item-1") -> list[custody.CustodyEvent]:
    events: list[custody.CustodyEvent] = []
    for n, kind in enumerate(kinds):
        new = NewEvent(EventKind(kind), "anna.officer", AT + timedelta(minutes=n),
                       "Brussels, evidence room", "case test")  # fmt: skip
        events.append(custody.follow(events, item, new))
    return events


@pytest.mark.parametrize("case", DOCUMENT["cases"], ids=lambda c: c["name"])
def test_case(case):
    history = _chain(case["history"])
    new = NewEvent(EventKind(case["next"]), "louis", AT + timedelta(hours=1), "Brussels", "t")
    if case["outcome"] == "recorded":
        event = custody.follow(history, "item-1", new)
        assert event.seq == len(history) + 1
        assert event.prev_hash == (history[-1].hash if history else GENESIS)
        assert custody.check_chain("item-1", [*history, event]) == []
    else:
        with pytest.raises(CustodyRefused, match=case["says"]):
            custody.follow(history, "item-1", new)


@pytest.mark.parametrize("missing", ["actor", "where", "why"])
def test_who_where_and_why_are_always_said(missing):
    values = {"actor": "anna", "where": "Brussels", "why": "seizure"} | {missing: "  "}
    new = NewEvent(EventKind.COLLECTED, values["actor"], AT, values["where"], values["why"])
    with pytest.raises(CustodyRefused, match=f"needs {missing}"):
        custody.follow([], "item-1", new)


def test_events_are_chronological():
    history = _chain(["collected"])
    late = NewEvent(EventKind.SEALED, "anna", AT - timedelta(seconds=1), "Brussels", "t")
    with pytest.raises(CustodyRefused, match="chronological"):
        custody.follow(history, "item-1", late)


def test_an_altered_event_is_found():
    events = _chain(["collected", "sealed", "copied"])
    events[1] = dataclasses.replace(events[1], actor="someone else")
    assert [(p.seq, p.kind) for p in custody.check_chain("item-1", events)] == [(2, "altered")]


def test_a_removed_event_is_found():
    events = _chain(["collected", "sealed", "copied"])
    del events[1]
    kinds = {p.kind for p in custody.check_chain("item-1", events)}
    assert "missing" in kinds


def test_an_event_moved_to_another_item_is_found():
    events = _chain(["collected", "sealed"])
    other = _chain(["collected"], item="item-2")
    problems = custody.check_chain("item-1", [events[0], other[0]])
    assert problems and any("item-2" in p.message or p.kind == "altered" for p in problems)


def test_the_record_form_reads_back_to_the_same_event():
    events = _chain(["collected", "sealed"])
    again = [custody.from_record(e.as_record()) for e in events]
    assert again == events and custody.check_chain("item-1", again) == []


def test_a_malformed_record_names_the_field():
    record = _chain(["collected"])[0].as_record()
    del record["hash"]
    with pytest.raises(CustodyRefused, match="'hash'"):
        custody.from_record(record)
