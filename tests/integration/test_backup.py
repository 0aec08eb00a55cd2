"""Backups (issue 22): `judicare backup` / `judicare restore` on SQLite (online backup API)
and PostgreSQL (pg_dump / pg_restore), with the file store and the keys. A restore goes into
a fresh database the test makes (never `test`), then the audit chain is verified and every
stored document opened."""

from __future__ import annotations

import hashlib
import json
import tarfile

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from judicare.app import FixedClock, create_app
from judicare.audit.trail import verify_trail
from judicare.backup import make_backup, read_manifest, restore_backup
from judicare.bootstrap import upgrade_database
from judicare.cli import app as cli
from judicare.demo import load_demo
from judicare.errors import InvalidInput
from judicare.requests.documents import add_document
from judicare.requests.models import DocumentRow, RequestRow
from judicare.settings import Settings
from tests.conftest import (
    TODAY,
    _create_postgres_database,
    _drop_postgres_database,
)

PDF = b"%PDF-1.4\n% fictional test document for the backup test\n%%EOF\n"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def databases(request, tmp_path):
    """make() -> a new, empty database URL (SQLite file or PostgreSQL database), removed after."""
    made: list[str] = []

    def make() -> str:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / f'db{len(made)}.sqlite'}"
        else:
            url = _create_postgres_database()
        made.append(url)
        return url

    yield make
    for url in made:
        if url.startswith("postgresql"):
            _drop_postgres_database(url)


def _app(url, where):
    return create_app(
        Settings(database_url=url, environment="test", data_dir=where,
                 node_keys_dir=where / "keys", files_dir=where / "files"),
        clock=FixedClock(TODAY),
    )  # fmt: skip


def _an_officer(app):
    from judicare.auth.models import UserRow
    from judicare.auth.service import principal_of

    with app.unit_of_work() as uow:
        user = uow.session.scalar(select(UserRow).where(UserRow.username == "anna.officer"))
        return principal_of(user)


def _source_with_documents(url, where):
    app = _app(url, where)
    upgrade_database(app)
    load_demo(app)
    officer = _an_officer(app)
    with app.unit_of_work() as uow:
        request_id = uow.session.scalar(
            select(RequestRow.id).where(RequestRow.authority_id == officer.authority_id)
            .order_by(RequestRow.id).limit(1)
        )  # fmt: skip
        for index in range(2):
            add_document(
                uow.session, app.file_store, officer, request_id, f"witness-{index}.pdf",
                "application/pdf", PDF + bytes([index]), now=app.now(), why="test: backup",
                limit=10_000,
            )  # fmt: skip
        uow.commit()
    return app


def test_backup_then_restore_into_a_fresh_database_keeps_the_trail_and_documents(
    databases, tmp_path
):
    source = _source_with_documents(databases(), tmp_path / "source")
    archive = tmp_path / "node.backup.tar"
    manifest = make_backup(source, archive)
    with source.unit_of_work() as uow:
        source_entries = verify_trail(uow.session, source.audit_anchor).entries
        documents = uow.session.execute(select(DocumentRow.storage_key, DocumentRow.sha256)).all()
    source.dispose()
    assert len(documents) >= 2

    # The manifest names every part with its SHA-256, and the tar holds exactly those.
    assert read_manifest(archive).to_json() == manifest.to_json()
    names = {part.name for part in manifest.parts}
    assert {"database.sqlite", "database.pgdump"} & names
    assert any(name.startswith("node-keys/audit/") for name in names)
    assert {f"files/{sha[:2]}/{sha}" for _, sha in documents} <= names
    with tarfile.open(archive) as tar:
        for part in manifest.parts:
            data = tar.extractfile(part.name).read()
            assert hashlib.sha256(data).hexdigest() == part.sha256, part.name
    assert manifest.audit_entries == source_entries  # the backup's own entry included

    target = _app(databases(), tmp_path / "target")
    try:
        report = restore_backup(target, archive)
        assert report.ok, (report.audit_problems, report.documents_missing)
        assert report.audit_entries == source_entries
        assert report.checkpoints_matched >= 1  # checkpoints signed before the backup hold
        assert report.documents == len(documents) and report.files >= 2
        # Afterwards: the chain is intact (the restore recorded itself), documents open.
        with target.unit_of_work() as uow:
            after = verify_trail(uow.session, target.audit_anchor)
            assert after.problems == [] and after.entries == source_entries + 1
            for key, sha in uow.session.execute(
                select(DocumentRow.storage_key, DocumentRow.sha256)
            ).all():
                assert hashlib.sha256(target.file_store.get(key)).hexdigest() == sha
        keys_dir = target.settings.effective_node_keys_dir
        assert all(p.stat().st_mode & 0o077 == 0 for p in keys_dir.rglob("*") if p.is_file())
        # A second restore into the now non-empty database is refused.
        with pytest.raises(InvalidInput, match="is not empty"):
            restore_backup(target, archive)
    finally:
        target.dispose()


