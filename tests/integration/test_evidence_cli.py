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


DOCUMENT_LIMIT = 50_000_000  # Settings.max_upload_bytes by default


def _sparse(path, size: int):
    """A file of `size` bytes that takes no room on disk and none in memory."""
    with path.open("wb") as handle:
        handle.truncate(size)
    return path


def test_an_item_larger_than_the_document_limit_is_streamed_in(
    app, migrated_database_url, tmp_path, monkeypatch
):
    """Evidence has its own, higher limit (max_evidence_bytes): a file larger than the
    documents' limit is added, streamed to the file store in chunks, with its digests; over
    the evidence limit it is refused in one line, and nothing is kept."""
    import hashlib

    from sqlalchemy import func, select

    from judicare.evidence.models import EvidenceItemRow

    files = tmp_path / "files"
    monkeypatch.setenv("JUDICARE_FILES_DIR", str(files))
    url, request_id = migrated_database_url, _setup(app)
    assert app.settings.max_upload_bytes == DOCUMENT_LIMIT
    big = _sparse(tmp_path / "recording.wav", DOCUMENT_LIMIT + 5_000_000)
    monkeypatch.setenv("JUDICARE_MAX_EVIDENCE_BYTES", str(DOCUMENT_LIMIT + 1_000_000))
    refused = run(url, "add", str(request_id), str(big), "--description", "Recording",
                  "--as", "cli.ev", "--where", "Brussels")  # fmt: skip
    assert refused.exit_code != 0
    assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert "larger than the evidence limit of 51000000 bytes" in refused.stderr
    assert [p for p in files.rglob("*") if p.is_file()] == []  # no partial file remains
    with app.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(EvidenceItemRow)) == 0
    monkeypatch.delenv("JUDICARE_MAX_EVIDENCE_BYTES")
    added = run(url, "add", str(request_id), str(big), "--description", "Recording",
                "--as", "cli.ev", "--where", "Brussels", "--json")  # fmt: skip
    assert added.exit_code == 0, added.output
    item = json.loads(added.stdout)
    zeros = hashlib.sha256()
    for _ in range(55):
        zeros.update(bytes(1_000_000))
    assert item["size"] == big.stat().st_size and item["sha256"] == zeros.hexdigest()
    stored = files / item["sha256"][:2] / item["sha256"]
    assert stored.stat().st_size == big.stat().st_size


def test_adding_a_large_item_holds_no_more_than_a_few_chunks_in_memory(app, tmp_path):
    """The peak of Python allocations while a file five times the chunk budget is added
    stays at a few chunks (1 MiB each): the item is never held whole."""
    import tracemalloc

    from sqlalchemy import select

    from judicare.auth.models import UserRow
    from judicare.evidence import service
    from judicare.evidence.cli import _file_chunks
    from judicare.evidence.service import Custody
    from judicare.files.store import LocalFileStore

    request_id = _setup(app)
    big = _sparse(tmp_path / "footage.mp4", 40_000_000)
    store = LocalFileStore(tmp_path / "store")
    with app.unit_of_work() as uow:
        who = principal_of(
            uow.session.scalars(select(UserRow).where(UserRow.username == "cli.ev")).one()
        )
        tracemalloc.start()
        try:
            added = service.add_item(
                uow.session, store, who, request_id, chunks=_file_chunks(big),
                filename=big.name, media_type="video/mp4", description="Footage",
                custody_of=Custody(where="Brussels", why="test"), now=app.now(),
                limit=app.settings.max_evidence_bytes,
            )  # fmt: skip
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        uow.commit()
    assert added["size"] == 40_000_000
    assert peak < 8_000_000, f"peak {peak} bytes for a 40 MB item"
