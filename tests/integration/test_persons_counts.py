"""The blocking keys' and trigrams' counts per scope (`person_key_counts`,
`person_gram_counts`), which the database's screening reads as their frequencies instead of
counting postings (issues 17, 22), stay exactly the postings' numbers per scope on SQLite and
PostgreSQL: as persons are imported, refiled with other names or the same, indexed in bulk
from requests of several authorities, rekeyed, and written by the scale generator."""

from __future__ import annotations

from sqlalchemy import delete, func, select

from judicare.auth.permissions import Principal, Role
from judicare.persons import service
from judicare.persons.domain import PersonQuery, PersonRecord
from judicare.persons.index import PersonIndex
from judicare.persons.models import (
    PersonEntryRow,
    PersonGramCountRow,
    PersonGramRow,
    PersonKeyCountRow,
    PersonKeyRow,
    PersonScopeCountRow,
)
from judicare.persons.registers import (
    NODE_SCOPE,
    UNOWNED_SCOPE,
    scope_column,
    scope_of,
    scopes_visible_to,
)
from judicare.persons.scoring import IDENTIFICATION

NODE_ADMIN = Principal(0, "test", Role.NODE_ADMIN, "")


def _stored_counts(session) -> dict:
    """The counts as stored, and each scope's entries."""
    entries = PersonScopeCountRow
    return {
        "entries": dict(session.execute(select(entries.scope, entries.entries)).all()),
        "keys": {
            (item, scope): n
            for item, scope, n in session.execute(
                select(PersonKeyCountRow.key, PersonKeyCountRow.scope, PersonKeyCountRow.entries)
            )
        },
        "grams": {
            (item, scope): n
            for item, scope, n in session.execute(
                select(
                    PersonGramCountRow.gram, PersonGramCountRow.scope, PersonGramCountRow.entries
                )
            )
        },
    }


def _counted_from_postings(session) -> dict:
    scope = scope_column()
    out = {"entries": dict(session.execute(select(scope, func.count()).group_by(scope)).all())}
    for table, column, postings in (("keys", PersonKeyRow.key, PersonKeyRow),
                                    ("grams", PersonGramRow.gram, PersonGramRow)):  # fmt: skip
        out[table] = {
            (item, s): n
            for item, s, n in session.execute(
                select(column, scope, func.count())
                .join(PersonEntryRow, PersonEntryRow.id == postings.entry_id)
                .group_by(column, scope)
            )
        }
    return out


def _assert_exact(app) -> dict:
    with app.unit_of_work() as uow:
        stored = _stored_counts(uow.session)
        assert stored == _counted_from_postings(uow.session)
        assert all(n > 0 for table in stored.values() for n in table.values())
        for postings in (PersonKeyRow, PersonGramRow):  # each posting: its entry's scope
            assert not uow.session.scalar(
                select(func.count())
                .select_from(postings)
                .join(PersonEntryRow, PersonEntryRow.id == postings.entry_id)
                .where(postings.scope != scope_column())
            )
        return stored


def _import(app, register: str, rows: list[tuple[str, str]]) -> None:
    head = "id,names,birth_date,nationality,status,country_of_feared_persecution,status_date\n"
    text = head + "".join(f"{ident},{names},,,,,\n" for ident, names in rows)
    with app.unit_of_work() as uow:
        service.import_register(
            uow.session,
            service.parse_register_csv(text, register),
            principal=NODE_ADMIN,
            now=app.now(),
        )
        uow.commit()


def test_the_scopes_are_those_of_need_to_know():
    assert scope_of("refugees", None) == NODE_SCOPE
    assert scope_of("requests", "BEL-CA") == "BEL-CA"
    assert scope_of("requests", None) == UNOWNED_SCOPE  # read by the operator only
    assert scope_of("refugees", "NLD-CA") == "NLD-CA"