def test_a_damaged_archive_is_refused_before_anything_is_written(databases, tmp_path):
    source = _source_with_documents(databases(), tmp_path / "source")
    archive = tmp_path / "node.backup.tar"
    manifest = make_backup(source, archive)
    source.dispose()
    document = next(p for p in manifest.parts if p.name.startswith("files/"))
    raw = bytearray(archive.read_bytes())
    with tarfile.open(archive) as tar:
        offset = tar.getmember(document.name).offset_data
    raw[offset] ^= 0xFF
    damaged = tmp_path / "damaged.tar"
    damaged.write_bytes(bytes(raw))

    target = _app(databases(), tmp_path / "target")
    try:
        with pytest.raises(InvalidInput, match="does not match its SHA-256"):
            restore_backup(target, damaged)
        from judicare.db import migrate

        assert migrate.is_empty(target.engine)
        files = target.settings.effective_files_dir
        assert not files.exists() or not any(p.is_file() for p in files.rglob("*"))
    finally:
        target.dispose()


def test_conflicting_keys_are_refused_and_nothing_is_written(databases, tmp_path):
    source = _source_with_documents(databases(), tmp_path / "source")
    archive = tmp_path / "node.backup.tar"
    make_backup(source, archive)
    source.dispose()
    target = _app(databases(), tmp_path / "target")
    try:
        own_key = target.settings.effective_node_keys_dir / "audit" / "checkpoint.key"
        own_key.parent.mkdir(parents=True)
        own_key.write_text("another node's key")
        with pytest.raises(InvalidInput, match="exists with other content"):
            restore_backup(target, archive)
        from judicare.db import migrate

        assert migrate.is_empty(target.engine)
    finally:
        target.dispose()


def test_the_commands_keep_their_contract(tmp_path, monkeypatch):
    """`judicare backup FILE --json` then `judicare restore FILE --json` on SQLite; an
    existing FILE is refused with exit code 2."""
    for name in ("source", "target"):
        (tmp_path / name).mkdir()
    url = f"sqlite:///{tmp_path / 'source' / 'judicare.db'}"
    _source_with_documents(url, tmp_path / "source").dispose()
    runner = CliRunner()
    archive = tmp_path / "cli.tar"
    for key, value in {"DATA_DIR": "source", "NODE_KEYS_DIR": "source/keys",
                       "FILES_DIR": "source/files"}.items():  # fmt: skip
        monkeypatch.setenv(f"JUDICARE_{key}", str(tmp_path / value))
    made = runner.invoke(cli, ["backup", str(archive), "--db", url, "--json"])
    assert made.exit_code == 0, made.output
    assert json.loads(made.stdout)["format"] == "judicare-backup/1"
    again = runner.invoke(cli, ["backup", str(archive), "--db", url])
    assert again.exit_code == 2 and "already exists" in again.output

    for key, value in {"DATA_DIR": "target", "NODE_KEYS_DIR": "target/keys",
                       "FILES_DIR": "target/files"}.items():  # fmt: skip
        monkeypatch.setenv(f"JUDICARE_{key}", str(tmp_path / value))
    target = f"sqlite:///{tmp_path / 'target' / 'judicare.db'}"
    restored = runner.invoke(cli, ["restore", str(archive), "--db", target, "--json"])
    assert restored.exit_code == 0, restored.output
    answer = json.loads(restored.stdout)
    assert answer["ok"] is True and answer["audit"]["valid"] is True
    assert answer["documents"]["count"] >= 2 and answer["documents"]["missing"] == []
