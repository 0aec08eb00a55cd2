"""`PersonIndex.add_all` over many records reads the name parts' Latin forms in worker
processes (issue 16's build time): the index filed is the one `add` files, and the parts
read ahead are not read again in the filing process."""

from __future__ import annotations

import multiprocessing as mp
import os

import pytest

from judicare.persons import parts
from judicare.persons.domain import PersonQuery, PersonRecord
from judicare.persons.index import PersonIndex, _read_forms
from judicare.persons.learned import learned_readings
from judicare.persons.names import parse_name
from judicare.persons.scoring import SAFEGUARD

NAMES = [
    ("Владимир Владимирович Путин", "Wladimir Putin"),
    ("Сергей Кауи",),
    ("محمد بن سلمان",),
    ("جويس نوتون",),
    ("Al-Qa'ida/Islamic Army",),
    ("习近平",),
    ("Бабюх Уги",),
    ("Mohammad Rahim Sharif Mohammad",),
    ("Ніколай Нотон",),
    ("عبد الله الأحمد",),
]

pytestmark = pytest.mark.skipif(
    "fork" not in mp.get_all_start_methods(), reason="worker processes are forked"
)


def _records() -> list[PersonRecord]:
    return [PersonRecord("r", str(i), names) for i, names in enumerate(NAMES)]


def _fresh() -> None:
    parse_name.cache_clear()
    parts.read_part.cache_clear()
    learned_readings.cache_clear()


def test_parallel_filing_is_the_sequential_index(monkeypatch: pytest.MonkeyPatch) -> None:
    _fresh()
    main = os.getpid()
    latin_forms = parts.latin_forms
    read_here: list[str] = []

    def watched(original: str, script: str, systems: tuple[str, ...]):  # type: ignore[no-untyped-def]
        if os.getpid() == main and script != "LATIN":
            read_here.append(original)
        return latin_forms(original, script, systems)

    monkeypatch.setattr(parts, "latin_forms", watched)
    parallel = PersonIndex()
    parallel.add_all(_records(), workers=2)
    assert read_here == []  # every non-Latin part was read in a worker
    assert parts._PRIMED == {}  # and the forms read ahead are let go
    monkeypatch.undo()
    _fresh()
    sequential = PersonIndex()
    sequential.add_all(_records(), workers=1)
    as_forms = [
        [[(p.original, p.forms, p.systems) for p in n.parts] for n in r] for r in parallel._parsed
    ]
    expected = [
        [[(p.original, p.forms, p.systems) for p in n.parts] for n in r] for r in sequential._parsed
    ]
    assert as_forms == expected
    assert parallel._folded == sequential._folded
    assert parallel._postings.keys() == sequential._postings.keys()
    for names in NAMES:
        query = PersonQuery(names=names)
        got = [(c.id, c.score) for c in parallel.query(query, point=SAFEGUARD)]
        assert got == [(c.id, c.score) for c in sequential.query(query, point=SAFEGUARD)]
        assert got


def test_worker_returns_the_forms_of_non_latin_parts() -> None:
    _fresh()
    forms = _read_forms(["Сергей Кауи", "Vladimir Putin"])
    parts._RECORDING = None
    assert {k[0] for k in forms} == {"Сергей", "Кауи"}
    for (original, script, systems), found in forms.items():
        assert found == parts.latin_forms(original, script, systems)
        assert any(s.startswith("learned") for s in found[1])
