"""The timeline in words (issue 17, point 7): which template each audited act takes, reads
folded into one entry per run, the filter by kind, and the words in en, fr and nl."""

from __future__ import annotations

import pytest

from judicare.requests.domain import RequestStatus
from judicare.requests.timeline import EntryKind, build, counts
from judicare.web.i18n import Translator
from judicare.web.timeline_text import TEMPLATES, changes, describe

STATUSES = frozenset(s.value for s in RequestStatus)


def event(tag: str, actor: str = "anna", at: str = "2026-11-23T10:00:00+00:00", **details):
    return {"tag": tag, "actor": actor, "at": at, "details": details}


def test_runs_of_reads_fold_into_one_entry_that_counts_reads_and_people():
    events = [
        event("officer:request:create"),
        *[event("officer:request:read", actor=a) for a in ("anna", "bert", "anna", "cleo")],
        event("officer:document:read", actor="bert"),
        event("supervisor:request:registered", actor="sofie", **{"from": "received", "to": "registered"}),
        event("officer:request:read", actor="anna"),
    ]  # fmt: skip
    entries = build(events, STATUSES)
    assert [(e["key"], e["count"], e["people"]) for e in entries] == [
        ("created", 1, 1),
        ("read", 5, 3),
        ("status", 1, 1),
        ("read", 1, 1),
    ]
    assert counts(events, STATUSES) == {"change": 1, "read": 6, "status": 1}


def test_the_filter_keeps_one_kind():
    events = [
        event("officer:request:create"),
        event("officer:request:read"),
        event("officer:request:update", changes={"urgency": {"from": "normal", "to": "urgent"}}),
    ]
    assert [e["key"] for e in build(events, STATUSES, EntryKind.CHANGE)] == ["created", "updated"]
    assert [e["key"] for e in build(events, STATUSES, EntryKind.READ)] == ["read"]


@pytest.mark.parametrize(
    ("tag", "details", "english"),
    [
        ("officer:request:create", {}, "anna registered the request."),
        ("supervisor:request:under_review", {"from": "registered", "to": "under_review"},
         "anna moved the request from “Registered” to “Under review”."),
        ("supervisor:request:assign", {"recipients": [3], "names": ["louis"]},
         "anna assigned the request to louis."),
        ("officer:request:link", {"to": 9, "to_reference": "BEL-CA/2026/X", "link_type": "competing"},
         "anna linked this request to request BEL-CA/2026/X (competing)."),
        ("officer:request:legal_basis", {"from": None, "to": "ced-2006", "reason": "both bound"},
         "anna chose the legal basis ced-2006."),
        ("node:status_notice:receive", {},
         "The other central authority's node delivered a message: Status notice."),
        ("officer:request:something_new", {}, "anna: an event recorded as request:something_new."),
    ],
)  # fmt: skip
def test_each_act_reads_as_a_sentence(tag, details, english):
    (entry,) = build([event(tag, **details)], STATUSES)
    assert describe(Translator("en"), entry) == english


@pytest.mark.parametrize(
    ("language", "reads"),
    [("en", "Read 3 times by 2 people."), ("fr", "Lu 3 fois par 2 personnes."),
     ("nl", "3 keer gelezen door 2 personen.")],
)  # fmt: skip
def test_folded_reads_in_three_languages(language, reads):
    events = [event("officer:request:read", actor=a) for a in ("anna", "bert", "anna")]
    (entry,) = build(events, STATUSES)
    assert describe(Translator(language), entry) == reads


@pytest.mark.parametrize("language", ["fr", "nl"])
def test_every_template_is_translated(language):
    t = Translator(language)
    untranslated = [key for key, text in TEMPLATES.items() if t.gettext(text) == text]
    assert not untranslated


def test_an_edit_lists_each_field_old_and_new_in_the_users_words():
    entry = build(
        [event("officer:request:update", changes={
            "urgency": {"from": "normal", "to": "very_urgent"},
            "requested_execution_date": {"from": "2026-12-20", "to": "2027-01-10"},
            "requesting_reference": {"from": "", "to": "KZ-1"},
        })],
        STATUSES,
    )[0]  # fmt: skip
    assert changes(Translator("en"), entry) == [
        {"field": "Execution wished by", "from": "Dec 20, 2026", "to": "Jan 10, 2027"},
        {"field": "Reference of the requesting authority", "from": "(not set)", "to": "KZ-1"},
        {"field": "Urgency", "from": "Normal", "to": "Very urgent"},
    ]


def test_page_views_fold_their_reads_and_screenings_until_something_else_happens():
    view = [event("officer:request:read"), event("officer:request:screen")]
    events = [*view, *view, *view, event("officer:request:create"), *view]
    entries = build(events, STATUSES)
    assert [(e["key"], e["count"]) for e in entries] == [
        ("read", 3), ("screened", 3), ("created", 1), ("read", 1), ("screened", 1),
    ]  # fmt: skip
    t = Translator("en")
    assert describe(t, entries[1]) == "Screened against the registers 3 times by 1 person."
    assert describe(t, entries[4]) == "anna screened the persons against the registers."
