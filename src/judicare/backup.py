"""`judicare backup FILE` / `judicare restore FILE`: one archive holds everything a node
needs to start again elsewhere, and says what it holds.

The archive is a tar file with these parts, then `manifest.json` last:

    database.sqlite      SQLite's online backup (a consistent copy while the server runs)
    database.pgdump      or PostgreSQL's `pg_dump --format=custom` (one snapshot)
    node-keys/...        the node's keys and the audit checkpoint journals (settings
                         `node_keys_dir`), and `data/web-session.key` if there is one
    files/xx/<sha256>    the document store (content-addressed, settings `files_dir`)

The manifest names each part with its size and SHA-256, the schema revision, the audit
trail's length and head, and the trail's origin (the name its signed checkpoints carry).

Order matters for consistency while the server keeps running: the keys and checkpoint
journals are copied first (every checkpoint they hold covers a prefix of the trail dumped
next), then the database, then the files (documents are only ever added, under their hash,
so every document the dump names is already in the store).

A restore checks every part's SHA-256 before it writes anything, refuses a target database
that is not empty and key files that differ from the target's, restores the database in
one transaction (PostgreSQL: `pg_restore --single-transaction`; SQLite: a file renamed into
place), then verifies the audit chain against the checkpoints signed before the backup and
checks that every document the database names is in the store with its hash. The restore
itself is recorded in the restored trail.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from sqlalchemy import Engine, func, select

from judicare import __version__
from judicare.app import App
from judicare.audit.journal import AuditAnchor
from judicare.audit.models import AuditEventRow
from judicare.audit.service import AuditAction, record
from judicare.audit.trail import verify_trail
from judicare.db import migrate
from judicare.errors import InvalidInput, JudicareError
from judicare.requests.models import DocumentRow

FORMAT = "judicare-backup/1"
MANIFEST = "manifest.json"
CHUNK = 1 << 20


class BackupFailed(JudicareError):
    code = "backup_failed"
    exit_code = 1


@dataclass(frozen=True)
class Part:
    name: str
    size: int
    sha256: str


@dataclass
class Manifest:
    created_at: str
    database_kind: str
    schema_revision: str | None
    origin: str
    audit_entries: int
    audit_head: str | None
    parts: list[Part] = field(default_factory=list)
    judicare_version: str = __version__
    format: str = FORMAT

    def to_json(self) -> dict:
        return {
            "format": self.format,
            "judicare_version": self.judicare_version,
            "created_at": self.created_at,
            "database": {
                "kind": self.database_kind,
                "schema_revision": self.schema_revision,
                "origin": self.origin,
                "audit_entries": self.audit_entries,
                "audit_head": self.audit_head,
            },
            "parts": [{"name": p.name, "size": p.size, "sha256": p.sha256} for p in self.parts],
        }

    @classmethod
    def from_json(cls, data: dict) -> Manifest:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise InvalidInput(f"the archive is not a Judicare backup ({FORMAT})")
        try:
            database = data["database"]
            return cls(
                created_at=str(data["created_at"]),
                database_kind=str(database["kind"]),
                schema_revision=database["schema_revision"],
                origin=str(database["origin"]),
                audit_entries=int(database["audit_entries"]),
                audit_head=database["audit_head"],
                parts=[
                    Part(str(p["name"]), int(p["size"]), str(p["sha256"])) for p in data["parts"]
                ],
                judicare_version=str(data.get("judicare_version", "")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInput(f"the backup's manifest is incomplete: {exc}") from None

    @property
    def database_part(self) -> Part:
        for part in self.parts:
            if part.name in ("database.sqlite", "database.pgdump"):
                return part
        raise InvalidInput("the backup holds no database part")


@dataclass
class RestoreReport:
    manifest: Manifest
    audit_entries: int
    audit_valid: bool
    audit_problems: list[str]
    checkpoints_matched: int
    documents: int
    documents_missing: list[str]
    files: int
    key_files: int

    @property
    def ok(self) -> bool:
        return self.audit_valid and not self.documents_missing


Progress = Callable[[str], None]


def _quiet(_message: str) -> None:
    return None


# --- making a backup ---


def make_backup(app: App, target: Path, progress: Progress = _quiet) -> Manifest:
    """Write the archive `target` (refused if it exists); written under a temporary name and
    renamed when whole, so a failed backup leaves no file that looks like one."""
    if target.exists():
        raise InvalidInput(f"{target} already exists: choose a new file name")
    if not target.parent.is_dir():
        raise InvalidInput(f"the directory {target.parent} does not exist")
    kind = app.engine.url.get_backend_name()
    with app.unit_of_work() as uow:
        record(
            uow.session, actor="node:backup", action=AuditAction.CONSULTATION,
            tag="node:database:backup", subject_type="database",
            subject_id=app.audit_anchor.origin if app.audit_anchor else kind,
            why="a backup of the whole database, keys and documents, started", at=app.now(),
            details={"file": target.name},
        )  # fmt: skip
        uow.commit()
    partial = target.with_name(f".{target.name}.partial")
    with tempfile.TemporaryDirectory(prefix="judicare-backup-") as work:
        try:
            manifest = _write_archive(app, partial, Path(work), kind, progress)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
    return manifest


def _write_archive(app: App, partial: Path, work: Path, kind: str, progress: Progress) -> Manifest:
    settings = app.settings
    parts: list[Part] = []
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as raw, tarfile.open(fileobj=raw, mode="w") as archive:
        # 1. keys and checkpoint journals (see the module text for the order)
        progress("keys and audit checkpoints")
        keys_dir = settings.effective_node_keys_dir
        for path in _files_under(keys_dir):
            parts.append(_add(archive, path, "node-keys/" + path.relative_to(keys_dir).as_posix()))
        session_key = settings.data_dir / "web-session.key"
        if session_key.is_file():
            parts.append(_add(archive, session_key, "data/web-session.key"))
        # 2. the database, with the trail's length and head as the dump holds them
        progress("database")
        dump = work / ("database.sqlite" if kind == "sqlite" else "database.pgdump")
        if kind == "sqlite":
            _sqlite_online_backup(app.engine, dump)
            entries, head = _sqlite_trail_head(dump)
        else:
            entries, head = _trail_head(app.engine)  # read first: the dump holds at least these
            _pg_dump(app.engine, dump)
        revision = migrate.current_revision(app.engine)
        parts.append(_add(archive, dump, dump.name))
        dump.unlink()
        # 3. the documents
        progress("documents")
        files_dir = settings.effective_files_dir
        for path in _files_under(files_dir):
            relative = path.relative_to(files_dir)
            if relative.parts[0].startswith("."):
                continue  # an upload still being written
            parts.append(_add(archive, path, "files/" + relative.as_posix()))
        manifest = Manifest(
            created_at=app.now().isoformat(),
            database_kind=kind,
            schema_revision=revision,
            origin=app.audit_anchor.origin if app.audit_anchor else "",
            audit_entries=entries,
            audit_head=head,
            parts=parts,
        )
        body = json.dumps(manifest.to_json(), indent=2, sort_keys=True).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mode = len(body), 0o600
        archive.addfile(info, io.BytesIO(body))
        raw.flush()
        os.fsync(raw.fileno())
    return manifest


def _files_under(root: Path) -> Iterator[Path]:
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield path


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _add(archive: tarfile.TarFile, path: Path, name: str) -> Part:
    sha = _sha256_of(path)
    info = archive.gettarinfo(str(path), arcname=name)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    with path.open("rb") as handle:
        archive.addfile(info, handle)
    return Part(name, info.size, sha)


def _sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise InvalidInput("an in-memory SQLite database cannot be backed up or restored")
    return Path(database)


def _sqlite_online_backup(engine: Engine, target: Path) -> None:
    source = sqlite3.connect(_sqlite_path(engine))
    copy = sqlite3.connect(target)
    try:
        source.backup(copy, pages=4096)
    finally:
        copy.close()
        source.close()


def _sqlite_trail_head(path: Path) -> tuple[int, str | None]:
    connection = sqlite3.connect(path)
    try:
        row = connection.execute(
            "SELECT count(*), (SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1) "
            "FROM audit_events"
        ).fetchone()
    finally:
        connection.close()
    return int(row[0]), row[1]


def _trail_head(engine: Engine) -> tuple[int, str | None]:
    table = AuditEventRow.__table__
    with engine.connect() as connection:
        count = connection.execute(select(func.count()).select_from(table)).scalar_one()
        head = connection.execute(
            select(table.c.hash).order_by(table.c.seq.desc()).limit(1)
        ).scalar()
    return int(count), head


def _libpq(engine: Engine) -> tuple[list[str], dict[str, str]]:
    """Connection arguments for pg_dump/pg_restore; the password goes by environment, never
    on the command line (where `ps` would show it)."""
    url = engine.url
    arguments = ["--host", url.host or "127.0.0.1", "--port", str(url.port or 5432)]
    if url.username:
        arguments += ["--username", url.username]
    environment = dict(os.environ)
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    return [*arguments, "--dbname", str(url.database)], environment


def _run(command: list[str], environment: dict[str, str], what: str) -> None:
    tool = shutil.which(command[0])
    if tool is None:
        raise BackupFailed(f"{command[0]} is not installed: install the PostgreSQL client tools")
    done = subprocess.run([tool, *command[1:]], env=environment, capture_output=True, text=True)
    if done.returncode != 0:
        reason = (done.stderr or done.stdout).strip().splitlines()
        raise BackupFailed(f"{what} failed: {reason[-1] if reason else done.returncode}")


def _pg_dump(engine: Engine, target: Path) -> None:
    arguments, environment = _libpq(engine)
    _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
          "--file", str(target), *arguments], environment, "pg_dump")  # fmt: skip


# --- restoring ---


def read_manifest(archive_path: Path) -> Manifest:
    if not archive_path.is_file():
        raise InvalidInput(f"{archive_path} does not exist")
    try:
        with tarfile.open(archive_path, mode="r:") as archive:
            member = archive.getmember(MANIFEST)
            handle = archive.extractfile(member)
            if handle is None:
                raise InvalidInput(f"{archive_path}: {MANIFEST} is not a file")
            return Manifest.from_json(json.loads(handle.read()))
    except (tarfile.TarError, KeyError) as exc:
        raise InvalidInput(f"{archive_path} is not a Judicare backup: {exc}") from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{archive_path}: {MANIFEST} is not JSON: {exc}") from None


def _safe_relative(name: str, prefix: str) -> PurePosixPath:
    relative = PurePosixPath(name.removeprefix(prefix))
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        raise InvalidInput(f"the backup names an unsafe path {name!r}: refused")
    return relative


def check_archive(archive_path: Path, manifest: Manifest) -> None:
    """Every member is in the manifest with its size and SHA-256, and nothing else is."""
    expected = {part.name: part for part in manifest.parts}
    seen: set[str] = set()
    with tarfile.open(archive_path, mode="r:") as archive:
        for member in archive:
            if member.name == MANIFEST:
                continue
            part = expected.get(member.name)
            if part is None or not member.isfile():
                raise InvalidInput(f"the backup holds {member.name!r}, which its manifest omits")
            handle = archive.extractfile(member)
            assert handle is not None
            digest = hashlib.sha256()
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
            if member.size != part.size or digest.hexdigest() != part.sha256:
                raise InvalidInput(
                    f"{member.name} does not match its SHA-256 in the manifest: the backup is "
                    "damaged; use another copy"
                )
            seen.add(member.name)
    missing = sorted(set(expected) - seen)
    if missing:
        raise InvalidInput(
            f"the backup lacks {len(missing)} part(s) its manifest names: {missing[:3]}"
        )
    for name in expected:
        if name.startswith("files/"):
            _safe_relative(name, "files/")
        elif name.startswith("node-keys/"):
            _safe_relative(name, "node-keys/")
        elif name not in ("database.sqlite", "database.pgdump", "data/web-session.key"):
            raise InvalidInput(f"the backup names an unknown part {name!r}")


def restore_backup(app: App, archive_path: Path, progress: Progress = _quiet) -> RestoreReport:
    """Restore `archive_path` into `app`'s (empty) database, file store and key directory."""
    progress("reading the manifest")
    manifest = read_manifest(archive_path)
    kind = app.engine.url.get_backend_name()
    if manifest.database_kind != kind:
        raise InvalidInput(
            f"the backup holds a {manifest.database_kind} database and --db is {kind}: restore "
            f"into a {manifest.database_kind} database"
        )
    head = migrate.head_revision(app.engine)
    if manifest.schema_revision != head:
        raise InvalidInput(
            f"the backup is at schema revision {manifest.schema_revision}, this version needs "
            f"{head}: restore with the version that made it, then run `judicare db upgrade`"
        )
    progress("checking every part's SHA-256")
    check_archive(archive_path, manifest)
    _refuse_non_empty(app)
    settings = app.settings
    keys_dir, files_dir = settings.effective_node_keys_dir, settings.effective_files_dir
    keys = [(p, keys_dir / _safe_relative(p.name, "node-keys/")) for p in manifest.parts
            if p.name.startswith("node-keys/")]  # fmt: skip
    if any(p.name == "data/web-session.key" for p in manifest.parts):
        keys.append(
            (_part(manifest, "data/web-session.key"), settings.data_dir / "web-session.key")
        )
    _refuse_conflicting_keys(keys)

    written: list[Path] = []  # removed again if the database cannot be restored
    with (
        tempfile.TemporaryDirectory(prefix="judicare-restore-") as work,
        tarfile.open(archive_path, mode="r:") as archive,
    ):
        try:
            progress("keys")
            for part, destination in keys:
                if destination.is_file():
                    continue  # identical (checked above) or a journal that already extends it
                _private_dir(destination.parent)
                _extract(archive, part.name, destination)
                written.append(destination)
            key_files = len(written)
            progress("documents")
            for part in manifest.parts:
                if not part.name.startswith("files/"):
                    continue
                destination = files_dir / _safe_relative(part.name, "files/")
                if destination.is_file() and _sha256_of(destination) == part.sha256:
                    continue
                _private_dir(destination.parent)
                _extract(archive, part.name, destination)
                written.append(destination)
            files = len(written) - key_files
            progress("database")
            database = manifest.database_part
            dump = Path(work) / database.name
            _extract(archive, database.name, dump)
            if kind == "sqlite":
                _restore_sqlite(app, dump)
            else:
                _restore_postgres(app.engine, dump)
        except BaseException:
            for path in written:
                path.unlink(missing_ok=True)
            raise
    progress("verifying the audit trail and the documents")
    return _verify_restored(app, manifest, files, key_files)


