"""The database's screening (`service.match`, what `judicare persons match`, `screen` and the
web read) retrieves as the in-memory index does (issue 16): the same candidates, in the same
order, with the same scores and explanations, for every kind of miss of the issue, on
SQLite and PostgreSQL; the character trigrams it reads are stored at import, replaced with
the names, and recomputed by `rekey`."""

from __future__ import annotations

from importlib import resources

import pytest
import yaml
from sqlalchemy import func, select

from judicare.persons import service
from judicare.persons.domain import PersonQuery, PersonRecord
from judicare.persons.fallback import FOUND_BY_NGRAMS, record_grams
from judicare.persons.index import PersonIndex
from judicare.persons.models import PersonGramRow
from judicare.persons.registers import EVERY_AUTHORITY
from judicare.persons.scoring import SAFEGUARD

CASES = yaml.safe_load(
    (resources.files("judicare.persons") / "cases" / "safeguard_misses.yaml").read_text("utf-8")
)["cases"]
# Other people in the refugee register, some close to the refugees' names.
OTHERS = ("Kim Jong Un", "Alexander Lukin", "Qasim Suleiman", "Hamid Karzai",
          "Mohammad Rahimi", "Leon Merlin", "Shinji Abe", "Ryu Sakamura",
          "Alexander Lukashevich", "Hussein Mahmoudi", "Jung Myung-soo",
          "Леонид Мерлин", "Hamid Rezaei", "Abdul Qader Salim")  # fmt: skip
# A record that shares no blocking key with its query: only the n-grams retrieve it.
# (Babiuch Ughi / Бабюх Уги was such a pair until the learned readings gave Уги a key.)
NGRAM_ONLY = ("Sukarno", "Sukamto")


def _records() -> list[PersonRecord]:
    refugees = [case["refugee"] for case in CASES] + [NGRAM_ONLY[0]]
    return [
        PersonRecord("refugees", f"R{n:02}", (name,), status="refugee")
        for n, name in enumerate(refugees + list(OTHERS))
    ]


@pytest.fixture
def stored(app):
    """The same records in a PersonIndex and in the database, filed in the same order."""
    records = _records()
    index = PersonIndex()
    index.add_all(records)
    with app.unit_of_work() as uow:
        for record in records:
            service.index_person(uow.session, record, now=app.now())
        uow.commit()
    return app, index


def _db_match(app, names: tuple[str, ...]) -> list[dict]:
    with app.unit_of_work() as uow:
        return service.match(uow.session, PersonQuery(names), authority_id=EVERY_AUTHORITY)


QUERIES = [case["query"] for case in CASES] + [NGRAM_ONLY[1]]


@pytest.mark.parametrize("query", QUERIES)
def test_the_database_finds_what_the_index_finds(stored, query):
    app, index = stored
    memory = index.query(PersonQuery((query,)), point=SAFEGUARD)
    db = _db_match(app, (query,))
    assert [(c["id"], c["score"]) for c in db] == [(c.id, c.score) for c in memory]
    for row, candidate in zip(db, memory, strict=True):
        assert row["explanation"] == candidate.explanation  # why it matched, the same
        assert row["operating_point"] == "safeguard"


def test_each_kind_of_miss_finds_its_refugee_in_the_database(stored):
    app, _ = stored
    for n, query in enumerate(QUERIES):
        ids = [c["id"] for c in _db_match(app, (query,))]
        assert f"R{n:02}" in ids, query


def test_a_record_sharing_no_key_is_found_by_stored_ngrams_and_says_so(stored):
    app, _ = stored
    [hit] = [c for c in _db_match(app, (NGRAM_ONLY[1],)) if c["id"] == f"R{len(CASES):02}"]
    assert hit["explanation"]["retrieval"] == FOUND_BY_NGRAMS
    assert hit["explanation"]["name"]["pairs"] or "fallback" in hit["explanation"]
    with app.unit_of_work() as uow:  # without its stored grams, nothing retrieves it
        uow.session.execute(PersonGramRow.__table__.delete())
        uow.commit()
    assert f"R{len(CASES):02}" not in [c["id"] for c in _db_match(app, (NGRAM_ONLY[1],))]


