"""How a create's last writes reach the database and the checkpoint journal (issue 22).

On PostgreSQL the person counts, the audit chain's lock and the entries go with the COMMIT,
after every other write of the transaction; a link the database would hash differently
stops the COMMIT, and the transaction is rolled back whole. Commits of one process waiting
for the journal share one signed line. On SQLite and PostgreSQL where storage is involved."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import DBAPIError

from judicare.audit import merkle
from judicare.audit.journal import AuditAnchor
from judicare.audit.models import AuditEventRow
from judicare.audit.service import AuditAction, record, verify_log
from judicare.requests.models import CaseRow
from tests.integration.api_support import request_body
from tests.waiting import eventually


def _statements_of(app, action, pipelined: list[str] | None = None) -> list[str]:
    """The statements `action` sends; those sent in psycopg's pipeline (with the COMMIT, in
    its round trip) also in `pipelined`."""
    statements: list[str] = []

    def capture(conn, cursor, statement, *args):
        statements.append(" ".join(statement.split()))
        driver = conn.connection.driver_connection
        pgconn = getattr(driver, "pgconn", None)  # psycopg's; None on SQLite
        if pipelined is not None and pgconn is not None and pgconn.pipeline_status:
            pipelined.append(statements[-1])  # pipeline on (1) or aborted (2), not off (0)

    event.listen(app.engine, "before_cursor_execute", capture)
    try:
        action()
    finally:
        event.remove(app.engine, "before_cursor_execute", capture)
    return statements


def test_a_create_writes_the_counts_and_the_audit_entry_last(demo_api):
    app = demo_api.app
    headers = demo_api.headers("officer", **{"Idempotency-Key": "counted-create-1"})

    def create() -> None:
        response = demo_api.client.post("/api/v1/requests", json=request_body(), headers=headers)
        assert response.status_code == 201, response.text

    pipelined: list[str] = []
    statements = _statements_of(app, create, pipelined)
    request = next(i for i, s in enumerate(statements) if "INSERT INTO requests " in s)
    audit = next(i for i, s in enumerate(statements) if "INSERT INTO audit_events" in s)
    assert request < audit
    if app.engine.dialect.name == "postgresql":
        # With an Idempotency-Key, as `bench.intake` sends: 17 before issue 22's work, when
        # the three counts were three upserts sent after the chain's lock was taken; 15
        # after it, and 16 since the authority's status counts are kept (one upsert); 12
        # since the request and its parts go in one statement (five before); 11 since the
        # person index's keys and trigrams go in one statement (an executemany of each).
        assert len(statements) == 11, statements
        postings = [s for s in statements if "INSERT INTO person_keys " in s]
        assert len(postings) == 1 and "INSERT INTO person_grams " in postings[0]
        assert not any(s.startswith("INSERT INTO person_grams") for s in statements)
        parts = ("INSERT INTO requests ", "INSERT INTO request_measures ",
                 "INSERT INTO request_deadlines ", "INSERT INTO request_persons ",
                 "INSERT INTO person_names ", "INSERT INTO identity_documents ")  # fmt: skip
        for part in parts:
            assert [i for i, s in enumerate(statements) if part in s] == [request], part
        assert sum("INSERT INTO request_status_counts" in s for s in statements) == 1
        # The writes to rows every registration shares (the authority's status count, the
        # person index's counts), the chain's lock and the entry go last, in the COMMIT's
        # round trip: those rows and the lock are held for the server's work only. The
        # status count went in a round trip of its own before (13 statements, then 3).
        assert len(pipelined) == 4, pipelined
        assert statements[-4:] == pipelined
        shared = {s.split(" (")[0] for s in pipelined[:2]}
        assert shared == {"INSERT INTO request_status_counts", "WITH keys AS"}, pipelined
        assert statements[-2].startswith("SELECT pg_advisory_xact_lock")
        assert audit == len(statements) - 1
    with app.unit_of_work() as uow:
        entries, problems = verify_log(uow.session)
        counted = uow.session.execute(select(func.sum(_scope_counts().c.entries))).scalar_one()
        indexed = uow.session.execute(select(func.count()).select_from(_entries())).scalar_one()
    assert problems == [] and entries > 0
    assert counted == indexed  # the counts written at commit match the entries


def _scope_counts():
    from judicare.persons.models import PersonScopeCountRow

    return PersonScopeCountRow.__table__


def _entries():
    from judicare.persons.models import PersonEntryRow

    return PersonEntryRow.__table__


def _write(app, reference: str) -> None:
    with app.unit_of_work() as uow:
        uow.session.add(CaseRow(authority_id="BEL-CA", reference=reference))
        record(
            uow.session, actor="tester", action=AuditAction.COLLECTION, tag="test:case:create",
            subject_type="case", subject_id=reference, why="test", at=app.now(),
        )  # fmt: skip
        uow.commit()


def test_an_entry_the_database_would_hash_differently_commits_nothing(app, monkeypatch):
    _postgres_only(app)
    from judicare.audit import service

    _authority(app)
    _write(app, "before")
    real = service._hash_frame

    def wrong_probe(row):
        frame = real(row)
        return None if frame is None else (*frame[:3], "0" * 64)

    monkeypatch.setattr(service, "_hash_frame", wrong_probe)
    with pytest.raises(DBAPIError, match="hashed differently by the database"):
        _write(app, "refused")
    monkeypatch.undo()
    _write(app, "after")  # the same pooled connection sends nothing left from the failure
    with app.unit_of_work() as uow:
        cases = set(uow.session.scalars(select(CaseRow.reference)))
        subjects = list(
            uow.session.scalars(
                select(AuditEventRow.subject_id)
                .where(AuditEventRow.subject_type == "case")
                .order_by(AuditEventRow.seq)
            )
        )
        _, problems = verify_log(uow.session)
    assert "refused" not in cases and {"before", "after"} <= cases
    assert subjects == ["before", "after"]
    assert problems == []


def test_commits_waiting_for_the_journal_share_one_signed_line(tmp_path):
    """Five commits queue their heads while the journal is busy: the first to take it
    signs the largest head, with the Merkle root of all five entries; the others find
    their entries signed and write nothing. A head older than the last line adds none."""
    anchor = AuditAnchor(
        tmp_path / "audit", "test:origin", lambda: datetime(2026, 11, 23, tzinfo=UTC)
    )
    hashes = {seq: f"{seq:064x}" for seq in range(1, 6)}
    threads = [
        threading.Thread(target=anchor.record, args=(seq, hashes[seq], {seq: hashes[seq]}))
        for seq in hashes
    ]
    with anchor._lock:  # the journal is busy (another thread is writing)
        for thread in threads:
            thread.start()
        eventually(lambda: len(anchor._known) == len(hashes), "the five heads queue",
                   timeout=120)  # fmt: skip
    for thread in threads:
        thread.join()
    lines = anchor.lines()
    assert len(lines) == 1
    checkpoint = lines[0].checkpoint
    assert checkpoint is not None and checkpoint.size == 5 and checkpoint.head == hashes[5]
    expected = merkle.Frontier().extend(merkle.entry_leaf(h) for h in hashes.values())
    assert checkpoint.root == expected.root().hex()
    anchor.record(3, hashes[3], {3: hashes[3]})
    assert len(anchor.lines()) == 1


def test_the_checkpoint_reader_keeps_one_connection_until_the_engine_is_disposed(app):
    """The hashes other writers committed are read for the Merkle root through one kept
    connection on PostgreSQL (not one opened per checkpoint), which the application's
    engine closes when it is disposed of; on SQLite through a connection opened per read."""
    from judicare.audit import service

    _authority(app)
    for reference in ("first", "second"):
        _write(app, reference)
    with app.unit_of_work() as uow:
        size, expected = (
            verify_log(uow.session)[0],
            uow.session.execute(select(AuditEventRow.hash).order_by(AuditEventRow.seq))
            .scalars()
            .all(),
        )
    read = service.engine_reader(app.engine)
    reader = service.reader_engine(app.engine)
    assert read is not None and reader is not None
    assert service.reader_engine(app.engine) is reader  # one per application engine
    opened: list[object] = []
    event.listen(reader, "connect", lambda *args: opened.append(args))
    assert read(1, size) == expected
    assert read(size, size) == expected[-1:]
    with pytest.raises(LookupError):
        read(size, size + 1)  # an entry not (yet) in the database
    if app.engine.dialect.name == "postgresql":
        assert len(opened) == 1  # kept, not opened per read
        assert reader.pool.checkedin() == 1
        app.engine.dispose()
        assert reader.pool.checkedin() == 0  # closed with the application's engine
    else:
        assert len(opened) == 3  # SQLite: no pool


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_the_checkpoint_reader_reads_again_through_a_new_connection_when_its_own_was_lost(
    app,
):
    """The kept connection is not pinged before each read (a round trip inside the
    journal's lock); one the server closed meanwhile fails the read, which is made again,
    once, through a new connection."""
    from sqlalchemy import create_engine, text

    from judicare.audit import service

    _authority(app)
    _write(app, "before the loss")
    read = service.engine_reader(app.engine)
    reader = service.reader_engine(app.engine)
    assert read is not None and reader is not None
    expected = read(1, 1)
    opened: list[object] = []
    event.listen(reader, "connect", lambda *args: opened.append(args))
    with reader.connect() as connection:  # the kept connection's server process
        backend = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
    admin = create_engine(app.settings.effective_database_url)
    try:
        with admin.begin() as connection:
            assert connection.execute(
                text("SELECT pg_terminate_backend(:pid)"), {"pid": backend}
            ).scalar_one()
    finally:
        admin.dispose()
    assert read(1, 1) == expected
    assert len(opened) == 1  # one new connection, after the lost one failed the read


def _write_many(app, reference: str, count: int) -> list[tuple]:
    """Each entry's (why, seq, prev_hash, hash) as the commit left them on the rows."""
    rows = []
    with app.unit_of_work() as uow:
        uow.session.add(CaseRow(authority_id="BEL-CA", reference=reference))
        for number in range(count):
            rows.append(
                record(
                    uow.session, actor="tester", action=AuditAction.COLLECTION,
                    tag="test:case:note", subject_type="case", subject_id=reference,
                    why=f"note {number} \"quoted\" \\ and ünïcode", at=app.now(),
                    details={"number": number, "text": 'a "JSON" text', "nested": {"seq": 1}},
                )
            )  # fmt: skip
        uow.commit()
        return [(row.why, row.seq, row.prev_hash, row.hash) for row in rows]


def test_a_transaction_links_all_its_entries_in_one_statement(app):
    """On PostgreSQL the entries of a transaction are linked by one INSERT (one a statement
    before), each hashed by the database exactly as `entry_hash` hashes it, in the order
    recorded; the guard's probe is computed once an entry, and nothing is hashed again in
    Python after the commit. More than `_PER_APPEND` entries take one statement more."""
    _postgres_only(app)
    from judicare.audit import chain, service

    _authority(app)
    _write(app, "first")
    hashed: list[int] = []
    real_hash = service.entry_hash

    def counted(**content):
        hashed.append(content["seq"])
        return real_hash(**content)

    rows: list[tuple] = []
    pipelined: list[str] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(service, "entry_hash", counted)
        statements = _statements_of(app, lambda: rows.extend(_write_many(app, "many", 7)),
                                    pipelined)  # fmt: skip
    inserts = [s for s in statements if s.startswith("INSERT INTO audit_events")]
    assert len(inserts) == 1, inserts  # seven before
    assert inserts[0] in pipelined  # with the COMMIT, after the chain's lock
    assert hashed == []  # no second SHA-256 of the entries after the commit
    with app.unit_of_work() as uow:
        table = AuditEventRow.__table__  # plain rows, readable once the session is closed
        stored = uow.session.execute(
            select(table).where(table.c.subject_id == "many").order_by(table.c.seq)
        ).all()
        first = uow.session.execute(select(table).where(table.c.subject_id == "first")).one()
        _, problems = verify_log(uow.session)
    assert problems == []
    assert [row.why for row in stored] == [row[0] for row in rows]  # the order recorded
    assert [row.seq for row in stored] == list(range(first.seq + 1, first.seq + 8))
    assert stored[0].prev_hash == first.hash
    for kept, written in zip(stored, rows, strict=True):
        assert written[1:] == (kept.seq, kept.prev_hash, kept.hash)
        assert kept.hash == chain.entry_hash(
            seq=kept.seq, at=kept.at, actor=kept.actor, action=kept.action, tag=kept.tag,
            subject_type=kept.subject_type, subject_id=kept.subject_id, why=kept.why,
            details=kept.details, prev_hash=kept.prev_hash,
        )  # fmt: skip
    many = service._PER_APPEND + 3
    statements = _statements_of(app, lambda: _write_many(app, "more", many))
    assert sum(s.startswith("INSERT INTO audit_events") for s in statements) == 2
    with app.unit_of_work() as uow:
        entries, problems = verify_log(uow.session)
    assert problems == [] and entries == 1 + 7 + many


def test_one_entry_the_database_would_hash_differently_commits_none_of_the_transaction(
    app, monkeypatch
):
    """The guard holds for each entry of the one statement: a wrong probe on the third of
    five fails it, and the transaction is rolled back whole."""
    _postgres_only(app)
    from judicare.audit import service

    _authority(app)
    _write(app, "before")
    real = service._hash_frame

    def wrong_third(row):
        frame = real(row)
        if frame is None or "note 2 " not in row.why:
            return frame
        return (*frame[:3], "0" * 64)

    monkeypatch.setattr(service, "_hash_frame", wrong_third)
    with pytest.raises(DBAPIError, match="hashed differently by the database"):
        _write_many(app, "refused", 5)
    monkeypatch.undo()
    _write_many(app, "after", 2)
    with app.unit_of_work() as uow:
        cases = set(uow.session.scalars(select(CaseRow.reference)))
        subjects = list(
            uow.session.scalars(
                select(AuditEventRow.subject_id)
                .where(AuditEventRow.subject_type == "case")
                .order_by(AuditEventRow.seq)
            )
        )
        _, problems = verify_log(uow.session)
    assert "refused" not in cases
    assert subjects == ["before", "after", "after"]
    assert problems == []


def _postgres_only(app) -> None:
    if app.engine.dialect.name != "postgresql":
        pytest.skip("only PostgreSQL links entries in SQL")


def _authority(app) -> None:
    """The authority whose entries the tests write (`_write`)."""
    from judicare.auth.service import ensure_authority

    with app.unit_of_work() as uow:
        ensure_authority(uow.session, "BEL-CA", "BEL", "Central authority")
        uow.commit()
