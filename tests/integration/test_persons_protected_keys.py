"""The protected entries' postings (`person_protected_keys`, migration 0053): the database
keeps them equal to the postings of the entries with a status (a refugee and the like),
whatever writes the postings or the statuses, on SQLite and PostgreSQL. A screening ranks
the protected entries sharing a key of the query from them (`persons.service.
_protected_query`): a posting missing there would let a protected person be crowded out.

Each case below does one kind of write and checks that the table is the join of the
postings with the entries that have a status, row for row. (That a refugee sharing only a
common key is still ranked: `test_persons_storage.test_a_refugee_is_never_crowded_out_by_
many_entries_with_the_same_name` and `test_persons_db_retrieval`.)"""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, text, update

from judicare.auth.permissions import Principal, Role
from judicare.persons.models import PersonEntryRow, PersonKeyRow, PersonProtectedKeyRow
from judicare.persons.service import import_register, parse_register_csv, rekey

NODE_ADMIN = Principal(0, "test", Role.NODE_ADMIN, "")
REGISTER = (
    "id,names,birth_date,nationality,status,country_of_feared_persecution,status_date\n"
    "P1,Иван Петренко|Ivan Petrenko,1970,UKR,refugee,RUS,2020-01-01\n"
    "P2,Oleg Primerov,1971,UKR,subsidiary_protection,RUS,2022-08-01\n"
    "P3,Ivan Petrov,1975,UKR,,,\n"
    "P4,Sami al-Mithal,1979-11-02,SYR,,,\n"
)


def _kept(session) -> set[tuple]:
    rows = session.execute(
        select(
            PersonProtectedKeyRow.posting_id,
            PersonProtectedKeyRow.key,
            PersonProtectedKeyRow.scope,
            PersonProtectedKeyRow.entry_id,
        )
    )
    return {tuple(row) for row in rows}


def _joined(session) -> set[tuple]:
    rows = session.execute(
        select(PersonKeyRow.id, PersonKeyRow.key, PersonKeyRow.scope, PersonKeyRow.entry_id)
        .join(PersonEntryRow, PersonEntryRow.id == PersonKeyRow.entry_id)
        .where(PersonEntryRow.status.is_not(None))
    )
    return {tuple(row) for row in rows}


def _entry(session, external_id: str) -> int:
    return session.scalar(
        select(PersonEntryRow.id).where(PersonEntryRow.external_id == external_id)
    )


def _entries_kept(session) -> set[int]:
    return {entry for *_, entry in _kept(session)}


def _imported(app, csv_text: str = REGISTER) -> None:
    with app.unit_of_work() as uow:
        import_register(uow.session, parse_register_csv(csv_text, "kept-test"),
                        principal=NODE_ADMIN, now=app.now())  # fmt: skip
        uow.commit()


def test_an_import_keeps_the_postings_of_the_protected_entries_only(app):
    _imported(app)
    with app.unit_of_work() as uow:
        kept = _kept(uow.session)
        assert kept and kept == _joined(uow.session)
        assert _entries_kept(uow.session) == {_entry(uow.session, "P1"), _entry(uow.session, "P2")}


def test_a_reimport_with_new_names_replaces_them(app):
    _imported(app)
    _imported(app, REGISTER.replace("Ivan Petrenko", "Iwan Petrenko").replace(
        "Oleg Primerov", "Oleh Prymerov"))  # fmt: skip
    with app.unit_of_work() as uow:
        kept = _kept(uow.session)
        assert kept == _joined(uow.session)
        keys = {key for _, key, _, _ in kept}
        assert not any("primerov" in key.lower() for key in keys)


@pytest.mark.parametrize(
    ("status", "kept"),
    [
        ("refugee", True),  # a status given: its postings are kept
        (None, False),  # taken away: they are not
    ],
)
def test_a_status_given_or_taken_away_by_an_update(app, status, kept):
    _imported(app)
    with app.unit_of_work() as uow:
        p3, p1 = _entry(uow.session, "P3"), _entry(uow.session, "P1")
        changed = p3 if status else p1
        uow.session.execute(
            update(PersonEntryRow).where(PersonEntryRow.id == changed).values(status=status)
        )
        uow.commit()
    with app.unit_of_work() as uow:
        assert _kept(uow.session) == _joined(uow.session)
        assert (changed in _entries_kept(uow.session)) is kept


def test_a_status_changed_for_another_keeps_the_postings(app):
    _imported(app)
    with app.unit_of_work() as uow:
        p2 = _entry(uow.session, "P2")
        before = {row for row in _kept(uow.session) if row[3] == p2}
        uow.session.execute(
            update(PersonEntryRow).where(PersonEntryRow.id == p2).values(status="refugee")
        )
        uow.commit()
    with app.unit_of_work() as uow:
        assert {row for row in _kept(uow.session) if row[3] == p2} == before != set()


def test_postings_deleted_then_made_again_by_rekey(app):
    _imported(app)
    with app.unit_of_work() as uow:
        p1 = _entry(uow.session, "P1")
        uow.session.execute(delete(PersonKeyRow).where(PersonKeyRow.entry_id == p1))
        uow.commit()
    with app.unit_of_work() as uow:
        assert p1 not in _entries_kept(uow.session)
        assert _kept(uow.session) == _joined(uow.session)
        rekey(uow.session, register="kept-test", actor="test", now=app.now())
        uow.commit()
    with app.unit_of_work() as uow:
        assert p1 in _entries_kept(uow.session)
        assert _kept(uow.session) == _joined(uow.session)


def test_a_posting_rewritten_in_place_follows(app):
    _imported(app)
    with app.unit_of_work() as uow:
        p1, p3 = _entry(uow.session, "P1"), _entry(uow.session, "P3")
        posting = uow.session.scalar(
            select(PersonKeyRow.id).where(PersonKeyRow.entry_id == p1).limit(1)
        )
        uow.session.execute(
            update(PersonKeyRow).where(PersonKeyRow.id == posting).values(key="s:rewritten")
        )
        other = uow.session.scalar(
            select(PersonKeyRow.id).where(PersonKeyRow.entry_id == p3).limit(1)
        )
        uow.session.execute(  # moved to a protected entry
            update(PersonKeyRow).where(PersonKeyRow.id == other).values(entry_id=p1)
        )
        uow.commit()
    with app.unit_of_work() as uow:
        kept = _kept(uow.session)
        assert kept == _joined(uow.session)
        assert (posting, "s:rewritten") in {(row[0], row[1]) for row in kept}
        assert other in {row[0] for row in kept}


def test_the_migration_fills_it_from_the_postings_there_and_its_downgrade_drops_it(app):
    from alembic import command
    from sqlalchemy import inspect

    from judicare.db.migrate import alembic_config

    _imported(app)
    config = alembic_config(app.engine)
    command.downgrade(config, "0052")
    assert "person_protected_keys" not in inspect(app.engine).get_table_names()
    _imported(app, REGISTER.replace("P4,Sami", "P5,Samir"))  # no trigger left: nothing fails
    command.upgrade(config, "head")
    with app.unit_of_work() as uow:
        after = _kept(uow.session)
        assert after and after == _joined(uow.session)
        count = uow.session.execute(text("SELECT count(*) FROM person_protected_keys"))
        assert count.scalar_one() == len(after)
