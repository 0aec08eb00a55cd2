"""Where signed checkpoints live: an append-only journal in the node's key directory.

`<keys dir>/audit/` holds the audit key (`checkpoint.key`, Ed25519, 0600, created on first
use) and, per database, `<id>.checkpoints.jsonl`: one signed checkpoint a line, appended
after each commit that added audit entries (file opened O_APPEND, locked with flock while
the last line is read and the new one written, then fsync'd). Cosigned checkpoints returned
by peer witnesses go to `<id>.cosigned.jsonl`; what this node cosigned as a witness for
others, to `witnessed.json`. None of it is in the database: someone who holds only the
database cannot rewrite the trail without `judicare audit verify` naming it.

Writing a checkpoint never fails the business transaction, which has already committed: a
write that fails is logged, and `verify` then reports the entries after the last checkpoint.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from nacl.signing import SigningKey
from sqlalchemy.engine import URL

from judicare.audit import checkpoints
from judicare.audit.chain import canonical_time

log = logging.getLogger(__name__)

KEY_FILE = "checkpoint.key"
WITNESSED_FILE = "witnessed.json"
_TAIL_BYTES = 4096


def log_origin(url: URL) -> str:
    """The name of one audit trail: where its database is, as this node reaches it."""
    if url.get_backend_name() == "sqlite":
        database = url.database or ":memory:"
        where = database if database == ":memory:" else str(Path(database).resolve())
        return f"sqlite:{where}"
    return f"postgresql://{url.host or 'localhost'}:{url.port or 5432}/{url.database}"


@dataclass(frozen=True, slots=True)
class JournalLine:
    number: int
    checkpoint: checkpoints.Checkpoint | None
    error: str | None = None


class AuditAnchor:
    """The audit key and the checkpoint journals of one node, for one database."""

    def __init__(self, directory: Path, origin: str, now: Callable[[], datetime]) -> None:
        self.directory = directory
        self.origin = origin
        self.now = now
        stem = hashlib.sha256(origin.encode()).hexdigest()[:16]
        self.journal = directory / f"{stem}.checkpoints.jsonl"
        self.cosigned = directory / f"{stem}.cosigned.jsonl"
        self._key: SigningKey | None = None
        self._lock = threading.Lock()

    # --- the audit key ---

    def key(self, create: bool = True) -> SigningKey | None:
        if self._key is None:
            path = self.directory / KEY_FILE
            if not path.exists():
                if not create:
                    return None
                self._create_key(path)
            mode = path.stat().st_mode & 0o777
            if mode & 0o077:
                raise PermissionError(f"{path} is readable by others (mode {mode:o}): chmod 600")
            self._key = SigningKey(bytes.fromhex(path.read_text(encoding="ascii").strip()))
        return self._key

    def _create_key(self, path: Path) -> None:
        """Written to a temporary file, then linked into place: two processes creating the
        key at once end up with the same one."""
        _private_dir(self.directory)
        handle, temp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-")
        try:
            os.fchmod(handle, 0o600)
            with os.fdopen(handle, "wb") as out:
                out.write(bytes(SigningKey.generate()).hex().encode())
                out.flush()
                os.fsync(out.fileno())
            with contextlib.suppress(FileExistsError):
                os.link(temp, path)
        finally:
            Path(temp).unlink(missing_ok=True)

    # --- writing ---

    def record(self, size: int, head: str) -> None:
        """Sign and append a checkpoint after a commit. Never raises: the commit stands."""
        try:
            self.append(size, head)
        except Exception:  # the user's write has committed; verify shows the gap
            log.exception(
                "audit checkpoint for entry %s not written to %s: `judicare audit verify` "
                "will report the entries after the last checkpoint",
                size,
                self.journal,
            )

    def append(self, size: int, head: str) -> checkpoints.Checkpoint | None:
        """Append a signed checkpoint unless one as large is there already (another
        transaction committed after this one and wrote first). Lines are in size order."""
        key = self.key()
        with self._lock, self._locked(self.journal) as fd:
            last = _last_line(self.journal)
            if last and not last.endswith("\n"):
                os.write(fd, b"\n")  # a line cut short by a crash stays unreadable, alone
            elif last and _size_of(last) >= size:
                return None
            checkpoint = checkpoints.sign(
                key, origin=self.origin, size=size, head=head, at=canonical_time(self.now())
            )
            line = json.dumps(checkpoint.as_dict(), separators=(",", ":")) + "\n"
            os.write(fd, line.encode())
            os.fsync(fd)
            return checkpoint

    @contextlib.contextmanager
    def _locked(self, path: Path) -> Iterator[int]:
        _private_dir(self.directory)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield fd
        finally:
            os.close(fd)  # releases the lock

    # --- reading ---

    def lines(self, path: Path | None = None) -> list[JournalLine]:
        path = path or self.journal
        if not path.exists():
            return []
        text = path.read_text(encoding="utf-8", errors="replace")
        numbered = list(enumerate(text.split("\n"), start=1))
        if numbered and numbered[-1][1] == "":
            numbered.pop()
        result = []
        for number, parsed in checkpoints.parse_lines(numbered):
            if isinstance(parsed, str):
                result.append(JournalLine(number, None, parsed))
            else:
                result.append(JournalLine(number, parsed))
        return result

    def latest(self) -> checkpoints.Checkpoint | None:
        valid = [line.checkpoint for line in self.lines() if line.checkpoint is not None]
        return max(valid, key=lambda c: c.size, default=None)

    def add_cosigned(self, document: dict) -> None:
        with self._locked(self.cosigned) as fd:
            os.write(fd, (json.dumps(document, separators=(",", ":")) + "\n").encode())
            os.fsync(fd)

    def cosigned_documents(self) -> list[tuple[int, dict | None]]:
        if not self.cosigned.exists():
            return []
        result = []
        for number, line in enumerate(self.cosigned.read_text(encoding="utf-8").splitlines(), 1):
            try:
                result.append((number, json.loads(line)))
            except ValueError:
                result.append((number, None))
        return result


class WitnessState:
    """What this node, as a witness, cosigned last for each node's trail."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / WITNESSED_FILE

    @contextlib.contextmanager
    def update(self) -> Iterator[dict]:
        """The state, under an exclusive lock; saved (atomically) if the block succeeds."""
        _private_dir(self.directory)
        fd = os.open(self.directory / ".witnessed.lock", os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            state = json.loads(self.path.read_text("utf-8")) if self.path.exists() else {}
            yield state
            handle, temp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-")
            os.fchmod(handle, 0o600)
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(state, out, indent=2, sort_keys=True)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, self.path)
        finally:
            os.close(fd)


def _private_dir(directory: Path) -> None:
    """The audit folder and the key directory above it, created readable by the owner only
    (as `judicare node init` leaves the key directory)."""
    if directory.is_dir():
        return
    directory.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    directory.mkdir(exist_ok=True, mode=0o700)


def _last_line(path: Path) -> str | None:
    """The file's last line with its newline ('' for an empty file)."""
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        end = handle.tell()
        if end == 0:
            return ""
        handle.seek(max(0, end - _TAIL_BYTES))
        tail = handle.read().decode("utf-8", errors="replace")
    if tail.endswith("\n"):
        return tail[:-1].rsplit("\n", 1)[-1] + "\n"
    return tail.rsplit("\n", 1)[-1]


def _size_of(line: str) -> int:
    try:
        return int(json.loads(line)["size"])
    except (ValueError, KeyError, TypeError):
        return 0