def _part(manifest: Manifest, name: str) -> Part:
    return next(p for p in manifest.parts if p.name == name)


def _refuse_non_empty(app: App) -> None:
    if not migrate.is_empty(app.engine):
        where = app.engine.url.render_as_string(hide_password=True)
        raise InvalidInput(
            f"the database {where} is not empty: restore into a new, empty database "
            "(nothing was written)"
        )


def _refuse_conflicting_keys(keys: list[tuple[Part, Path]]) -> None:
    """A key file that exists with other content is never overwritten. A checkpoint journal
    (append-only) that already begins with the backup's content is kept as it is."""
    for part, destination in keys:
        if not destination.exists():
            continue
        if _sha256_of(destination) == part.sha256:
            continue
        if destination.suffix == ".jsonl" and destination.stat().st_size >= part.size:
            with destination.open("rb") as handle:
                if hashlib.sha256(handle.read(part.size)).hexdigest() == part.sha256:
                    continue
        raise InvalidInput(
            f"{destination} exists with other content than the backup's {part.name}: move it "
            "away or restore with another JUDICARE_NODE_KEYS_DIR (nothing was written)"
        )


def _private_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)


def _extract(archive: tarfile.TarFile, name: str, destination: Path, mode: int = 0o600) -> None:
    """Copy one member to `destination` through a temporary file renamed into place."""
    handle = archive.extractfile(archive.getmember(name))
    assert handle is not None
    descriptor, temp = tempfile.mkstemp(dir=destination.parent, prefix=".restore-")
    try:
        os.fchmod(descriptor, mode)
        with os.fdopen(descriptor, "wb") as out:
            shutil.copyfileobj(handle, out, CHUNK)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, destination)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _restore_sqlite(app: App, dump: Path) -> None:
    check = sqlite3.connect(dump)
    try:
        verdict = check.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        check.close()
    if verdict != "ok":
        raise InvalidInput(f"the backup's SQLite database fails its integrity check: {verdict}")
    target = _sqlite_path(app.engine)
    app.engine.dispose()
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    _private_dir(target.parent)
    staged = target.with_name(f".{target.name}.restore")
    shutil.copyfile(dump, staged)
    os.chmod(staged, 0o600)
    os.replace(staged, target)


