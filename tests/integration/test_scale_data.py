"""`judicare demo --scale N` (issue 22): synthetic requests written in bulk are the rows the
services would have written. The audit chain holds, the lists, the filters, the person
search (a name in its own script or romanised) and the request page work on them, and
their documents open."""

from __future__ import annotations

import hashlib
from collections import Counter

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from judicare import scale
from judicare.app import FixedClock, create_app
from judicare.asgi import create_api
from judicare.audit.models import AuditEventRow
from judicare.audit.service import AuditAction, record
from judicare.audit.trail import verify_trail
from judicare.auth.models import UserRow
from judicare.auth.service import issue_token, principal_of
from judicare.bootstrap import upgrade_database
from judicare.errors import Conflict
from judicare.requests.models import DocumentRow, PersonNameRow, RequestPersonRow, RequestRow
from judicare.scale import _aware, generate
from judicare.settings import Settings
from tests.conftest import TODAY, _create_postgres_database, _drop_postgres_database

COUNT = 150


def _scale_app(url: str, where):
    """An application on `url` with its files under `where`, at the tests' fixed date."""
    return create_app(
        Settings(database_url=url, environment="test", data_dir=where,
                 node_keys_dir=where / "keys"),
        clock=FixedClock(TODAY),
    )  # fmt: skip


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def scaled(request, tmp_path_factory):
    where = tmp_path_factory.mktemp("scale")
    if request.param == "sqlite":
        url = f"sqlite:///{where / 'scale.db'}"
    else:
        url = _create_postgres_database()
    app = _scale_app(url, where)
    upgrade_database(app)
    result = generate(app, COUNT, seed=7)
    yield app, result
    app.dispose()
    if request.param == "postgresql":
        _drop_postgres_database(url)


def _token(app, username: str) -> dict:
    with app.unit_of_work() as uow:
        user = uow.session.scalar(select(UserRow).where(UserRow.username == username))
        token = issue_token(uow.session, principal_of(user), now=app.now())
        uow.commit()
    return {"Authorization": f"Bearer {token}"}


def test_the_rows_are_whole_and_the_audit_chain_holds(scaled):
    app, result = scaled
    assert result.requests == COUNT
    with app.unit_of_work() as uow:
        session = uow.session
        report = verify_trail(session, app.audit_anchor)
        assert report.problems == []
        assert report.entries >= result.audit_entries + 1
        statuses = Counter(session.scalars(select(RequestRow.status)))
        kinds = Counter(session.scalars(select(RequestRow.kind)))
        scripts = set(session.scalars(select(PersonNameRow.script)))
        persons = session.scalar(select(func.count()).select_from(RequestPersonRow))
    assert len(statuses) >= 8 and len(kinds) >= 3
    assert {"CYRILLIC", "ARABIC", "LATIN"} <= scripts and len(scripts) >= 6
    assert persons >= COUNT


def test_lists_filters_person_search_and_pages_work_on_synthetic_requests(scaled):
    app, _ = scaled
    client = TestClient(create_api(app))
    headers = {**_token(app, "anna.officer"), "X-Purpose": "test: scale"}
    with app.unit_of_work() as uow:
        session = uow.session
        row = session.execute(
            select(RequestRow.id, PersonNameRow.name)
            .join(RequestPersonRow, RequestPersonRow.request_id == RequestRow.id)
            .join(PersonNameRow, PersonNameRow.person_id == RequestPersonRow.id)
            .where(RequestRow.authority_id == "BEL-CA", PersonNameRow.script == "CYRILLIC",
                   RequestRow.facts_summary.like("SYNTHETIC%"))
            .order_by(RequestRow.id).limit(1)
        ).one()  # fmt: skip
    listed = client.get("/api/v1/requests?limit=50", headers=headers)
    assert listed.status_code == 200, listed.text
    assert listed.json()["total"] >= COUNT * 0.8
    closed = client.get("/api/v1/requests?status=closed", headers=headers).json()
    assert closed["items"] and all(i["status"] == "closed" for i in closed["items"])
    found = client.get("/api/v1/requests", params={"person": row.name}, headers=headers)
    assert found.status_code == 200, found.text
    assert row.id in {item["id"] for item in found.json()["items"]}
    page = client.get(f"/api/v1/requests/{row.id}", headers=headers)
    assert page.status_code == 200 and page.json()["persons"]
    html = client.get(f"/requests/{row.id}", headers=headers)
    assert html.status_code in (200, 303)


def test_the_synthetic_documents_open(scaled):
    app, result = scaled
    assert result.documents > 0
    with app.unit_of_work() as uow:
        stored = uow.session.execute(
            select(DocumentRow.storage_key, DocumentRow.sha256).limit(20)
        ).all()
    for key, sha in stored:
        assert hashlib.sha256(app.file_store.get(key)).hexdigest() == sha


def test_no_synthetic_entry_is_dated_after_now(scaled):
    app, _ = scaled
    with app.unit_of_work() as uow:
        latest = uow.session.scalar(select(func.max(AuditEventRow.at)))
    assert _aware(latest) <= app.now()


