"""The index's compact storage (issue 22): keys by number in frozen numpy segments, names
and readings kept as numbers and text, slots found by hash. Whatever the loads, removals
and re-additions, it files and reads what a plain dict of key strings would, and makes
each record's names as parse_names reads them."""

from __future__ import annotations

import random
from array import array
from dataclasses import replace

import pytest

from judicare.persons import index as index_module
from judicare.persons.domain import PersonQuery, PersonRecord
from judicare.persons.fallback import record_forms
from judicare.persons.index import PAIR, PersonIndex, compact, key_walk, walk_evidence
from judicare.persons.keys import blocking_keys
from judicare.persons.names import parse_name
from judicare.persons.parts import make_part
from judicare.persons.scoring import parse_names

GIVEN = ["Vladimir", "Wladimir", "Ivan", "Mohammad", "Muhammad", "Rahim", "Olga", "Salman"]
FAMILY = ["Putin", "Pulin", "Petrov", "Sharif", "Smirnova", "Kim", "Babiuch", "Ughi"]
ODD = [
    "Владимир Владимирович Путин",
    "محمد بن سلمان",
    "Al-Qa'ida/Islamic Army",
    "J. R.",
    "SALEK, ABDULHAI",
    "习近平",
    "Deutsche Bank (Schweiz) AG",
    "Dr. Ivan Petrov",
    "Бабюх Уги",
    "ចាន់ សុខា",
]


def _records(n: int, seed: int, prefix: str = "") -> list[PersonRecord]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        if rng.random() < 0.1:
            names: tuple[str, ...] = (rng.choice(ODD),)
        else:
            given = " ".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))
            names = (f"{given} {rng.choice(FAMILY)}",)
            if rng.random() < 0.1:
                names += (rng.choice(ODD),)
        out.append(PersonRecord(rng.choice(["a", "b"]), f"{prefix}{i}", names))
    return out


def _expected(alive: dict[int, PersonRecord]) -> dict[str, list[int]]:
    """The postings a dict of key strings holds (the index before issue 22)."""
    postings: dict[str, list[int]] = {}
    for slot in sorted(alive):
        for key in blocking_keys(alive[slot].names):
            postings.setdefault(key, []).append(slot)
    return postings


def _alive(index: PersonIndex) -> dict[int, PersonRecord]:
    return {s: r for s, r in enumerate(index._records) if r is not None}


def _check(index: PersonIndex) -> None:
    alive = _alive(index)
    expected = _expected(alive)
    assert index.filed() == expected
    assert len(index) == len(alive)
    for slot, record in alive.items():
        assert index.slot_of(record.register, record.id) == slot
        assert index.get(record.register, record.id) is record
        assert index.parsed(slot) == tuple(compact(p) for p in parse_names(record.names))
        assert index.folded(slot) == record_forms(record.names)
    # every query key's number of postings and postings, as blocking reads them
    for record in list(alive.values())[:40]:
        query = PersonQuery(record.names)
        codes = index._query_codes(query.names)
        held = index._held(codes)
        wanted = {k: len(expected[k]) for k in blocking_keys(query.names) if k in expected}
        assert {k: df for k, (df, _) in held.items()} == wanted
        for key, (_, where) in held.items():
            assert index._postings(codes[key], where).tolist() == expected[key]
        # and so the evidence is that of the plain postings
        chosen = key_walk(
            wanted.items(),
            size=len(index),
            max_key_share=index.max_key_share,
            posting_budget=index.posting_budget,
        )
        plain = walk_evidence(
            [array("I", expected[k]) for k in chosen],
            size=len(index),
            full_read=index.full_read,
            shortlist=index.shortlist,
        )
        assert index.evidence(query) == plain


