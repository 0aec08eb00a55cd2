"""How many statements the screening page and the search by a person's name issue (issue 17,
bench/pages.py "screening", "search latin", "search cyrillic"): the request screened is read
once with its persons' names in one statement (not one per person) and its need-to-know
scope once; the person engine reads the numbers of entries, of keys and of trigrams in one
statement, and the status of the protected entries with their ranking, not after it. The
answers themselves are the other tests' (test_persons_db_retrieval.py: the database answers
as the in-memory index). Counted with a SQLAlchemy event listener, on SQLite and PostgreSQL;
no timing."""

from __future__ import annotations

import re
from collections import Counter
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from judicare.persons import service as persons
from judicare.persons.domain import PersonRecord
from judicare.persons.fallback import grams_of, query_forms
from judicare.persons.keys import blocking_keys
from judicare.persons.models import PersonGramCountRow, PersonKeyCountRow
from judicare.persons.registers import scopes_visible_to
from judicare.requests.models import PersonNameRow, RequestPersonRow
from tests.integration.api_support import OTHER, request_body
from tests.integration.web_support import WebUser

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

TABLE = re.compile(r"\b(?:FROM|JOIN)\s+([a-z_]+)")
COUNTS = {"person_scope_counts", "person_key_counts", "person_gram_counts"}
ENGINE = {"person_entries", "person_keys", "person_grams", "person_adjudications", *COUNTS}


@contextmanager
def counted(engine):
    """The statements run on `engine` in the block: by each table they read (a statement
    reading two tables counts for both), those reading the person engine's counts or any of
    its tables, and "statements" in all."""
    seen: Counter[str] = Counter()

    def count(_conn, _cursor, statement, _params, _context, _many):
        words = statement.split()
        if words[0] in ("BEGIN", "SAVEPOINT", "RELEASE"):  # SQLite's own, not reads
            return
        seen["statements"] += 1
        tables = set(TABLE.findall(" ".join(words)))
        for table in tables:
            seen[table] += 1
        seen["counts statements"] += bool(tables & COUNTS)
        seen["engine statements"] += bool(tables & ENGINE)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _two_persons(demo_api) -> int:
    """A request of anna's authority naming three persons."""
    body = request_body()
    body["persons"] = [
        *body["persons"],
        {"role": "suspect", "names": [{"name": "Ivan Testov"}], "nationality": "KZ"},
        {"role": "victim", "names": [{"name": "Aigerim Nurlanova"}]},
    ]
    return int(demo_api.create(**body)["id"])


def test_the_screening_page_reads_the_persons_names_and_the_scope_once(demo_api):
    request_id = _two_persons(demo_api)
    officer = WebUser(demo_api, "anna.officer")
    officer.get(f"/requests/{request_id}/screening")  # warm: the legal basis' data
    with counted(demo_api.app.engine) as seen:
        page = officer.get(f"/requests/{request_id}/screening")
    assert page.status_code == 200
    assert "Ivan Testov" in page.text and "Aigerim Nurlanova" in page.text
    # one statement for the three persons' names (was one per person), the scope once
    # (was once for the report and once for the candidates)
    assert seen["person_names"] == 1, seen
    assert seen["request_assignments"] == 1, seen
    # the counts of the person engine: one statement per person screened (was three)
    assert seen["counts statements"] == 3, seen
    # and another authority's request is still refused (not found) to her
    other = demo_api.create(authority=OTHER)["id"]
    assert officer.get(f"/requests/{other}/screening").status_code == 404


def test_a_search_by_name_reads_the_counts_once_and_the_entries_in_few_statements(demo_api):
    for _ in range(3):  # a few requests about the same person: entries sharing keys
        demo_api.create()
    officer = WebUser(demo_api, "anna.officer")
    officer.get("/requests", params={"person": "Zhanar Testbayeva"})  # warm
    with counted(demo_api.app.engine) as seen:
        page = officer.get("/requests", params={"person": "Zhanar Testbayeva"})
    assert page.status_code == 200
    # the counts: one statement (was three)
    assert seen["counts statements"] == 1, seen
    # the person engine in all: the counts, the keys' and the trigrams' postings, the
    # entries' register by rank, the trigram candidates' register, the ranking of the
    # protected entries with their status, the entries to score and the decisions taken:
    # 8 at most (was 11 to 12: the counts read apart, the status of the protected entries
    # after their ranking, the wider net apart from the entries to score)
    assert seen["engine statements"] <= 8, seen
    # the keys' and the trigrams' postings and the protected entries sharing a key: one
    # statement (was three), which reads both posting tables
    assert seen["person_keys"] == seen["person_grams"] == 1, seen
    assert seen["engine statements"] <= 6, seen


def test_the_screening_page_reads_the_roles_of_the_persons_found_once(demo_api):
    """The report and the candidates beside it match the same persons (once, `match`'s
    memo) and read the roles of the persons found in other requests: once (was twice)."""
    request_id = _two_persons(demo_api)
    officer = WebUser(demo_api, "anna.officer")
    officer.get(f"/requests/{request_id}/screening")  # warm: the legal basis' data
    roles = re.compile(r"SELECT request_persons\.id, request_persons\.role\s+FROM request_persons")
    seen: list[str] = []

    def count(_conn, _cursor, statement, parameters, *_):
        if roles.match(statement):
            seen.append(repr(parameters))

    event.listen(demo_api.app.engine, "before_cursor_execute", count)
    try:
        page = officer.get(f"/requests/{request_id}/screening")
    finally:
        event.remove(demo_api.app.engine, "before_cursor_execute", count)
    assert page.status_code == 200 and "finding-recorded" in page.text  # found elsewhere
    assert seen and len(seen) == len(set(seen)), seen  # each person's once, not twice


def test_counts_in_one_statement_are_the_entries_and_frequencies(demo_api):
    """`_counts` answers as `_entries` and `_frequencies` (which the counts tests check
    against the postings), this transaction's own filing, not yet written, included."""
    demo_api.create()
    app = demo_api.app
    with app.unit_of_work() as uow:
        session = uow.session
        keys = set(session.scalars(select(PersonKeyCountRow.key).limit(20)))
        keys.add("no such key")
        names = session.scalars(select(PersonNameRow.name).join(RequestPersonRow).limit(3)).all()
        grams = grams_of(query_forms(tuple(names)))
        # a filing of this transaction, its counts not yet written: read with them
        persons.index_new_persons(
            session,
            [PersonRecord("requests", "T/9#0", (names[0], "Ivan Petrenko"))],
            authority_id="BEL-CA",
            now=app.now(),
        )
        keys |= blocking_keys(("Ivan Petrenko",))
        assert session.info.get(persons._PENDING)  # not yet written
        read = []
        for authority in ("BEL-CA", None, "*"):
            scopes = scopes_visible_to(authority)
            total, by_key, by_gram = persons._counts(session, keys, grams, scopes)
            assert total == persons._entries(session, scopes)
            assert by_key == persons._frequencies(
                session, PersonKeyCountRow.__table__, keys, scopes
            )
            assert by_gram == persons._frequencies(
                session, PersonGramCountRow.__table__, grams, scopes
            )
            read.append(bool(by_key and by_gram))
    assert any(read)  # something was compared
