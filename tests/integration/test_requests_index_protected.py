"""What "protected" means in the index of requests (issue 17): an entry of the `requests`
register carries its request person's protected status, never the person's role. A witness
named in another request is then screened at the register's identification point and is not
kept beyond the candidates shown; a person the request says is a refugee is still screened
at the safeguard point and never crowded out. The role is read from the request's person
(screening candidates, competing requests). Migration 0050 rewrites the entries stored
before. SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from judicare.auth.service import create_user, ensure_authority, principal_of
from judicare.persons.domain import PartialDate, PersonQuery, PersonRecord
from judicare.persons.models import PersonEntryRow
from judicare.persons.service import (
    import_register,
    index_new_persons,
    match,
    parse_register_csv,
    request_person_id,
)
from judicare.requests.models import RequestPersonRow
from judicare.requests.schemas import RequestCreate
from judicare.requests.service import create_request
from tests.integration.api_support import request_body
from tests.integration.test_persons_storage import NODE_ADMIN

WITNESSES = 30  # more than the 20 candidates a screening shows
FLOOD = 550  # more than the shortlist and the safeguard's pool together (25 + 400), and
# than a page of the ranking the protected entries were once looked for in (500)
REFUGEE = "Zhanar Nurlankyzy Testbaieva"


def _person(role: str, name: str, protected: str | None = None) -> dict:
    person = {"role": role, "names": [{"name": name}], "birth_date": "1984-03",
              "nationality": "KZ"}  # fmt: skip
    if protected:
        person["protected_status"] = protected
    return person


def _register(session, officer, app, *persons: dict) -> int:
    body = RequestCreate.model_validate(request_body(persons=list(persons)))
    return create_request(session, officer, body, now=app.now(), basis=None, why="test").id


@pytest.fixture
def indexed(app):
    """BEL-CA's officer; `WITNESSES` requests naming the witness Zhanar Testbayeva, one
    naming Zhanar Testbaieva, sought, whom the request says is a refugee; `FLOOD` more
    entries of the same name in the index (as registration files them: no status); and a
    node register entry with its own status."""
    with app.unit_of_work() as uow:
        session = uow.session
        ensure_authority(session, "BEL-CA", "BEL", "test")
        officer = principal_of(create_user(session, username="o", password="x" * 12,
                                           role="officer", authority_id="BEL-CA"))  # fmt: skip
        witnesses = [
            _register(session, officer, app, _person("witness", "Zhanar Testbayeva"))
            for _ in range(WITNESSES)
        ]
        refugee = _register(session, officer, app, _person("person_sought", REFUGEE, "refugee"))
        flood = [
            PersonRecord(register="requests", id=f"T/FLOOD/{n}#{900_000 + n}",
                         names=("Zhanar Testbayeva",), birth_date=PartialDate.parse("1984-03"),
                         nationality="KAZ")
            for n in range(FLOOD)
        ]  # fmt: skip
        index_new_persons(session, flood, authority_id="BEL-CA", now=app.now())
        csv_text = (
            "id,names,birth_date,nationality,status,country_of_feared_persecution,status_date\n"
            "N1,Oleg Primerov,1971,UKR,subsidiary_protection,RUS,2022-08-01\n"
        )
        import_register(session, parse_register_csv(csv_text, "refugees"),
                        principal=NODE_ADMIN, now=app.now())  # fmt: skip
        uow.commit()
    return {"officer": officer, "witnesses": witnesses, "refugee": refugee}


def _statuses(session) -> dict[str, str | None]:
    """Each entry's status by its external id (the flood left out)."""
    return {
        external_id: status
        for external_id, status in session.execute(
            select(PersonEntryRow.external_id, PersonEntryRow.status)
        )
        if "/FLOOD/" not in external_id
    }


def _roles(session) -> dict[int, tuple[str, str | None]]:
    return {
        i: (role, protected)
        for i, role, protected in session.execute(
            select(RequestPersonRow.id, RequestPersonRow.role, RequestPersonRow.protected_status)
        )
    }


def _expected(session) -> dict[str, str | None]:
    """What 0050 makes of each entry: the protected status of its request's person; any
    other register's entry as it was."""
    roles = _roles(session)
    out = {}
    for external_id, status in _statuses(session).items():
        person = request_person_id(external_id)
        out[external_id] = roles[person][1] if person in roles else status
    return out


def test_a_request_entry_carries_the_protected_status_not_the_role(app, indexed):
    with app.unit_of_work() as uow:
        statuses = _statuses(uow.session)
        roles = _roles(uow.session)
    requests_ = {i: s for i, s in statuses.items() if request_person_id(i) is not None}
    assert len(requests_) == WITNESSES + 1
    for external_id, status in requests_.items():
        role, protected = roles[request_person_id(external_id)]
        assert status == protected  # "refugee" for the refugee, None for each witness
        assert (role == "witness") == (status is None)
    assert statuses["N1"] == "subsidiary_protection"  # a node register's own status


