"""The retrieval's walks, shared by the in-memory index and the database (issue 16): they
depend on nothing but their inputs, so that both stores pick the same records."""

from __future__ import annotations

import random

import pytest

from judicare.persons.fallback import gram_walk
from judicare.persons.index import key_walk, most_evidence


@pytest.mark.parametrize("seed", range(40))
def test_most_evidence_is_a_full_sort_by_evidence_then_slot(seed):
    rng = random.Random(seed)
    weights = [1.5, 2.25, 3.0, 4.5] if seed % 2 else [rng.random() for _ in range(50)]
    evidence = {rng.randrange(5_000): rng.choice(weights) for _ in range(rng.randrange(1, 900))}
    k = rng.choice([1, 25, 425, 2_000])
    assert most_evidence(evidence, k) == sorted(evidence, key=lambda s: (-evidence[s], s))[:k]


def test_the_walks_do_not_depend_on_the_order_they_are_given_keys_in():
    keys = [("b", 3), ("a", 3), ("c", 1), ("d", 70), ("e", 40)]
    walked = key_walk(keys, size=1_000, max_key_share=0.02, posting_budget=60_000)
    assert walked == key_walk(keys[::-1], size=1_000, max_key_share=0.02, posting_budget=60_000)
    assert walked == ["c", "a", "b", "e"]  # rarest first, ties by name; 70 > 50 is common
    assert gram_walk(keys, 7) == gram_walk(keys[::-1], 7) == ["c", "a", "b"]  # 7 postings


def test_the_first_key_is_read_however_common():
    assert key_walk([("x", 900), ("y", 950)], size=1_000, max_key_share=0.02,
                    posting_budget=60_000) == ["x"]  # fmt: skip
