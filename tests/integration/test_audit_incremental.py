"""`judicare audit verify --incremental` (issue 22): after a verified mark, a check reads
only the entries after it, and still finds what was altered, cut or forged since."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from judicare.audit.incremental import mark_path, verify_incremental
from judicare.audit.service import AuditAction, record
from judicare.cli import app as cli
from tests.integration.audit_support import tamper


def _write(app, count: int, label: str = "entry") -> None:
    for number in range(count):
        with app.unit_of_work() as uow:
            record(uow.session, actor="test", action=AuditAction.COLLECTION,
                   tag="test:audit:write", subject_type="test", subject_id=f"{label}-{number}",
                   why="test: incremental verification", at=app.now(),
                   details={"n": number})  # fmt: skip
            uow.commit()


def _check(app, **options):
    with app.unit_of_work() as uow:
        return verify_incremental(uow.session, app.audit_anchor, **options)


def test_the_first_run_is_full_then_only_new_entries_are_read(app):
    _write(app, 4)
    first = _check(app)
    assert first.mode == "full" and first.problems == []
    assert first.mark is not None and first.mark.size == first.entries
    _write(app, 3, "later")
    second = _check(app)
    assert second.mode == "incremental" and second.problems == []
    assert second.since == first.entries and second.checked == 3
    assert second.entries == first.entries + 3 and second.checkpoints_checked >= 1
    third = _check(app)
    assert third.checked == 0 and third.problems == [] and third.since == second.entries


def test_an_entry_altered_after_the_mark_is_found(app):
    _write(app, 2)
    mark = _check(app).mark
    _write(app, 3, "later")
    tamper(app, f"UPDATE audit_events SET why = 'nothing happened' WHERE seq = {mark.size + 2}")
    report = _check(app)
    assert {p.kind for p in report.problems} >= {"altered"}
    assert _check(app).since == mark.size  # the mark did not move past the damage


def test_a_trail_cut_below_the_mark_or_after_a_checkpoint_is_found(app):
    _write(app, 3)
    mark = _check(app).mark
    _write(app, 2, "later")
    tamper(app, f"DELETE FROM audit_events WHERE seq > {mark.size}")
    cut = _check(app)
    assert {p.kind for p in cut.problems} & {"cut", "truncated"}, cut.problems
    tamper(app, f"DELETE FROM audit_events WHERE seq >= {mark.size}")
    below = _check(app)
    assert [p.kind for p in below.problems] == ["rewritten"]


def test_an_edited_mark_is_refused(app):
    _write(app, 2)
    _check(app)
    path = mark_path(app.audit_anchor)
    document = json.loads(path.read_text())
    document["size"] = 1
    path.write_text(json.dumps(document))
    assert [p.kind for p in _check(app).problems] == ["forged_mark"]
    reset = _check(app, reset=True)
    assert reset.mode == "full" and reset.problems == []


def test_the_command_answers_json(app):
    _write(app, 2)
    url = app.engine.url.render_as_string(hide_password=False)
    runner = CliRunner()
    first = runner.invoke(cli, ["audit", "verify", "--incremental", "--json", "--db", url])
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["mode"] == "full"
    _write(app, 1, "later")
    second = runner.invoke(cli, ["audit", "verify", "--incremental", "--json", "--db", url])
    answer = json.loads(second.stdout)
    assert second.exit_code == 0 and answer["mode"] == "incremental" and answer["checked"] == 1