def _grams(app, external_id: str) -> list[str]:
    from judicare.persons.models import PersonEntryRow

    with app.unit_of_work() as uow:
        return sorted(
            uow.session.scalars(
                select(PersonGramRow.gram)
                .join(PersonEntryRow, PersonEntryRow.id == PersonGramRow.entry_id)
                .where(PersonEntryRow.external_id == external_id)
            )
        )


def test_grams_are_replaced_with_the_names_and_recomputed_by_rekey(stored):
    app, _ = stored
    assert _grams(app, "R00") == record_grams((CASES[0]["refugee"],))
    with app.unit_of_work() as uow:
        service.index_person(
            uow.session, PersonRecord("refugees", "R00", ("Leroy Merlin",)), now=app.now()
        )
        uow.commit()
    assert _grams(app, "R00") == record_grams(("Leroy Merlin",))
    with app.unit_of_work() as uow:  # grams lost (an engine change, say): rekey restores them
        uow.session.execute(PersonGramRow.__table__.delete())
        result = service.rekey(uow.session, register=None, actor="test", now=app.now())
        uow.commit()
    assert result["changed"] == len(_records())
    assert _grams(app, "R00") == record_grams(("Leroy Merlin",))
    with app.unit_of_work() as uow:
        again = service.rekey(uow.session, register=None, actor="test", now=app.now())
        count = uow.session.scalar(select(func.count(PersonGramRow.id)))
        uow.commit()
    assert again["changed"] == 0
    assert count == sum(len(record_grams(r.names)) for r in _records()) - len(
        record_grams((CASES[0]["refugee"],))
    ) + len(record_grams(("Leroy Merlin",)))


def test_the_migration_fills_the_grams_of_entries_stored_before_it(stored):
    """Down to the revision before 0033 (no trigrams) and up again: every entry gets its
    grams, and the database finds again what the index finds."""
    from alembic.script import ScriptDirectory

    from judicare.db import migrate

    app, index = stored
    scripts = ScriptDirectory.from_config(migrate.alembic_config(app.engine))
    before = scripts.get_revision("0033").down_revision
    assert isinstance(before, str)
    migrate.downgrade(app.engine, before)
    migrate.upgrade(app.engine)
    for record in _records():
        assert _grams(app, record.id) == record_grams(record.names), record.id
    query = NGRAM_ONLY[1]
    memory = index.query(PersonQuery((query,)), point=SAFEGUARD)
    assert [c["id"] for c in _db_match(app, (query,))] == [c.id for c in memory]


def test_migration_0042_recomputes_the_keys_of_entries_named_in_cyrillic_or_arabic(stored):
    """Keys stored before the learned readings lack theirs: down to 0032 and up again, the
    entries named in Cyrillic (Леонид Мерлин) or Arabic get every key the engine now makes
    (the learned readings' among them); the others are not touched."""
    from judicare.db import migrate
    from judicare.persons.keys import blocking_keys
    from judicare.persons.learned import LEARNED_SYSTEMS
    from judicare.persons.models import PersonEntryRow, PersonKeyRow
    from judicare.persons.names import parse_name, skeleton

    app, index = stored
    with app.unit_of_work() as uow:  # as stored by an engine without the learned keys
        uow.session.execute(PersonKeyRow.__table__.delete())
        uow.commit()
    migrate.downgrade(app.engine, "0032")
    migrate.upgrade(app.engine)
    with app.unit_of_work() as uow:
        rows = uow.session.execute(
            select(PersonEntryRow.external_id, PersonEntryRow.names, PersonKeyRow.key).outerjoin(
                PersonKeyRow, PersonKeyRow.entry_id == PersonEntryRow.id
            )
        ).all()
    keys: dict[str, set[str]] = {}
    for external_id, _, key in rows:
        keys.setdefault(external_id, set()).update([key] if key else [])
    cyrillic = [r for r in _records() if r.names == ("Леонид Мерлин",)]
    assert cyrillic
    for record in _records():
        want = blocking_keys(record.names) if record in cyrillic else set()
        assert keys[record.id] == want, record.id
    learned = {
        f
        for p in parse_name("Леонид Мерлин").parts
        for f, s in zip(p.forms, p.systems, strict=True)
        if s == LEARNED_SYSTEMS["CYRILLIC"]
    }
    assert learned  # the keys restored include those of the learned readings
    assert {f"s:{skeleton(f)}" for f in learned} <= keys[cyrillic[0].id]
    query = "Леонид Мерлин"
    memory = index.query(PersonQuery((query,)), point=SAFEGUARD)
    assert [c["id"] for c in _db_match(app, (query,))][:1] == [c.id for c in memory][:1]


