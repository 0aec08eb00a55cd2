"""The faster page queries (issues 17 and 22, bench/pages.py) answer what the plain ones
answered, within need-to-know, on SQLite and PostgreSQL: the list's total counted up to a
limit ("more than N"), the sort by deadline, the search by a part of a name, the
dashboard's counts and recent activity, competing requests in a few statements, and the
audit trail padded for the benchmark still verifies."""

from __future__ import annotations

from collections import Counter
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import String, cast, func, select

from judicare.app import FixedClock, create_app
from judicare.asgi import create_api
from judicare.audit.models import AuditEventRow
from judicare.audit.trail import verify_trail
from judicare.auth.models import UserRow
from judicare.auth.service import principal_of
from judicare.competing.service import competing_view
from judicare.requests import queries
from judicare.requests.models import (
    AssignmentRow,
    DeadlineRow,
    PersonNameRow,
    RequestPersonRow,
    RequestRow,
)
from judicare.requests.service import fold
from judicare.scale import generate, pad_audit
from judicare.settings import Settings
from judicare.web import request_pages
from tests.conftest import TODAY, _create_postgres_database, _drop_postgres_database
from tests.integration.web_support import WebUser

NOW = FixedClock(TODAY).now()
COUNT = 120
PADDED = 300


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def scaled(request, tmp_path_factory):
    from judicare.bootstrap import upgrade_database

    where = tmp_path_factory.mktemp("pages")
    url = (
        f"sqlite:///{where / 'pages.db'}" if request.param == "sqlite"
        else _create_postgres_database()
    )  # fmt: skip
    app = create_app(
        Settings(database_url=url, environment="test", data_dir=where,
                 node_keys_dir=where / "keys"),
        clock=FixedClock(TODAY),
    )  # fmt: skip
    upgrade_database(app)
    generate(app, COUNT, seed=5)
    with app.unit_of_work() as uow:  # one request of the other authority assigned to anna
        session = uow.session
        anna = session.scalar(select(UserRow.id).where(UserRow.username == "anna.officer"))
        other = session.scalar(
            select(RequestRow.id).where(RequestRow.authority_id == "NLD-CA").limit(1)
        )
        session.add(AssignmentRow(request_id=other, user_id=anna))
        uow.commit()
    yield app
    app.dispose()
    if request.param == "postgresql":
        _drop_postgres_database(url)


def _who(session, username: str):
    return principal_of(session.scalar(select(UserRow).where(UserRow.username == username)))


def _visible(session, who) -> list[RequestRow]:
    """Need-to-know, the slow way: every request, tested one by one."""
    assigned = set(
        session.scalars(
            select(AssignmentRow.request_id).where(AssignmentRow.user_id == who.user_id)
        )
    )
    return [
        r
        for r in session.scalars(select(RequestRow))
        if r.authority_id == who.authority_id or r.id in assigned
    ]


def _list(session, who, **filters):
    return queries.list_requests(
        session, who, queries.RequestFilters(**filters), today=TODAY, now=NOW, why="test"
    )


def test_padding_the_trail_keeps_the_chain(scaled):
    app = scaled
    with app.unit_of_work() as uow:
        before = uow.session.scalar(select(func.count()).select_from(AuditEventRow))
    assert pad_audit(app, PADDED, seed=3) == PADDED
    with app.unit_of_work() as uow:
        report = verify_trail(uow.session, app.audit_anchor)
        after = uow.session.scalar(select(func.count()).select_from(AuditEventRow))
    assert report.problems == []
    assert after == before + PADDED
    assert pad_audit(app, 0) == 0


def test_the_list_total_is_exact_or_more_than_the_limit(scaled):
    with scaled.unit_of_work() as uow:
        session = uow.session
        who = _who(session, "anna.officer")
        visible = len(_visible(session, who))
        exact = _list(session, who, limit=5)
        assert exact["total"] == visible and exact["total_capped"] is False
        capped = _list(session, who, limit=5, offset=10, count_limit=20)
        assert capped["total"] == 35 and capped["total_capped"] is True  # 10 + 5 + 20
        enough = _list(session, who, limit=5, count_limit=visible)
        assert enough["total"] == visible and enough["total_capped"] is False


def test_the_sort_by_deadline_puts_the_earliest_first_and_none_last(scaled):
    with scaled.unit_of_work() as uow:
        session = uow.session
        who = _who(session, "anna.officer")
        earliest = dict(
            session.execute(
                select(DeadlineRow.request_id, func.min(DeadlineRow.due)).group_by(
                    DeadlineRow.request_id
                )
            ).all()
        )
        rows = _visible(session, who)
        for descending in (False, True):
            with_due = sorted(
                (r for r in rows if r.id in earliest),
                key=lambda r: (earliest[r.id], r.id),
                reverse=descending,
            )
            without = sorted(
                (r for r in rows if r.id not in earliest), key=lambda r: r.id, reverse=descending
            )
            expected = [r.id for r in with_due + without]
            got = _list(session, who, limit=100, sort="deadline", descending=descending)
            assert [i["id"] for i in got["items"]] == expected[:100]