def test_a_witness_elsewhere_is_not_protected_and_a_refugee_is_never_crowded_out(app, indexed):
    query = PersonQuery(names=("Жанар Тестбаева",), birth_date=PartialDate.parse("1984-03"))
    with app.unit_of_work() as uow:
        found = match(uow.session, query, authority_id="BEL-CA")
    by_id = {c["id"]: c for c in found}
    refugee = [c for c in found if c["status"] == "refugee"]
    others = [c for c in found if c["status"] is None]
    # the witnesses (and the flood) are screened at the register's identification point,
    # and only the candidates shown: not kept beyond them as protected persons would be
    assert others and all(c["operating_point"] == "identification" for c in others)
    assert len(others) <= 20
    assert len(found) <= 21
    # the refugee: ranked below twenty exact namesakes, yet shown, at the safeguard point
    assert len(refugee) == 1 and refugee[0]["operating_point"] == "safeguard"
    assert refugee[0]["register"] == "requests" and by_id[refugee[0]["id"]] is refugee[0]
    assert found.index(refugee[0]) >= 20


def test_screening_candidates_and_competing_requests_read_the_role_from_the_request(app, indexed):
    from judicare.competing.service import matches
    from judicare.requests.models import RequestRow
    from judicare.screening.service import candidates_for

    officer = indexed["officer"]
    with app.unit_of_work() as uow:
        new = _register(uow.session, officer, app, _person("suspect", "Zhanar Testbayeva"))
        uow.commit()
    with app.unit_of_work() as uow:
        people = candidates_for(uow.session, officer, new)
        competing = matches(uow.session, uow.session.get(RequestRow, new))
    roles = {c.get("role") for c in people[0]["candidates"] if c["register"] == "requests"}
    # a flood entry has no request person: no role; every other is a request's witness
    assert roles <= {"witness", "person_sought", None} and "witness" in roles
    refugee_candidates = [c for c in people[0]["candidates"] if c["status"] == "refugee"]
    assert [c["role"] for c in refugee_candidates] == ["person_sought"]
    # competing: only the request whose person is sought, never those naming a witness
    assert set(competing) <= {indexed["refugee"]}
    assert not set(competing) & set(indexed["witnesses"])


def test_the_migration_takes_the_status_from_the_request_person_and_back(app, indexed):
    from alembic import command

    from judicare.db.migrate import alembic_config

    with app.unit_of_work() as uow:
        expected = _expected(uow.session)
        roles = _roles(uow.session)
        # as the code before 0050 filed them: the role as the status
        for person_id, (role, _) in roles.items():
            uow.session.execute(
                update(PersonEntryRow)
                .where(PersonEntryRow.external_id.like(f"%#{person_id}"))
                .where(PersonEntryRow.register == "requests")
                .values(status=role)
            )
        uow.commit()
    config = alembic_config(app.engine)
    command.downgrade(config, "0049")
    with app.unit_of_work() as uow:
        down = _statuses(uow.session)
    for external_id, status in down.items():  # down: the role again, as before
        person = request_person_id(external_id)
        assert status == (roles[person][0] if person in roles else expected[external_id])
    command.upgrade(config, "0050")
    with app.unit_of_work() as uow:
        assert _statuses(uow.session) == expected
        flood = uow.session.scalars(
            select(PersonEntryRow.status).where(PersonEntryRow.external_id.like("%/FLOOD/%"))
        ).all()
    assert len(flood) == FLOOD and set(flood) == {None}  # no request person: no status
    assert list(expected.values()).count("refugee") == 1


def test_the_protected_entries_sharing_a_key_are_ranked_in_one_statement(app, indexed):
    """Among hundreds of entries sharing the query's keys, the one protected entry is found
    by one statement (it was looked for a page of 500 entries at a time)."""
    from sqlalchemy import event

    from judicare.persons import service as persons
    from judicare.persons.keys import blocking_keys
    from judicare.persons.registers import scopes_visible_to

    seen = []

    def count(_conn, _cursor, statement, *_):
        seen.append(statement)

    keys = sorted(blocking_keys(("Zhanar Testbayeva",)))
    with app.unit_of_work() as uow:
        refugee = uow.session.scalars(
            select(PersonEntryRow.id).where(PersonEntryRow.status == "refugee")
        ).all()
        event.listen(app.engine, "before_cursor_execute", count)
        try:
            found = persons._protected_sharing(uow.session, keys, scopes_visible_to("BEL-CA"))
        finally:
            event.remove(app.engine, "before_cursor_execute", count)
    assert found == set(refugee) and len(refugee) == 1
    assert len(seen) == 1, seen