def test_migration_0046_gives_entries_in_cyrillic_or_arabic_the_keys_of_five_readings(stored):
    """Keys stored with three learned readings lack those of the fourth and fifth: down to
    0040 and up again, the entries named in Cyrillic or Arabic get every key the engine now
    makes, with their scope, the others are not touched, and the key counts are those of
    the postings again."""
    from judicare.db import migrate
    from judicare.persons.keys import blocking_keys
    from judicare.persons.learned import LEARNED_SYSTEMS
    from judicare.persons.models import PersonEntryRow, PersonKeyCountRow, PersonKeyRow
    from judicare.persons.names import parse_name, skeleton
    from judicare.persons.romanise import script_of

    app, index = stored
    with app.unit_of_work() as uow:  # as stored by an engine that made none of these keys
        uow.session.execute(PersonKeyRow.__table__.delete())
        uow.commit()
    migrate.downgrade(app.engine, "0040")
    migrate.upgrade(app.engine)
    with app.unit_of_work() as uow:
        rows = uow.session.execute(
            select(PersonEntryRow.external_id, PersonKeyRow.key, PersonKeyRow.scope).outerjoin(
                PersonKeyRow, PersonKeyRow.entry_id == PersonEntryRow.id
            )
        ).all()
        counts = {
            (key, scope): n
            for key, scope, n in uow.session.execute(
                select(PersonKeyCountRow.key, PersonKeyCountRow.scope, PersonKeyCountRow.entries)
            )
        }
    keys: dict[str, set[str]] = {}
    postings: dict[tuple[str, str], int] = {}
    for external_id, key, scope in rows:
        keys.setdefault(external_id, set()).update([key] if key else [])
        if key:
            postings[(key, scope)] = postings.get((key, scope), 0) + 1
    learned_scripts = [
        r for r in _records() if any(script_of(n) in LEARNED_SYSTEMS for n in r.names)
    ]
    assert learned_scripts
    for record in _records():
        want = blocking_keys(record.names) if record in learned_scripts else set()
        assert keys[record.id] == want, record.id
    assert counts == postings
    assert {scope for _, scope in postings} == {""}  # the node's register
    fourth_and_fifth = {
        f
        for p in parse_name("Леонид Мерлин").parts
        for f in [f for f, s in zip(p.forms, p.systems, strict=True)
                  if s == LEARNED_SYSTEMS["CYRILLIC"]][3:]
    }  # fmt: skip
    assert fourth_and_fifth  # the keys restored include those of the readings added
    merlin = next(r for r in _records() if r.names == ("Леонид Мерлин",))
    assert {f"s:{skeleton(f)}" for f in fourth_and_fifth} <= keys[merlin.id]
    query = "Леонид Мерлин"
    memory = index.query(PersonQuery((query,)), point=SAFEGUARD)
    assert [c["id"] for c in _db_match(app, (query,))] == [c.id for c in memory]
