"""Blocking keys are stable strings; the index adds, replaces, removes and ranks."""

from __future__ import annotations

import json
import subprocess
import sys

from judicare.persons.domain import PartialDate, PersonQuery, PersonRecord
from judicare.persons.index import PersonIndex
from judicare.persons.keys import blocking_keys
from judicare.persons.scoring import score_pair

NAMES = ("Владимир Путин", "فلاديمير بوتين", "Wladimir Putin", "Ayyub Bashir")


def test_keys_are_plain_strings_shared_across_scripts():
    keys = [blocking_keys([n]) for n in NAMES[:3]]
    assert all(isinstance(k, str) for ks in keys for k in ks)
    assert keys[0] & keys[1] & keys[2]  # Cyrillic, Arabic and German spelling meet


def test_one_slip_still_shares_a_key():
    assert blocking_keys(["Vladimir Pulin"]) & blocking_keys(["Putin"])
    assert blocking_keys(["Awlijan"]) & blocking_keys(["Walijan"])


def test_keys_are_the_same_in_another_process():
    code = (
        "import json,sys;from judicare.persons.keys import blocking_keys;"
        f"print(json.dumps([sorted(blocking_keys([n])) for n in {list(NAMES)!r}]))"
    )
    other = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "12345"},
    )
    assert json.loads(other.stdout) == [sorted(blocking_keys([n])) for n in NAMES]


def _index() -> PersonIndex:
    index = PersonIndex()
    index.add(PersonRecord("refugees", "r1", ("Путин Владимир Владимирович",), PartialDate(1952)))
    index.add(PersonRecord("refugees", "r2", ("Vladimir Putilin",), PartialDate(1980, 1, 2)))
    index.add(PersonRecord("requests", "q1", ("Sergey Lavrov",), nationality="RUS"))
    return index


def test_query_ranks_best_first_above_threshold():
    found = _index().query(PersonQuery(("Vladimir Putin",), PartialDate(1952, 10, 7)))
    assert [c.id for c in found][:1] == ["r1"]
    assert all(c.score >= 0.75 for c in found)
    assert found == sorted(found, key=lambda c: -c.score)


def test_threshold_and_registers_filter():
    index = _index()
    query = PersonQuery(("Vladimir Putin",))
    assert index.query(query, threshold=1.01) == []
    assert index.query(PersonQuery(("Vladimir Putin",), registers=("requests",))) == []


def test_remove_and_replace():
    index = _index()
    assert index.remove("refugees", "r1") is True
    assert index.remove("refugees", "r1") is False
    assert len(index) == 2
    assert "r1" not in {c.id for c in index.query(PersonQuery(("Vladimir Putin",)))}
    index.add(PersonRecord("requests", "q1", ("Vladimir Putin",)))  # same id: replaced
    assert len(index) == 2
    assert [c.id for c in index.query(PersonQuery(("Vladimir Putin",)))][:1] == ["q1"]


def test_explanation_says_why_and_is_json():
    query = PersonQuery(("Vladimir Putin",), PartialDate.parse("1952-07-10"), "RUS")
    record = PersonRecord(
        "refugees", "r1", ("Путин, Владимир Владимирович",), PartialDate.parse("1952-10-07")
    )
    candidate = score_pair(query, record)
    why = candidate.explanation
    json.dumps(why)
    assert 0 <= candidate.score <= 1
    assert why["name"]["record_script"] == "CYRILLIC"
    assert why["name"]["surname_first_reordered"] is True
    assert why["name"]["patronymic_dropped"] == ["Владимирович"]
    pair = next(p for p in why["name"]["pairs"] if p["record"] == "Путин")
    assert pair["record_reading"]["system"] == "Russian-Latin/BGN"
    assert pair["how"] == "same form"
    assert why["birth_date"]["relation"] == "swapped"
    assert why["birth_date"]["effect"] < 0
    assert why["nationality"] is None  # the record holds none: no evidence either way


def test_a_compatible_partial_date_does_not_penalise():
    record = PersonRecord("r", "1", ("Ivan Petrov",), PartialDate.parse("1975-03-12"))
    plain = score_pair(PersonQuery(("Ivan Petrov",)), record).score
    year_only = score_pair(PersonQuery(("Ivan Petrov",), PartialDate(1975)), record).score
    other_year = score_pair(PersonQuery(("Ivan Petrov",), PartialDate(1990)), record).score
    assert year_only == plain > other_year


def test_a_legal_form_gives_no_key():
    assert blocking_keys(["Siemens AG"]) == blocking_keys(["Siemens Aktiengesellschaft"])
    assert blocking_keys(["OAO Gazprom"]) == blocking_keys(["Gazprom"])


def test_a_common_key_only_adds_to_records_found_by_rarer_keys():
    index = PersonIndex(shortlist=1, full_read=1)
    for i, surname in enumerate(("Petrov", "Sidorov", "Smirnov")):
        index.add(PersonRecord("r", str(i), (f"Ivan {surname}",)))
    # "Petrov" is held by one record and read in full; "Ivan", held by three, then only
    # adds its weight to the record already found.
    assert index.candidates(PersonQuery(("Ivan Petrov",))) == [0]
    # With nothing rarer in the query, the common key still finds records.
    assert len(index.candidates(PersonQuery(("Ivan",)))) == 1