def test_counts_stay_exact_as_persons_are_added_refiled_and_rekeyed(app):
    _import(app, "refugees", [("R1", "Ivan Petrenko|Иван Петренко"), ("R2", "Ivan Petrenko"),
                              ("R3", "Olena Kovalenko")])  # fmt: skip
    first = _assert_exact(app)
    assert first["keys"] and first["grams"]
    assert {scope for _, scope in first["keys"]} == {NODE_SCOPE}
    people = [
        PersonRecord("requests", f"T/1#{n}", names)
        for n, names in enumerate([("Іван Петренко",), ("Ivan Petrenko", "Petrenko Ivan")])
    ]
    with app.unit_of_work() as uow:  # two authorities' requests name the same person
        service.index_new_persons(uow.session, people, authority_id="BEL-CA", now=app.now())
        service.index_new_persons(
            uow.session,
            [PersonRecord("requests", "T/2#0", ("Ivan Petrenko",))],
            authority_id="NLD-CA",
            now=app.now(),
        )
        uow.commit()
    second = _assert_exact(app)
    assert {scope for _, scope in second["keys"]} == {NODE_SCOPE, "BEL-CA", "NLD-CA"}
    # refiled with other names: the old names' keys and grams are taken off (R3's are gone),
    # the same names again change nothing
    _import(app, "refugees", [("R1", "Ivan Petrenko|Иван Петренко"), ("R3", "Mykola Shevchuk")])
    third = _assert_exact(app)
    assert third["keys"] != second["keys"]
    assert not any(k for k, scope in third["keys"] if scope == NODE_SCOPE and "kovalenk" in k)
    with app.unit_of_work() as uow:  # postings lost or stale (an engine change): rekey
        uow.session.execute(delete(PersonKeyRow).where(PersonKeyRow.id % 2 == 0))
        uow.session.execute(delete(PersonGramRow).where(PersonGramRow.id % 3 == 0))
        uow.commit()
    with app.unit_of_work() as uow:
        service.rekey(uow.session, register=None, actor="test", now=app.now())
        uow.commit()
    assert _assert_exact(app) == third


def test_the_frequencies_read_are_those_each_authority_may_read(app):
    """The same key counted per scope: an authority's screening reads the node's count and
    its own, never another authority's (need-to-know); the operator reads them all."""
    _import(app, "refugees", [("R1", "Ivan Petrenko")])
    with app.unit_of_work() as uow:
        for authority, n in (("BEL-CA", 3), ("NLD-CA", 5)):
            service.index_new_persons(
                uow.session,
                [PersonRecord("requests", f"{authority}#{i}", ("Ivan Petrenko",))
                 for i in range(n)],
                authority_id=authority,
                now=app.now(),
            )  # fmt: skip
        uow.commit()
    with app.unit_of_work() as uow:
        key = uow.session.scalar(select(PersonKeyRow.key).order_by(PersonKeyRow.key))
        table = PersonKeyCountRow.__table__

        def frequency(authority):
            scopes = scopes_visible_to(authority)
            return dict(service._frequencies(uow.session, table, {key, "no such key"}, scopes))

        assert frequency(None) == {key: 1}
        assert frequency("BEL-CA") == {key: 4}
        assert frequency("NLD-CA") == {key: 6}
        assert frequency("*") == {key: 9}
        assert frequency("DEU-CA") == {key: 1}
        assert service._entries(uow.session, scopes_visible_to("BEL-CA")) == 4
        assert service._entries(uow.session, scopes_visible_to(None)) == 1
        assert service._entries(uow.session, scopes_visible_to("*")) == 9


def test_the_database_still_ranks_as_the_index_with_counts_of_several_scopes(app):
    """Entries of other authorities change neither the candidates nor their scores: the
    database over what BEL-CA may read gives what an index of just those entries gives."""
    names = ["Ivan Petrenko", "Ivan Petrenko", "Ivana Petrenko", "Ivan Petrenka", "Petro Ivanenko"]
    mine = [PersonRecord("requests", f"B#{n}", (name,)) for n, name in enumerate(names)]
    theirs = [PersonRecord("requests", f"N#{n}", ("Ivan Petrenko",)) for n in range(40)]
    index = PersonIndex()
    index.add_all(mine)
    with app.unit_of_work() as uow:
        service.index_new_persons(uow.session, mine, authority_id="BEL-CA", now=app.now())
        service.index_new_persons(uow.session, theirs, authority_id="NLD-CA", now=app.now())
        uow.commit()
    _assert_exact(app)
    for query in ("Ivan Petrenko", "Іван Петренко", "Petrenko"):
        with app.unit_of_work() as uow:
            db = service.match(uow.session, PersonQuery((query,)), authority_id="BEL-CA")
        memory = index.query(PersonQuery((query,)), point=IDENTIFICATION)
        assert [(c["id"], c["score"]) for c in db] == [(c.id, c.score) for c in memory], query
        assert [c["explanation"] for c in db] == [c.explanation for c in memory]