@pytest.mark.parametrize("chunk", [7, 64, 1 << 19])
def test_loads_removals_and_re_additions_file_what_a_dict_of_strings_would(chunk, monkeypatch):
    monkeypatch.setattr(index_module, "CHUNK", chunk)
    rng = random.Random(chunk)
    records = _records(400, seed=chunk)
    index = PersonIndex(full_read=5)  # small: the common keys' intersections are read too
    index.add_all(records[:150])
    if chunk < 150:
        assert len(index._segments) > 1
    _check(index)
    for record in records[150:200]:
        index.add(record)  # one by one: not frozen yet
    _check(index)
    for record in rng.sample(records[:200], 40):  # from segments and from the dict
        assert index.remove(record.register, record.id)
        assert not index.remove(record.register, record.id)
        assert index.get(record.register, record.id) is None
    _check(index)
    index.add_all(records[200:])  # freezes the records added one by one too
    _check(index)
    for record in rng.sample(records, 60):
        if index.get(record.register, record.id) is None:
            index.add(record)  # re-added after its removal
        else:
            index.add(replace(record, names=("Olga Petrova",)))  # replaced
    _check(index)
    # a bulk load that replaces records of its own and of earlier loads
    again = [replace(r, names=(r.names[0] + " Kim",)) for r in rng.sample(records, 30)]
    index.add_all([*again, *again[:5], *_records(20, seed=1, prefix="x")])
    _check(index)


def test_a_record_replaced_within_one_bulk_load_is_filed_once(monkeypatch):
    monkeypatch.setattr(index_module, "CHUNK", 4)
    first = PersonRecord("a", "1", ("Vladimir Putin",))
    second = PersonRecord("a", "1", ("Olga Smirnova",))
    index = PersonIndex()
    index.add_all([first, *_records(5, seed=3, prefix="y"), second])
    assert len(index) == 6
    assert index.get("a", "1") is second
    assert index.query(PersonQuery(("Vladimir Putin",))) == []
    assert [c.id for c in index.query(PersonQuery(("Olga Smirnova",)))] == ["1"]
    _check(index)


def test_records_whose_ids_share_a_hash_are_told_apart(monkeypatch):
    monkeypatch.setattr(index_module, "_ident_hash", lambda ident: 7)  # every one the same
    records = _records(60, seed=5)
    index = PersonIndex()
    index.add_all(records[:30])
    for record in records[30:]:
        index.add(record)
    index.add_all([])  # freezes the ones added alone
    assert len(index._ident_hashes) == 60
    _check(index)
    for record in records[::3]:
        assert index.remove(record.register, record.id)
    index.add(records[0])
    _check(index)
    assert index.get("a", "no such id") is None


def test_keys_have_distinct_numbers_that_read_back_as_the_keys():
    index = PersonIndex()
    index.add_all(_records(300, seed=11))
    codes: dict[int, str] = {}
    for slot in range(len(index._records)):
        record = index._records[slot]
        assert record is not None
        numbers = index._codes(index.parsed(slot))
        texts = {index._key_text(c) for c in numbers}
        assert texts == blocking_keys(record.names)  # one number per key, and back
        for code in numbers:
            assert codes.setdefault(code, index._key_text(code)) == index._key_text(code)
            assert (code & PAIR != 0) == index._key_text(code).startswith("p:")
    assert len(set(codes.values())) == len(codes)


def test_a_query_key_no_record_holds_is_not_read():
    index = PersonIndex()
    index.add_all([PersonRecord("a", "1", ("Vladimir Putin",))])
    # both skeletons are filed, but not as a pair: the pair key is not held
    index.add(PersonRecord("a", "2", ("Olga Smirnova",)))
    codes = index._query_codes(("Olga Putin",))
    assert "p:BTN+LG" in codes or "p:LG+BTN" in codes
    held = index._held(codes)
    assert not any(k.startswith("p:") for k in held)
    assert set(held) == blocking_keys(("Olga Putin",)) & set(index.filed())


def test_parts_keep_equal_values_once():
    systems = [tuple(["as written", "x" * n][:1]) for n in (1, 2)]  # equal, not the same
    assert systems[0] == systems[1] and systems[0] is not systems[1]
    ivan = make_part("Ivan", ("ivan",), systems[0])
    olga = make_part("Olga", ("olga",), systems[1])
    assert ivan.systems is olga.systems
    assert ivan.undoubled is ivan.forms and ivan.undoubled_set is ivan.form_set
    assert ivan.keys is ivan.form_keys
    assert ivan.short_keys is ivan.learned is olga.learned == frozenset()
    hassan = parse_name("Hassan").parts[0]  # unequal values stay apart
    assert hassan.undoubled == ("hasan",) and hassan.undoubled_set == {"hasan"}
    assert hassan.form_set == {"hassan"}
    putin = parse_name("Путин").parts[0]
    assert putin.learned and putin.learned <= putin.form_set