def test_the_generator_stores_each_request_s_earliest_deadline(scaled):
    with scaled.unit_of_work() as uow:
        session = uow.session
        earliest = dict(
            session.execute(
                select(DeadlineRow.request_id, func.min(DeadlineRow.due)).group_by(
                    DeadlineRow.request_id
                )
            ).all()
        )
        stored = dict(session.execute(select(RequestRow.id, RequestRow.next_due)).all())
    assert stored == {request_id: earliest.get(request_id) for request_id in stored}
    assert any(v is None for v in stored.values()) and any(stored.values())


def test_the_name_search_finds_every_visible_request_with_that_name(scaled):
    with scaled.unit_of_work() as uow:
        session = uow.session
        who = _who(session, "anna.officer")
        visible = {r.id for r in _visible(session, who)}
        for script in ("LATIN", "CYRILLIC"):
            name = session.scalar(
                select(PersonNameRow.name)
                .join(RequestPersonRow, RequestPersonRow.id == PersonNameRow.person_id)
                .join(RequestRow, RequestRow.id == RequestPersonRow.request_id)
                .where(PersonNameRow.script == script, RequestRow.authority_id == "BEL-CA")
                .order_by(PersonNameRow.id)
                .limit(1)
            )
            part = fold(name)[1:-1]
            holding = {
                request_id
                for request_id, folded in session.execute(
                    select(RequestPersonRow.request_id, PersonNameRow.name_folded).join(
                        PersonNameRow, PersonNameRow.person_id == RequestPersonRow.id
                    )
                )
                if part in folded
            }
            found = _list(session, who, person=part, limit=100)
            ids = {i["id"] for i in found["items"]}
            assert holding & visible <= ids, script
            assert ids <= visible and found["total"] == len(ids)
            assert all(
                i["id"] in holding or i["person_match"]["how"] == "person engine"
                for i in found["items"]
            )


@pytest.mark.parametrize("username", ["anna.officer", "pieter.officer"])
def test_dashboard_counts_and_recent_activity_are_those_of_the_requests_i_may_see(
    scaled, username, monkeypatch
):
    with scaled.unit_of_work() as uow:
        session = uow.session
        who = _who(session, username)
        visible = _visible(session, who)
        assert queries.status_counts(session, who) == dict(Counter(r.status for r in visible))
        mine = select(cast(RequestRow.id, String)).where(queries.visible_to(who))
        expected = [
            e.seq
            for e in session.scalars(
                select(AuditEventRow)
                .where(AuditEventRow.subject_type == "request")
                .where(AuditEventRow.subject_id.in_(mine))
                .order_by(AuditEventRow.seq.desc())
                .limit(15)
            )
        ]
        assert [e["seq"] for e in queries.recent_activity(session, who)] == expected
        # small batches: several of them, then the one statement over the rest of the trail
        monkeypatch.setattr(queries, "RECENT_BATCH", 3)
        monkeypatch.setattr(queries, "RECENT_BATCHES", 2)
        assert [e["seq"] for e in queries.recent_activity(session, who)] == expected


def test_competing_requests_shown_up_to_a_limit_say_how_many_more(scaled):
    with scaled.unit_of_work() as uow:
        session = uow.session
        who = _who(session, "anna.officer")
        visible = {r.id for r in _visible(session, who)}
        found = None
        for request_id in sorted(visible):
            whole = competing_view(session, who, request_id, now=scaled.now(), why="test")
            if len(whole["competing"]) > 2:
                found = request_id
                break
        assert found is not None, "the synthetic documents make competing requests"
        assert {c["request_id"] for c in whole["competing"]} <= visible
        assert whole["more"] == 0
        short = competing_view(session, who, found, now=scaled.now(), why="test", limit=2)
        assert len(short["competing"]) == 2
        assert short["more"] == len(whole["competing"]) - 2
        assert short["competing"] == [
            c
            for c in whole["competing"]
            if c["request_id"] in {s["request_id"] for s in short["competing"]}
        ]


def test_the_list_page_says_more_than_when_the_count_stops(scaled, monkeypatch):
    monkeypatch.setattr(request_pages, "COUNTED_AHEAD", 10)
    officer = WebUser(SimpleNamespace(client=TestClient(create_api(scaled))), "anna.officer")
    page = officer.get("/requests")
    assert page.status_code == 200
    assert "more than 35 requests" in page.text  # 25 on the page and 10 counted ahead
    assert "Page 1 of more than 2" in page.text
    french = officer.get("/requests?lang=fr").text
    assert "plus de 35 demandes" in french