def test_the_scale_generator_counts_what_it_writes(app):
    from judicare.scale import generate

    generate(app, 30, seed=5)
    assert _assert_exact(app)["keys"]


def test_a_session_matches_the_same_person_once_until_it_writes(app):
    """The screening page asks for the same persons twice (report, candidates): the second
    answer is the first's, a copy; after anything is written, it is asked again."""
    _import(app, "refugees", [("R1", "Ivan Petrenko")])
    query = PersonQuery(("Ivan Petrenko",))
    with app.unit_of_work() as uow:
        first = service.match(uow.session, query, authority_id=None)
        first[0]["score"] = -1  # a caller's change does not reach the next answer
        again = service.match(uow.session, query, authority_id=None)
        assert [c["id"] for c in again] == ["R1"] and again[0]["score"] > 0
        service.index_new_persons(
            uow.session,
            [PersonRecord("refugees", "R2", ("Ivan Petrenko",))],
            authority_id=None,
            now=app.now(),
        )
        assert [c["id"] for c in service.match(uow.session, query, authority_id=None)] == [
            "R1",
            "R2",
        ]


def test_counts_are_written_at_commit_and_read_meanwhile_with_the_transactions_own(app):
    """A filing's count changes wait for its commit (written at once, they locked the
    authority's scope row and common trigrams until then); meanwhile the same transaction
    reads them added to the stored counts, and a rollback drops them. Two filings by one
    authority held open together therefore do not wait for each other (PostgreSQL would
    otherwise block the second at its first count)."""
    _import(app, "refugees", [("R1", "Ivan Petrenko")])
    before = _assert_exact(app)
    scopes = scopes_visible_to("BEL-CA")
    keys = {k for k, _ in before["keys"]}

    def file(uow, ref: str) -> None:
        service.index_new_persons(
            uow.session, [PersonRecord("requests", ref, ("Ivan Petrenko",))],
            authority_id="BEL-CA", now=app.now(),
        )  # fmt: skip
        stored = _stored_counts(uow.session)  # as committed: its own are not written yet
        if app.engine.dialect.name == "postgresql":  # (SQLite: one connection at a time)
            assert stored == _stored_counts_elsewhere()
        visible = sum(n for scope, n in stored["entries"].items() if scope in scopes)
        assert service._entries(uow.session, scopes) == visible + 1  # and its own
        read = dict(service._frequencies(uow.session, PersonKeyCountRow.__table__, keys,
                                         scopes))  # fmt: skip
        assert read == {
            key: sum(n for (k, scope), n in stored["keys"].items() if k == key and scope in scopes)
            + 1
            for key in keys
        }

    def _stored_counts_elsewhere() -> dict:
        with app.engine.connect() as connection:
            from sqlalchemy.orm import Session

            return _stored_counts(Session(bind=connection))

    if app.engine.dialect.name == "postgresql":  # both open at once, then both commit
        with app.unit_of_work() as first, app.unit_of_work() as second:
            file(first, "T/7#0")
            file(second, "T/8#0")
            first.commit()
            second.commit()
    else:  # SQLite has one writer at a time: one after the other
        for ref in ("T/7#0", "T/8#0"):
            with app.unit_of_work() as uow:
                file(uow, ref)
                uow.commit()
    after = _assert_exact(app)
    assert after["entries"] == {NODE_SCOPE: 1, "BEL-CA": 2}
    with app.unit_of_work() as uow:  # rolled back: neither postings nor counts change
        service.index_new_persons(
            uow.session, [PersonRecord("requests", "T/9#0", ("Olena Kovalenko",))],
            authority_id="BEL-CA", now=app.now(),
        )  # fmt: skip
        uow.session.rollback()
        assert not uow.session.info.get(service._PENDING)
    assert _assert_exact(app) == after
