"""The person index's postings of a request just registered (issue 22): each person's
blocking keys and trigrams, with its entry and scope, are what `keys.blocking_keys` and
`fallback.record_grams` give for its names, on SQLite (a row per posting) and on PostgreSQL
(all of them in one statement, each table's rows as arrays)."""

from __future__ import annotations

from sqlalchemy import select

from judicare.persons.fallback import record_grams
from judicare.persons.keys import blocking_keys
from judicare.persons.models import PersonEntryRow, PersonGramRow, PersonKeyRow
from tests.integration.api_support import request_body

PERSONS = [
    {"role": "witness", "names": [{"name": "Жанар Тестбаева"},
                                  {"name": "Zhanar Testbayeva", "form": "romanisation"}]},
    {"role": "suspect", "names": [{"name": "Postings O'Neill-Ørsted"}]},
    {"role": "victim", "names": [{"name": "Ли"}]},
]  # fmt: skip


def test_a_registered_requests_postings_are_its_persons_keys_and_trigrams(demo_api):
    headers = demo_api.headers("officer", **{"Idempotency-Key": "postings-create-1"})
    response = demo_api.client.post(
        "/api/v1/requests", json=request_body(persons=PERSONS), headers=headers
    )
    assert response.status_code == 201, response.text
    reference = response.json()["reference"]
    with demo_api.app.unit_of_work() as uow:
        entries = uow.session.execute(
            select(PersonEntryRow.id, PersonEntryRow.names, PersonEntryRow.authority_id)
            .where(PersonEntryRow.external_id.like(f"{reference}#%"))
            .order_by(PersonEntryRow.id)
        ).all()
        ids = [entry.id for entry in entries]
        keys = uow.session.execute(
            select(PersonKeyRow.entry_id, PersonKeyRow.key, PersonKeyRow.scope).where(
                PersonKeyRow.entry_id.in_(ids)
            )
        ).all()
        grams = uow.session.execute(
            select(PersonGramRow.entry_id, PersonGramRow.gram, PersonGramRow.scope).where(
                PersonGramRow.entry_id.in_(ids)
            )
        ).all()
    assert len(entries) == len(PERSONS)
    scopes = {entry.authority_id for entry in entries}
    assert len(scopes) == 1
    scope = {row.scope for row in keys + grams}
    assert len(scope) == 1  # the request's authority's entries: one scope
    expected_keys = sorted(
        (entry.id, key) for entry in entries for key in blocking_keys(tuple(entry.names))
    )
    expected_grams = sorted(
        (entry.id, gram) for entry in entries for gram in record_grams(tuple(entry.names))
    )
    assert expected_keys and expected_grams
    assert sorted((row.entry_id, row.key) for row in keys) == expected_keys
    assert sorted((row.entry_id, row.gram) for row in grams) == expected_grams