def _restore_postgres(engine: Engine, dump: Path) -> None:
    engine.dispose()
    arguments, environment = _libpq(engine)
    _run(["pg_restore", "--single-transaction", "--exit-on-error", "--no-owner",
          "--no-privileges", *arguments, str(dump)], environment, "pg_restore")  # fmt: skip


def _verify_restored(app: App, manifest: Manifest, files: int, key_files: int) -> RestoreReport:
    # The chain, and the checkpoints signed (under the backed-up trail's name) before the
    # backup: the restored trail must be the one they vouch for.
    source_anchor = AuditAnchor(
        app.settings.effective_node_keys_dir / "audit", manifest.origin, now=app.now
    )
    with app.unit_of_work() as uow:
        report = verify_trail(uow.session, source_anchor)
        stored = uow.session.execute(select(DocumentRow.storage_key, DocumentRow.sha256)).all()
    missing = []
    store = app.file_store
    for key, sha in stored:
        if store is None or not store.exists(key):
            missing.append(key)
            continue
        digest = hashlib.sha256()
        for chunk in store.open_chunks(key):
            digest.update(chunk)
        if digest.hexdigest() != sha:
            missing.append(key)
    problems = [problem.message for problem in report.problems]
    if report.entries < manifest.audit_entries:
        problems.append(
            f"the restored trail holds {report.entries} entries, the backup recorded "
            f"{manifest.audit_entries}"
        )
    result = RestoreReport(
        manifest=manifest,
        audit_entries=report.entries,
        audit_valid=not problems,
        audit_problems=problems,
        checkpoints_matched=report.signed,
        documents=len(stored),
        documents_missing=missing,
        files=files,
        key_files=key_files,
    )
    with app.unit_of_work() as uow:
        record(
            uow.session, actor="node:restore", action=AuditAction.ALTERATION,
            tag="node:database:restore", subject_type="backup", subject_id=manifest.created_at,
            why="the database, keys and documents restored from a backup", at=app.now(),
            details={"entries": report.entries, "audit_valid": result.audit_valid,
                     "documents": len(stored), "documents_missing": len(missing),
                     "origin": manifest.origin},
        )  # fmt: skip
        uow.commit()
    return result


__all__ = [
    "BackupFailed",
    "Manifest",
    "RestoreReport",
    "check_archive",
    "make_backup",
    "read_manifest",
    "restore_backup",
]
