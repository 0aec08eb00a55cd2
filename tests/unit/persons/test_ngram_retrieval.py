"""The safeguard's character n-gram retrieval (issue 16): a record that shares no blocking
key with the query is still compared whole, says how it was found, and is forgotten when
removed. The names are tuning-side pairs of the frozen split (bench/data/names)."""

from __future__ import annotations

import pytest

from judicare.persons.domain import PersonQuery, PersonRecord
from judicare.persons.fallback import FOUND_BY_NGRAMS, char_ngrams, grams_of
from judicare.persons.index import PersonIndex
from judicare.persons.keys import blocking_keys
from judicare.persons.scoring import IDENTIFICATION, SAFEGUARD

# query -> the refugee's registered name: the two share no blocking key. Бабюх Уги ->
# Babiuch Ughi was such a pair until the learned readings (`persons/learned.py`) read Уги
# as "ugi", whose key Ughi shares; Sukamto -> Sukarno (rn read as m, a tuning-side UN copy)
# is the tuning side's one pair left that only the n-grams retrieve.
PAIRS = [("Sukamto", "Sukarno")]
OTHERS = ("Kim Jong Un", "Alexander Lukin", "Qasim Suleiman", "Hamid Karzai",
          "Mohammad Rahimi", "Leon Merlin", "Shinji Abe", "Ryu Sakamura", "Ugo Babic",
          "Lance Arana", "Anna Lanza")  # fmt: skip


def _index(name: str) -> PersonIndex:
    index = PersonIndex()
    index.add(PersonRecord("refugees", "R", (name,), status="refugee"))
    for n, other in enumerate(OTHERS):
        index.add(PersonRecord("refugees", f"O{n}", (other,), status="refugee"))
    return index


def test_grams_are_padded_per_word():
    assert char_ngrams("ughi babiuch") == {
        " ug", "ugh", "ghi", "hi ", " ba", "bab", "abi", "biu", "iuc", "uch", "ch ",
    }  # fmt: skip
    assert char_ngrams("") == set()
    for forms in (["ughi babiuch"], ["a", "ab cd"], ["lancia aranya", "aranya lancia"]):
        assert grams_of(forms) == set().union(*map(char_ngrams, forms))  # the index's own


@pytest.mark.parametrize(("query", "name"), PAIRS)
def test_a_record_sharing_no_blocking_key_is_found_by_ngrams(query, name):
    assert not blocking_keys((query,)) & blocking_keys((name,))  # blocking alone cannot
    index = _index(name)
    found = index.query(PersonQuery((query,)), point=SAFEGUARD)
    assert "R" in [c.id for c in found], [(c.id, c.score) for c in found]
    shown = next(c for c in found if c.id == "R")
    assert shown.explanation["retrieval"] == FOUND_BY_NGRAMS
    if "fallback" in shown.explanation:  # lifted by the whole-name comparison
        assert shown.explanation["fallback"]["retrieval"] == FOUND_BY_NGRAMS
    assert shown.score >= SAFEGUARD.threshold
    # without the retrieval, the same index does not find it: the n-grams are what found it
    index.ngram_top = 0
    assert "R" not in [c.id for c in index.query(PersonQuery((query,)), point=SAFEGUARD)]


@pytest.mark.parametrize(("query", "name"), PAIRS)
def test_identification_does_not_use_the_retrieval(query, name):
    found = _index(name).query(PersonQuery((query,)), point=IDENTIFICATION)
    assert "R" not in [c.id for c in found]


def test_a_record_found_by_its_keys_does_not_say_ngrams():
    index = _index("Babiuch Ughi")
    found = index.query(PersonQuery(("Babiuch Ughi",)), point=SAFEGUARD)
    [shown] = [c for c in found if c.id == "R"]
    assert "retrieval" not in shown.explanation


def test_a_removed_or_replaced_record_leaves_the_ngram_index():
    index = _index("Babiuch Ughi")
    query = PersonQuery(("Бабюх Уги",))
    slot = index.slot_of("refugees", "R")
    assert slot in index.ngram_candidates(query)
    index.add(PersonRecord("refugees", "R", ("Kim Jong Un",), status="refugee"))  # replaced
    assert slot not in index.ngram_candidates(query)
    assert "R" not in [c.id for c in index.query(query, point=SAFEGUARD)]
    new_slot = index.slot_of("refugees", "R")
    assert index.remove("refugees", "R")
    assert all(len(b) for b in index._grams.values())  # no empty posting left behind
    assert all(slot not in b and new_slot not in b for b in index._grams.values())
    assert "R" not in [c.id for c in index.query(PersonQuery(("Kim Jong Un",)), point=SAFEGUARD)]


def test_the_retrieval_keeps_to_the_registers_asked():
    index = _index("Babiuch Ughi")
    found = index.query(PersonQuery(("Бабюх Уги",), registers=("other",)), point=SAFEGUARD)
    assert found == []


def test_the_posting_budget_bounds_the_walk():
    """Grams are read rarest first, each whole, until the budget would be passed: the record
    is still found through its rarer grams when a flood of other records makes some grams
    common, and nothing is read when even the rarest gram is over the budget."""
    index = _index("Babiuch Ughi")
    for n in range(60):  # " ba" and "bab" now held by 60 more records
        index.add(PersonRecord("requests", f"B{n}", (f"Babak Ahmadi{'a' * (n % 3)}",)))
    query = PersonQuery(("Бабюх Уги",))
    slot = index.slot_of("refugees", "R")
    index.ngram_budget = 50  # " ug" (2 records: Ughi, Ugo) is read; " ba", "bab" are not
    assert slot in index.ngram_candidates(query)
    assert "R" in [c.id for c in index.query(query, point=SAFEGUARD)]
    index.ngram_budget = 0
    assert index.ngram_candidates(query) == []
