"""The query path's shortcuts for speed give the very values of the plain loops they replace:
many forms compared in one rapidfuzz matrix (`compare.most_alike`, `part_similarity`), the
join prefilter kept per pair of parts, and the script of a name counted in C."""

from __future__ import annotations

from itertools import product

import pytest
from rapidfuzz.distance import OSA

from judicare.persons import compare
from judicare.persons.compare import most_alike, part_similarity
from judicare.persons.names import parse_name
from judicare.persons.romanise import script_of

# Cyrillic and Arabic names read into many forms (rules and learned readings), against
# one another and against Latin spellings.
NAMES = [
    "Владимир Владимирович Путин",
    "Володимир Зеленський",
    "Аляксандр Лукашэнка",
    "Кауи Граве",
    "Нотон Д’онуа",
    "Ямахара Сигэнори",
    "محمد عبد الرحمن",
    "جيميسون",
    "عارف علی زرداری",
    "Vladimir Putin",
    "Aliaksandr Lukashenka",
    "Muhammad Abdulrahman",
    "Cowie Graeve",
]


def _parts():
    return [p for n in NAMES for p in parse_name(n).parts]


def test_most_alike_is_the_best_pair_by_pair():
    forms = [f for p in _parts() for f in p.forms]
    for size in (1, 3, 12):
        for k in range(0, len(forms) - size, 7):
            xs, ys = forms[k : k + size], forms[-k - size - 1 : len(forms) - k - 1]
            expected = max(OSA.normalized_similarity(x, y) for x in xs for y in ys)
            assert most_alike(xs, ys) == expected, (xs, ys)


def test_part_similarity_in_one_matrix_is_the_loop(monkeypatch: pytest.MonkeyPatch):
    parts = _parts()
    assert any(len(p.forms) * len(q.forms) >= compare.MATRIX_PAIRS for p in parts for q in parts)
    assert any(p.learned for p in parts)
    by_matrix = {(a, b): part_similarity.__wrapped__(a, b) for a, b in product(parts, repeat=2)}
    monkeypatch.setattr(compare, "MATRIX_PAIRS", 10**9)  # every pair in a Python loop
    for (a, b), value in by_matrix.items():
        assert part_similarity.__wrapped__(a, b) == value, (a.forms, b.forms)


def test_script_of_counts_letters_first_met_first():
    assert script_of("Ivan Петров") == "CYRILLIC"  # 6 Cyrillic letters against 4 Latin
    assert script_of("Иван Petr") == "CYRILLIC"  # 4 and 4: the first met
    assert script_of("Petr Иван") == "LATIN"
    assert script_of("1234 -") == "LATIN"
    assert script_of("محمد Ali") == "ARABIC"
