"""The protected entries' names read ahead (issue 17, the screening page and the name search):
the first match of a process reads the names of every entry with a protected status into the
name reader's cache, so that a query meeting them later does not read them for the first
time. The answers do not change (the cache is keyed by the name). SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

from judicare.persons import service as persons
from judicare.persons.domain import PersonQuery
from judicare.persons.names import parse_name
from judicare.persons.scoring import parse_names
from judicare.persons.service import import_register, match, parse_register_csv
from tests.integration.test_persons_storage import NODE_ADMIN


def _unheard_of() -> str:
    """A name no test has read before: letters from a fresh UUID."""
    letters = "".join(chr(ord("a") + int(c, 16)) for c in uuid.uuid4().hex[:16])
    return f"{letters[:8].capitalize()} {letters[8:].capitalize()}"


def test_the_protected_names_are_read_ahead_and_no_others(app, monkeypatch):
    monkeypatch.setattr(persons, "_WARMING", {})  # this process has matched nothing yet
    refugee, other = _unheard_of(), _unheard_of()
    csv_text = (
        "id,names,birth_date,nationality,status,country_of_feared_persecution,status_date\n"
        f"R1,{refugee},1980,UKR,refugee,RUS,2022-08-01\n"
        f"R2,{other},1981,UKR,,,\n"
    )
    with app.unit_of_work() as uow:
        import_register(uow.session, parse_register_csv(csv_text, "refugees"),
                        principal=NODE_ADMIN, now=app.now())  # fmt: skip
        uow.commit()
    parse_name.cache_clear()  # filing them read their names (their keys): a new process
    with app.unit_of_work() as uow:  # what the first match does, before anything is met
        persons._warm_protected(uow.session)
    assert persons.protected_names_read(timeout=120)
    misses = parse_name.cache_info().misses
    parse_names((refugee,))  # read ahead: no name read for the first time
    assert parse_name.cache_info().misses == misses
    parse_names((other,))  # without a status: not read ahead
    assert parse_name.cache_info().misses > misses


def test_the_names_are_read_ahead_once_per_process_and_database(app, monkeypatch):
    monkeypatch.setattr(persons, "_WARMING", {})
    with app.unit_of_work() as uow:
        match(uow.session, PersonQuery(names=("Ivan Testov",)), authority_id=None)
        first = dict(persons._WARMING)
        match(uow.session, PersonQuery(names=("Aigerim Nurlanova",)), authority_id=None)
    assert len(first) == 1
    assert first == persons._WARMING  # the same thread, not another
    assert persons.protected_names_read(timeout=120)
