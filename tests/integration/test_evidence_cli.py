"""`judicare evidence ...` on SQLite and PostgreSQL: add, seal, copy, list, export and
verify, with need-to-know, one-line errors and the exact `verify --json` contract."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from judicare.auth.service import create_user, ensure_authority, principal_of
from judicare.cli import app as cli
from judicare.requests.schemas import RequestCreate
from judicare.requests.service import create_request
from tests.integration.api_support import request_body

runner = CliRunner()


def run(url: str, *args: str):
    return runner.invoke(cli, ["evidence", *args, "--db", url], catch_exceptions=False)


def _setup(app) -> int:
    with app.unit_of_work() as uow:
        ensure_authority(uow.session, "BEL-CA", "BEL", "test")
        ensure_authority(uow.session, "NLD-CA", "NLD", "test")
        who = principal_of(create_user(uow.session, username="cli.ev", password="x" * 12,
                                       role="officer", authority_id="BEL-CA"))  # fmt: skip
        create_user(uow.session, username="cli.other", password="x" * 12, role="officer",
                    authority_id="NLD-CA")  # fmt: skip
        body = request_body(direction="incoming", requesting_state="KZ", requested_state="BE")
        _, detail, _ = create_request(uow.session, who, RequestCreate.model_validate(body),
                                      now=app.now(), basis=None, why="test")  # fmt: skip
        uow.commit()
    return detail["id"]


def test_add_seal_export_and_verify(app, migrated_database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("JUDICARE_FILES_DIR", str(tmp_path / "files"))
    url, request_id = migrated_database_url, _setup(app)
    evidence = tmp_path / "photo.jpg"
    evidence.write_bytes(b"\xff\xd8 a photograph of the site")
    added = run(url, "add", str(request_id), str(evidence), "--description", "Photograph",
                "--as", "cli.ev", "--where", "Brussels", "--json")  # fmt: skip
    assert added.exit_code == 0, added.output
    item = json.loads(added.stdout)
    assert [e["kind"] for e in item["events"]] == ["collected"]

    unsealed = run(url, "export", str(request_id), "-o", str(tmp_path / "bag"), "--as", "cli.ev")
    assert unsealed.exit_code == 2 and "is not sealed" in unsealed.output
    assert not (tmp_path / "bag").exists()

    sealed = run(url, "seal", str(request_id), str(item["id"]), "--as", "cli.ev",
                 "--where", "Brussels", "--why", "evidentiary copy")  # fmt: skip
    assert sealed.exit_code == 0, sealed.output
    copy = tmp_path / "photo-redacted.jpg"
    copy.write_bytes(b"\xff\xd8 redacted")
    copied = run(url, "copy", str(request_id), str(item["id"]), str(copy), "--how",
                 "faces blurred", "--as", "cli.ev", "--where", "Brussels", "--json")  # fmt: skip
    assert copied.exit_code == 0 and json.loads(copied.stdout)["kind"] == "working_copy"

    exported = run(url, "export", str(request_id), "-o", str(tmp_path / "bag"), "--as", "cli.ev")
    assert exported.exit_code == 0, exported.output
    verified = runner.invoke(cli, ["evidence", "verify", str(tmp_path / "bag"), "--json"])
    assert verified.exit_code == 0
    report = json.loads(verified.stdout)
    assert report["valid"] is True and report["errors"] == []
    assert [i["kind"] for i in report["items"]] == ["original", "working_copy"]

    (tmp_path / "bag" / "data" / "002-photo-redacted.jpg").unlink()
    broken = runner.invoke(cli, ["evidence", "verify", str(tmp_path / "bag"), "--json"])
    assert broken.exit_code == 1
    assert json.loads(broken.stdout)["errors"] == [
        {"file": "data/002-photo-redacted.jpg",
         "problem": "missing: listed in the manifest, not in the bag"}
    ]  # fmt: skip
    plain = runner.invoke(cli, ["evidence", "verify", str(tmp_path / "bag")])
    assert plain.exit_code == 1 and "data/002-photo-redacted.jpg: missing" in plain.stdout

    listed = run(url, "list", str(request_id), "--as", "cli.ev", "--json")
    kinds = [[e["kind"] for e in i["events"]] for i in json.loads(listed.stdout)]
    assert kinds == [["collected", "sealed", "copied"], ["copied"]]


def test_another_authority_sees_nothing(app, migrated_database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("JUDICARE_FILES_DIR", str(tmp_path / "files"))
    url, request_id = migrated_database_url, _setup(app)
    evidence = tmp_path / "photo.jpg"
    evidence.write_bytes(b"photo")
    refused = run(url, "add", str(request_id), str(evidence), "--description", "Photo",
                  "--as", "cli.other", "--where", "Amsterdam")  # fmt: skip
    assert refused.exit_code != 0
    assert f"request {request_id} not found" in refused.output
    exported = run(url, "export", str(request_id), "-o", str(tmp_path / "b"), "--as", "cli.other")
    assert exported.exit_code != 0 and "not found" in exported.output
    assert not (tmp_path / "b").exists()
    missing = run(url, "add", str(request_id), str(tmp_path / "nope.jpg"), "--description",
                  "x", "--as", "cli.ev", "--where", "x")  # fmt: skip
    assert missing.exit_code == 2 and "is not a regular file" in missing.output
