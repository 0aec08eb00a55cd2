"""How many statements the request page and the portal's home issue (issues 17 and 22,
bench/pages.py): the request is read once for the page and its need-to-know scope once,
whatever the number of parts that check it; the portal's home reads the notifications of
every instrument in one statement and no depositary action. Counted with a SQLAlchemy
event listener, on SQLite and PostgreSQL; no timing."""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from judicare.requests.access import scope_of, scopes_kept
from judicare.requests.models import RequestPersonRow, RequestRow
from tests.integration.api_support import OTHER
from tests.integration.web_support import WebUser

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@contextmanager
def counted(engine):
    """The statements run on `engine` in the block, by the table they read first."""
    seen: Counter[str] = Counter()

    def count(_conn, _cursor, statement, _params, _context, _many):
        words = statement.split()
        if words[0] in ("BEGIN", "SAVEPOINT", "RELEASE"):  # SQLite's own, not reads
            return
        table = words[words.index("FROM") + 1] if "FROM" in words else words[0]
        seen[table] += 1
        if table == "requests" and "WHERE requests.id = " in " ".join(words):
            seen["one request by id"] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_the_request_page_reads_the_request_and_its_scope_once(demo_api):
    app = demo_api.app
    with app.unit_of_work() as uow:  # a demo request of anna's authority with persons
        request_id = uow.session.scalar(
            select(RequestRow.id)
            .join(RequestPersonRow, RequestPersonRow.request_id == RequestRow.id)
            .where(RequestRow.authority_id == "BEL-CA")
            .order_by(RequestRow.id)
            .limit(1)
        )
    assert request_id is not None
    officer = WebUser(demo_api, "anna.officer")
    with counted(app.engine) as seen:
        page = officer.get(f"/requests/{request_id}")
    assert page.status_code == 200
    assert seen["one request by id"] == 1, seen  # (the other reads are competing requests)
    assert seen["request_assignments"] == 1, seen
    assert seen["person_names"] == 1 and seen["identity_documents"] == 1, seen
    # and another authority's request is still refused (not found) to her
    other = demo_api.create(authority=OTHER)["id"]
    assert officer.get(f"/requests/{other}").status_code == 404


def test_a_scope_is_read_once_within_the_block_and_again_outside(demo_api):
    app = demo_api.app
    with app.unit_of_work() as uow:
        session = uow.session
        row = session.scalars(select(RequestRow).order_by(RequestRow.id).limit(1)).one()
        with counted(app.engine) as inside, scopes_kept(session):
            first = scope_of(session, row)
            with scopes_kept(session):  # nested: the outer block's
                assert scope_of(session, row) == first
        assert inside["request_assignments"] == 1
        with counted(app.engine) as outside:
            assert scope_of(session, row) == first
            scope_of(session, row)
        assert outside["request_assignments"] == 2


def test_the_portal_home_reads_the_notifications_in_one_statement(demo_api):
    client = WebUser(demo_api).client
    with counted(demo_api.app.engine) as seen:
        home = client.get("/public/en/index.html")
    assert home.status_code == 200
    assert seen == Counter({"depositary_notifications": 1}), seen
