"""Where signed checkpoints live: an append-only journal in the node's key directory.

`<keys dir>/audit/` holds the audit key (`checkpoint.key`, Ed25519, 0600, created on first
use) and, per database, `<id>.checkpoints.jsonl`: one signed checkpoint a line, appended
after each commit that added audit entries, before the write is answered (file opened
O_APPEND, locked with flock while the last line is read and the new one written, then
fsync'd); concurrent commits of one process share one line and one fsync
(`AuditAnchor.record`). Each checkpoint signs the
Merkle root of the entries 1..size (audit.merkle); the line also carries, unsigned, the
frontier that root was folded from, which the next commit extends with the entries
committed since instead of re-reading the trail. Lines written before roots existed have
neither, and still verify; after such a line the frontier is rebuilt once from the
database. Cosigned checkpoints returned by peer witnesses go to `<id>.cosigned.jsonl`; what
this node cosigned as a witness for others (with the root it cosigned), to
`witnessed.json`. None of it is in the database: someone who holds only the database cannot
rewrite the trail without `judicare audit verify` naming it.

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
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from nacl.signing import SigningKey
from sqlalchemy.engine import URL

from judicare.audit import checkpoints, merkle
from judicare.audit.chain import canonical_time

log = logging.getLogger(__name__)

KEY_FILE = "checkpoint.key"
WITNESSED_FILE = "witnessed.json"
_TAIL_BYTES = 16384  # a line with its frontier: under 3 KB up to 2**40 entries
# Reads the hashes of entries first..last (inclusive, in order) from the database.
Reader = Callable[[int, int], Sequence[str]]


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
        self._lock = threading.Lock()  # one writer of the journal per process at a time
        # Heads committed in this process and not yet signed (`record`): the largest one,
        # the hashes of their entries, and the largest size this process saw signed.
        self._queue = threading.Lock()
        self._wanted: tuple[int, str] | None = None
        self._known: dict[int, str] = {}
        self._signed = 0

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

    def record(
        self,
        size: int,
        head: str,
        known: Mapping[int, str] | None = None,
        read: Reader | None = None,
    ) -> None:
        """Sign and append a checkpoint after a commit, before the caller answers. Never
        raises: the commit stands.

        Commits in one process share their checkpoints: the head waits in a queue, and
        whichever thread takes the journal next signs the largest head queued (every head
        there has committed, and the chain has no gap below a committed entry), so threads
        that committed meanwhile find their entries signed and return without a write or an
        fsync of their own."""
        with self._queue:
            self._known.update(known or {})
            if self._wanted is None or size > self._wanted[0]:
                self._wanted = (size, head)
        try:
            with self._lock:
                if self._signed >= size:
                    return  # signed by a checkpoint another thread wrote meanwhile
                with self._queue:
                    assert self._wanted is not None
                    size, head = self._wanted
                    known = dict(self._known)
                signed, _ = self._append_locked(size, head, known=known, read=read)
                with self._queue:
                    self._signed = max(self._signed, signed)
                    self._known = {s: h for s, h in self._known.items() if s > self._signed}
        except Exception:  # the user's write has committed; verify shows the gap
            log.exception(
                "audit checkpoint for entry %s not written to %s: `judicare audit verify` "
                "will report the entries after the last checkpoint",
                size,
                self.journal,
            )

    def append(
        self,
        size: int,
        head: str,
        *,
        known: Mapping[int, str] | None = None,
        read: Reader | None = None,
        rootless_again: bool = False,
    ) -> checkpoints.Checkpoint | None:
        """Append a signed checkpoint unless one as large is there already (another
        transaction committed after this one and wrote first). Lines are in size order.

        The checkpoint carries the Merkle root of entries 1..size: the previous line's
        frontier extended with the entries since, taken from `known` (seq -> hash: this
        transaction's own entries) or, for those committed by other transactions, from
        `read(first, last)` (their hashes from the database). Without a usable frontier on
        the previous line (a journal written before roots, or a damaged line) the frontier
        is rebuilt once from the database. If the hashes cannot be had, the checkpoint is
        signed without a root, as before. `rootless_again`: also sign when the last line
        has this size but no root (an old journal's last checkpoint)."""
        with self._lock:
            return self._append_locked(
                size, head, known=known, read=read, rootless_again=rootless_again
            )[1]

    def _append_locked(
        self,
        size: int,
        head: str,
        *,
        known: Mapping[int, str] | None = None,
        read: Reader | None = None,
        rootless_again: bool = False,
    ) -> tuple[int, checkpoints.Checkpoint | None]:
        """`append`, the process's lock held: the size of the journal's last line now, and
        the checkpoint written (None if the line there already covered `size`)."""
        key = self.key()
        with self._locked(self.journal) as fd:
            last = _last_line(self.journal)
            if last and not last.endswith("\n"):
                os.write(fd, b"\n")  # a line cut short by a crash stays unreadable, alone
                last = ""
            elif (
                last
                and _size_of(last) >= size
                and not (rootless_again and _size_of(last) == size and not _root_of(last))
            ):
                return _size_of(last), None
            frontier = _extended(_frontier_of(last), size, known or {}, read)
            checkpoint = checkpoints.sign(
                key, origin=self.origin, size=size, head=head, at=canonical_time(self.now()),
                root=frontier.root().hex() if frontier else "",
            )  # fmt: skip
            document = checkpoint.as_dict()
            if frontier is not None:
                document["frontier"] = frontier.to_hex()  # unsigned: verify recomputes it
            line = json.dumps(document, separators=(",", ":")) + "\n"
            os.write(fd, line.encode())
            os.fsync(fd)
            return size, checkpoint

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


def _root_of(line: str) -> str:
    try:
        return str(json.loads(line).get("root") or "")
    except (ValueError, AttributeError):
        return ""


def _frontier_of(line: str | None) -> merkle.Frontier | None:
    """The frontier a journal line carries, if it folds into the line's (signed) root."""
    if not line:
        return None
    try:
        data = json.loads(line)
        frontier = merkle.Frontier.from_hex(data["size"], data["frontier"])
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return frontier if frontier.root().hex() == data.get("root") else None


def _extended(
    previous: merkle.Frontier | None, size: int, known: Mapping[int, str], read: Reader | None
) -> merkle.Frontier | None:
    """The frontier of entries 1..size, from the previous line's, or from nothing."""
    start = previous.copy() if previous is not None and previous.size <= size else None
    first = start.size + 1 if start is not None else 1
    wanted = range(first, size + 1)
    if all(seq in known for seq in wanted):
        hashes = [known[seq] for seq in wanted]
    elif read is None:
        return None
    else:
        try:
            hashes = read(first, size)
        except Exception:  # the database is unreachable: sign without a root
            log.exception("audit entries %s–%s not read for the Merkle root", first, size)
            return None
    if len(hashes) != len(wanted):
        return None
    try:
        return (start or merkle.Frontier()).extend(merkle.entry_leaf(h) for h in hashes)
    except ValueError:
        return None


def _size_of(line: str) -> int:
    try:
        return int(json.loads(line)["size"])
    except (ValueError, KeyError, TypeError):
        return 0