@pytest.mark.postgres
def test_postgresql_entries_in_their_months_and_a_large_load_keeps_the_indexes(
    tmp_path, monkeypatch
):
    """The synthetic trail reaches years back: each month gets its partition before its
    entries are copied (none in the default partition). A load large enough to build the
    secondary indexes at the end leaves the same indexes, valid, and the chain whole."""
    url = _create_postgres_database()
    app = _scale_app(url, tmp_path)
    try:
        upgrade_database(app)
        generate(app, 20, seed=3)
        indexes = text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
            " AND tablename NOT LIKE 'audit\\_events\\_%' ORDER BY indexname"
        )
        with app.engine.connect() as connection:
            before = connection.execute(indexes).all()
        monkeypatch.setattr(scale, "BULK_INDEXES", 100)
        monkeypatch.setattr(scale, "BATCH", 60)  # several batches: one copied, one made
        result = generate(app, 200, seed=4)
        assert result.requests == 200
        with app.engine.connect() as connection:
            after = connection.execute(indexes).all()
            invalid = connection.execute(
                text("SELECT count(*) FROM pg_index WHERE NOT indisvalid")
            ).scalar_one()
            # (The demo's own entries, dated by the test's clock in a month the migration,
            # run on the real date, made no partition for, are the only ones there.)
            in_default = connection.execute(
                text("SELECT count(*) FROM audit_events_default WHERE at < :month"),
                {"month": TODAY.replace(day=1)},
            ).scalar_one()
            partitions, subject_indexed = connection.execute(
                text(
                    "SELECT count(*), count(*) FILTER (WHERE EXISTS (SELECT 1 FROM pg_indexes i"
                    " WHERE i.tablename = c.relname"
                    " AND i.indexdef LIKE '%(subject_type, subject_id, seq)'))"
                    " FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid"
                    " WHERE h.inhparent = 'audit_events'::regclass"
                )
            ).one()
            months = connection.execute(
                text(
                    "SELECT count(DISTINCT date_trunc('month', at AT TIME ZONE 'UTC'))"
                    " FROM audit_events"
                )
            ).scalar_one()
        assert after == before and invalid == 0
        assert partitions > 24 and subject_indexed == partitions
        assert in_default == 0 and months > 24  # eight years of requests
        with app.unit_of_work() as uow:
            assert verify_trail(uow.session, app.audit_anchor).problems == []
    finally:
        app.dispose()
        _drop_postgres_database(url)


def test_a_stop_ends_the_load_between_batches_with_what_is_made(tmp_path, monkeypatch):
    app = create_app(
        Settings(database_url=f"sqlite:///{tmp_path / 'stop.db'}", environment="test",
                 data_dir=tmp_path, node_keys_dir=tmp_path / "keys"),
        clock=FixedClock(TODAY),
    )  # fmt: skip
    try:
        upgrade_database(app)
        monkeypatch.setattr(scale, "BATCH", 10)
        asked = []
        result = generate(app, 100, seed=5, stop=lambda: len(asked) >= 2 or asked.append(1))
        assert result.requests == 30  # the first batch, then two more before the stop
        with app.unit_of_work() as uow:
            assert verify_trail(uow.session, app.audit_anchor).problems == []
            synthetic = uow.session.scalar(
                select(func.count()).where(RequestRow.facts_summary.like("SYNTHETIC%"))
            )
        assert synthetic == 30
    finally:
        app.dispose()


@pytest.mark.parametrize(
    "database", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_an_entry_written_by_anyone_else_during_the_load_stops_it_with_the_chain_whole(
    database, tmp_path, monkeypatch
):
    """An officer's search recorded between two batches (a server left running on the
    database) took the next sequence number; the load used to write its next batch from the
    head it carried, so two entries shared a number and the chain broke. Now it stops with a
    clear error, keeping the batches it wrote, and the trail verifies."""
    url = f"sqlite:///{tmp_path / 'moved.db'}" if database == "sqlite" else (
        _create_postgres_database())  # fmt: skip
    app = _scale_app(url, tmp_path)
    try:
        upgrade_database(app)
        monkeypatch.setattr(scale, "BATCH", 20)
        searched = []

        def an_officer_searches(_made: int) -> None:
            if searched:
                return
            with app.unit_of_work() as uow:
                record(uow.session, actor="anna.officer", action=AuditAction.CONSULTATION,
                       tag="officer:request:search_person", subject_type="search",
                       subject_id="requests", why="a search during the load",
                       at=app.now(), details={})  # fmt: skip
                uow.commit()
            searched.append(True)

        with pytest.raises(Conflict, match="audit trail moved during the bulk load"):
            generate(app, 100, seed=9, progress=an_officer_searches)
        with app.unit_of_work() as uow:
            seqs = uow.session.scalars(select(AuditEventRow.seq)).all()
            synthetic = uow.session.scalar(
                select(func.count()).where(RequestRow.facts_summary.like("SYNTHETIC%"))
            )
            assert len(seqs) == len(set(seqs))
            assert verify_trail(uow.session, app.audit_anchor).problems == []
        assert synthetic == 20  # the first batch, written before the search
    finally:
        app.dispose()
        if database == "postgresql":
            _drop_postgres_database(url)


def test_the_protected_persons_postings_are_kept_apart_by_the_database(scaled):
    """Copied in bulk (COPY on PostgreSQL), the postings of the protected persons reach
    `person_protected_keys` through the database's triggers, as the services' writes do."""
    from judicare.persons.models import PersonEntryRow, PersonKeyRow, PersonProtectedKeyRow

    app, _ = scaled
    with app.unit_of_work() as uow:
        kept = set(uow.session.execute(select(PersonProtectedKeyRow.posting_id,
                                              PersonProtectedKeyRow.entry_id)).all())  # fmt: skip
        joined = set(
            uow.session.execute(
                select(PersonKeyRow.id, PersonKeyRow.entry_id)
                .join(PersonEntryRow, PersonEntryRow.id == PersonKeyRow.entry_id)
                .where(PersonEntryRow.status.is_not(None))
            ).all()
        )
    assert kept and kept == joined
