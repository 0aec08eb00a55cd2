"""The in-memory index's faster paths (issues 16 and 22) give what the shared helpers give:
the keys and folded forms filed from names read once, the n-gram scores and the ranking in
numpy, a common key's intersection by binary search in its ascending postings."""

from __future__ import annotations

import random
from array import array

import pytest

from judicare.persons.domain import PersonRecord
from judicare.persons.fallback import gram_scores, record_forms, top_by_grams
from judicare.persons.index import (
    NUMPY_RANKING,
    PersonIndex,
    compact,
    most_evidence,
    sorted_members,
    top_by_gram_postings,
    walk_evidence,
)
from judicare.persons.keys import blocking_keys
from judicare.persons.names import parse_name

NAMES = [
    ("Vladimir Putin",),
    ("Владимир Владимирович Путин", "Wladimir Putin"),
    ("محمد بن سلمان",),
    ("Al-Qa'ida/Islamic Army",),
    ("J. R.",),
    ("SALEK, ABDULHAI",),
    ("习近平",),
    ("Kim Jong Un", "Kim Jong-un"),
    ("Бабюх Уги",),
    ("Mohammad Rahim Sharif Mohammad",),
]


def test_a_record_is_filed_under_the_keys_and_forms_of_the_shared_helpers():
    index = PersonIndex()
    for i, names in enumerate(NAMES):
        index.add(PersonRecord("r", str(i), names))
    for slot, names in enumerate(NAMES):
        assert index.folded(slot) == record_forms(names)
        filed = {k for k, slots in index.filed().items() if slot in slots}
        assert filed == blocking_keys(names)


def test_the_keys_of_a_name_are_as_before():
    # made by the code before the keys were cached per part
    assert sorted(blocking_keys(["Vladimir Putin"])) == [
        "p:BTN+FLDMR", "s:BN", "s:BT", "s:BTN", "s:FDMR", "s:FLDM", "s:FLDMR", "s:FLDR",
        "s:FLMR", "s:LDMR", "s:TN", "t:putin", "t:vladimir",
    ]  # fmt: skip
    assert blocking_keys(["J. R."]) == {"w:jr"}


@pytest.mark.parametrize("seed", range(30))
def test_most_evidence_of_many_records_is_a_full_sort_by_evidence_then_slot(seed):
    rng = random.Random(seed)
    weights = [1.5, 2.25, 3.0, 4.5] if seed % 2 else [rng.random() for _ in range(50)]
    size = rng.randrange(NUMPY_RANKING, 6_000)
    evidence = {rng.randrange(50_000): rng.choice(weights) for _ in range(size)}
    assert len(evidence) >= NUMPY_RANKING // 2
    assert most_evidence(evidence, 0) == []
    for k in (1, 25, 425, len(evidence), len(evidence) + 5):
        assert most_evidence(evidence, k) == sorted(evidence, key=lambda s: (-evidence[s], s))[:k]


def _buckets(rng: random.Random, n: int) -> list[array[int]]:
    out = []
    for _ in range(rng.randrange(1, 40)):
        # equal sizes give equal weights, and so ties
        size = rng.choice([1, 2, 3, 50, rng.randrange(1, 400)])
        out.append(array("I", sorted(rng.sample(range(n), size))))
    return out


@pytest.mark.parametrize("seed", range(30))
def test_the_ngram_scores_in_numpy_are_those_of_gram_scores(seed):
    rng = random.Random(seed)
    n = rng.choice([500, 5_000, 1_000_000])
    buckets = _buckets(rng, min(n, 2_000))
    expected = top_by_grams(gram_scores({f"g{i}": list(b) for i, b in enumerate(buckets)}, n), 40)
    assert top_by_gram_postings(buckets, n, 40) == expected
    assert top_by_gram_postings(buckets, n, 0) == top_by_grams({1: 1.0}, 0) == []
    assert top_by_gram_postings([], n, 40) == []
    assert top_by_gram_postings([array("I")], n, 40) == []


@pytest.mark.parametrize("seed", range(30))
def test_sorted_members_is_the_intersection(seed):
    rng = random.Random(seed)
    bucket = array("I", sorted(rng.sample(range(3_000), rng.randrange(0, 1_500))))
    slots = set(rng.sample(range(4_000), rng.randrange(0, 300)))
    assert sorted(sorted_members(slots, bucket)) == sorted(slots & set(bucket))
    assert sorted_members(set(), bucket) == []


@pytest.mark.parametrize("seed", range(20))
def test_walk_evidence_on_the_index_arrays_is_as_on_plain_lists(seed):
    rng = random.Random(seed)
    buckets = _buckets(rng, 3_000)
    rng.shuffle(buckets)
    as_lists = walk_evidence([list(b) for b in buckets], size=3_000, full_read=60, shortlist=25)
    as_arrays = walk_evidence(buckets, size=3_000, full_read=60, shortlist=25)
    assert as_arrays == as_lists
    assert list(as_arrays) == list(as_lists)  # the same order too


def test_a_record_removed_leaves_no_posting_and_a_singleton_key_goes():
    index = PersonIndex()
    for i, names in enumerate(NAMES):
        index.add(PersonRecord("r", str(i), names))
    index.add(PersonRecord("r", "0", ("Vladimir Putin",)))  # replaced: a new slot
    for i in (0, 3, 9):
        assert index.remove("r", str(i))
    kept = {slot: NAMES[slot] for slot in range(len(NAMES)) if slot not in (0, 3, 9)}
    expected: dict[str, set[int]] = {}
    for slot, names in kept.items():
        for key in blocking_keys(names):
            expected.setdefault(key, set()).add(slot)
    filed = {k: set(slots) for k, slots in index.filed().items()}
    assert filed == expected
    assert not index.remove("r", "0")


def test_names_filed_share_one_empty_set_and_keep_their_fathers():
    index = PersonIndex()
    index.add(PersonRecord("r", "1", ("Ivan Petrov",)))
    index.add(PersonRecord("r", "2", ("Salman bin Muhammad",)))
    (ivan,), (salman,) = index.parsed(0), index.parsed(1)
    assert ivan.fathers is ivan.qualifiers is compact(parse_name("Olga Smirnova")).fathers
    assert ivan == parse_name("Ivan Petrov")
    assert salman.fathers == parse_name("Salman bin Muhammad").fathers == {2}
