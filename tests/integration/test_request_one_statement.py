"""On PostgreSQL a request and its parts are inserted in one statement
(`requests.registration._insert_in_one_statement`, issue 22): it stores exactly what the
statements per table store, value for value and type for type (the JSON columns' text
included), and refuses a NUL character as they do."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from judicare.requests import registration

PERSONS = [
    {"role": "witness", "birth_date": "1984-03", "nationality": "KZ",
     "names": [{"name": "Жанар Тестбаева"},
               {"name": "Zhanar Testbayeva", "form": "romanisation", "system": "BGN/PCGN"}]},
    {"role": "suspect", "protected_status": "refugee",
     "names": [{"name": "Ali Testname"}],
     "identity_documents": [{"kind": "passport", "number": "P-123", "issuing_state": "TR"},
                            {"kind": "identity card", "number": "ID-9"}]},
    {"role": "victim", "names": [{"name": "Anna Third"}]},
]  # fmt: skip
BODIES = [
    {"persons": PERSONS, "crimes": ["war_crimes", "torture"], "requesting_reference": "R/1",
     "measures": [{"measure": "hearing_witness", "details": "by video"},
                  {"measure": "hearing_witness"}]},
    {"kind": "extradition", "measures": [], "persons": PERSONS[1:2],
     "extradition": {"warrant_kind": "arrest_warrant", "offence_time": "1995"}},
    {"persons": [], "measures": [], "requested_execution_date": None},
]  # fmt: skip


def _stored(connection, request_id: int) -> dict:
    """What was stored for the request, without ids and the random reference."""

    def rows(sql: str) -> list[dict]:
        return [dict(r._mapping) for r in connection.execute(text(sql), {"id": request_id})]

    persons = "SELECT id FROM request_persons WHERE request_id = :id"
    return {
        "request": rows(
            "SELECT *, crimes::text AS crimes_text, legal_basis_answer::text AS answer_text, "
            "extradition::text AS extradition_text, pg_typeof(extradition)::text AS json_type "
            "FROM requests WHERE id = :id"
        ),
        "measures": rows("SELECT measure, details FROM request_measures "
                         "WHERE request_id = :id ORDER BY id"),
        "deadlines": rows("SELECT kind, due, citation, source_url, note FROM request_deadlines "
                          "WHERE request_id = :id ORDER BY id"),
        "persons": rows("SELECT role, birth_date, nationality, protected_status "
                        "FROM request_persons WHERE request_id = :id ORDER BY id"),
        "names": rows("SELECT p.role, n.name, n.name_folded, n.form, n.script, n.system "
                      "FROM person_names n JOIN request_persons p ON p.id = n.person_id "
                      f"WHERE n.person_id IN ({persons}) ORDER BY p.id, n.id"),
        "documents": rows("SELECT p.role, d.kind, d.number, d.issuing_state "
                          "FROM identity_documents d JOIN request_persons p ON p.id = d.person_id "
                          f"WHERE d.person_id IN ({persons}) ORDER BY p.id, d.id"),
    }  # fmt: skip


@pytest.mark.parametrize("body", BODIES, ids=["rich", "extradition", "bare"])
def test_one_statement_stores_what_the_statements_per_table_store(demo_api, monkeypatch, body):
    if demo_api.app.engine.dialect.name != "postgresql":
        pytest.skip("one statement on PostgreSQL only; SQLite inserts per table")
    one = demo_api.create(**body)
    monkeypatch.setattr(registration, "_insert_in_one_statement", registration._insert_per_table)
    per_table = demo_api.create(**body)
    assert [p["id"] for p in one["persons"]] == sorted(p["id"] for p in one["persons"])
    with demo_api.app.engine.connect() as connection:
        stored = [_stored(connection, created["id"]) for created in (one, per_table)]
    for request in (stored[0]["request"][0], stored[1]["request"][0]):
        assert request["created_at"] == request["updated_at"]
        # drawn at random (the reference, in the search text) or read from the app's clock,
        # which ticks between the two creates
        for key in ("id", "reference", "search_text", "created_at", "updated_at"):
            request.pop(key)
    first, second = stored[0]["request"][0], stored[1]["request"][0]
    assert {k: (v, second.get(k)) for k, v in first.items() if second.get(k) != v} == {}
    assert stored[0] == stored[1]
    assert len(stored[0]["persons"]) == len(body["persons"])
    assert len(stored[0]["names"]) == sum(len(p["names"]) for p in body["persons"])
    # what the API answered names the persons' stored ids
    with demo_api.app.engine.connect() as connection:
        ids = (
            connection.execute(
                text("SELECT id FROM request_persons WHERE request_id = :id ORDER BY id"),
                {"id": one["id"]},
            )
            .scalars()
            .all()
        )
    assert [p["id"] for p in one["persons"]] == ids


def test_a_nul_character_is_refused_and_nothing_is_sent(demo_api):
    """The API's guard refuses a NUL in the JSON first; a request registered another way
    (a form, a peer's message) is refused before the statement, as the engine's check of
    compiled statements refuses one (`db.engine._refuse_nul`), with the column named."""
    from judicare.auth.models import UserRow
    from judicare.auth.service import principal_of
    from judicare.errors import UnstorableText
    from judicare.requests.schemas import RequestCreate
    from tests.integration.api_support import OWN, request_body

    app = demo_api.app
    data = RequestCreate(**request_body(requesting_reference="R\u00001"))
    with app.unit_of_work() as uow:
        user = uow.session.get(UserRow, demo_api.user_ids[("officer", OWN)])
        assert user is not None
        before = uow.session.execute(text("SELECT count(*) FROM requests")).scalar_one()
        with pytest.raises(UnstorableText, match="requesting_reference contains a NUL"):
            registration.create_request(
                uow.session, principal_of(user), data, now=app.now(), basis=None, why="test"
            )
    with app.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM requests")).scalar_one() == before
