"""The audit trail: append-only, hash-chained, and `judicare audit verify` names any
altered, deleted or reordered entry. On SQLite and PostgreSQL."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from judicare.cli import app as cli
from judicare.demo import load_demo
from tests.integration.audit_support import tamper

runner = CliRunner()
SOURCE = Path(__file__).resolve().parents[2] / "src" / "judicare"


@pytest.fixture
def audited(app):
    load_demo(app)  # a few dozen entries through the real services
    return app


def _verify(app):
    url = app.engine.url.render_as_string(hide_password=False)
    return runner.invoke(cli, ["audit", "verify", "--db", url, "--json"], catch_exceptions=False)


def test_an_intact_trail_verifies(audited):
    result = _verify(audited)
    assert result.exit_code == 0, result.output
    assert '"valid": true' in result.stdout


def test_the_database_refuses_to_change_or_delete_an_entry(audited):
    for statement in ("UPDATE audit_events SET why = 'nothing happened' WHERE seq = 3",
                      "DELETE FROM audit_events WHERE seq = 3"):  # fmt: skip
        with pytest.raises(DBAPIError, match="append-only"), audited.engine.begin() as connection:
            connection.execute(text(statement))


def test_an_altered_entry_is_named(audited):
    tamper(audited, "UPDATE audit_events SET why = 'nothing to see' WHERE seq = 5")
    result = _verify(audited)
    assert result.exit_code == 1
    assert "entry 5 was altered" in result.stdout


def test_a_deleted_entry_is_named(audited):
    tamper(audited, "DELETE FROM audit_events WHERE seq = 7")
    result = _verify(audited)
    assert result.exit_code == 1
    assert "entry 7 missing" in result.stdout
    assert "entry 8 does not follow" in result.stdout


def test_swapped_entries_are_named(audited):
    # Swap the contents of entries 10 and 11 (their sequence numbers stay in place).
    columns = "at, actor, action, tag, subject_type, subject_id, why, details, prev_hash, hash"
    tamper(
        audited,
        f"CREATE TEMPORARY TABLE swap AS SELECT seq, {columns} FROM audit_events WHERE seq IN (10, 11)",
        "DELETE FROM audit_events WHERE seq IN (10, 11)",
        f"INSERT INTO audit_events (seq, {columns}) SELECT 21 - seq, {columns} FROM swap",
    )  # fmt: skip
    result = _verify(audited)
    assert result.exit_code == 1
    assert "entry 10" in result.stdout and "entry 11" in result.stdout


def test_no_code_path_updates_or_deletes_an_audit_entry():
    """Read every module: nothing builds an UPDATE or DELETE of the audit table, and nothing
    deletes or edits an AuditEventRow through the session."""
    offenders = []
    patterns = [
        r"update\(\s*AuditEventRow", r"delete\(\s*AuditEventRow",
        r"(UPDATE|DELETE FROM)\s+audit_events", r"session\.delete\(",
    ]  # fmt: skip
    for path in SOURCE.rglob("*.py"):
        if "migrations" in path.parts:
            continue  # the migration creates the triggers that refuse exactly this
        text_ = path.read_text(encoding="utf-8")
        offenders += [f"{path.name}: {p}" for p in patterns if re.search(p, text_)]
    assert offenders == []


def test_a_whole_workflow_emits_no_update_or_delete_on_the_audit_table(app):
    statements: list[str] = []

    def capture(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(app.engine, "before_cursor_execute", capture)
    try:
        load_demo(app)  # create, transition, decide: dozens of audited writes
    finally:
        event.remove(app.engine, "before_cursor_execute", capture)
    touching = [s for s in statements if "audit_events" in s]
    assert any(s.lstrip().upper().startswith("INSERT") for s in touching)
    assert not [s for s in touching if re.match(r"\s*(UPDATE|DELETE)", s, re.IGNORECASE)]


def test_concurrent_writers_make_one_valid_chain(app):
    """Many transactions appending at once (each links its entries at commit) still give
    one gap-free chain; a rolled-back transaction leaves no entry behind."""
    from concurrent.futures import ThreadPoolExecutor

    from judicare.audit.service import AuditAction, record, verify_log

    def write(worker: int) -> None:
        for number in range(10):
            with app.unit_of_work() as uow:
                for part in range(2):
                    record(
                        uow.session, actor=f"writer-{worker}", action=AuditAction.COLLECTION,
                        tag="test:audit:concurrent", subject_type="test",
                        subject_id=f"{worker}-{number}-{part}", why="concurrency test",
                        at=app.now(),
                    )  # fmt: skip
                if number % 5 == 4:
                    continue  # leave without commit: rolled back, nothing recorded
                uow.commit()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(write, range(8)))
    with app.unit_of_work() as uow:
        checked, problems = verify_log(uow.session)
        written = uow.session.execute(
            text("SELECT count(*) FROM audit_events WHERE subject_type = 'test'")
        ).scalar_one()
    assert problems == []
    assert written == 8 * 8 * 2  # 8 writers x 8 committed transactions x 2 entries
    assert checked >= written
