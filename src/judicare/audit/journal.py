"""Where signed checkpoints live: an append-only journal in the node's key directory.

`<keys dir>/audit/` holds the audit key (`checkpoint.key`, Ed25519, 0600, created on first
use) and, per database, `<id>.checkpoints.jsonl`: one signed checkpoint a line, appended
after each commit that added audit entries, before the write is answered (file opened
O_APPEND, locked with flock while the last line is read and the new one written, then
fsync'd once the flock is let go, so that another process appends meanwhile); concurrent
commits of one process share one line and one fsync (`AuditAnchor.record`). Each checkpoint
signs the Merkle root of the entries 1..size (audit.merkle); the line also carries,
unsigned, the frontier that root was folded from, which the next commit extends with the
entries committed since instead of re-reading the trail. Lines written before roots existed
have neither, and still verify; after such a line the frontier is rebuilt once from the
database. Cosigned checkpoints returned by peer witnesses go to `<id>.cosigned.jsonl`; what
this node cosigned as a witness for others (with the root it cosigned), to `witnessed.json`.
None of it is in the database: someone who holds only the database cannot rewrite the trail
without `judicare audit verify` naming it.

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
_READ_AHEAD = 4096  # entries of other processes read before the journal's lock, at most
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
        # Heads committed in this process and not yet signed (`record`): the largest one and
        # the hashes of their entries. Guards the fields below too.
        self._queue = threading.Condition(threading.Lock())
        self._wanted: tuple[int, str] | None = None
        self._known: dict[int, str] = {}
        # The largest size on a line this process saw in the journal (wrote, or found last
        # there); the largest size known on disk (in the file when an fsync of it returned);
        # the sizes the fsyncs under way will put on disk.
        self._written = 0
        self._durable = 0
        self._syncing: list[int] = []
        # The line this process wrote last, while the journal still ends with it.
        self._tail: _Tail | None = None

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
        """Sign and append a checkpoint after a commit, and return once a line covering it
        is on disk, before the caller answers. Never raises: the commit stands.

        Commits in one process share their checkpoints: the head waits in a queue, and
        whichever thread takes the journal next signs the largest head queued (every head
        there has committed, and the chain has no gap below a committed entry), so threads
        that committed meanwhile find their entries signed and write nothing.

        The file's lock, which orders the writers of all processes, is held while the line
        is written, not while it is fsync'd: another process appends meanwhile (its fsync
        may then cover both lines). This process's lock is held through the fsync, so that
        its commits queueing meanwhile share the next line. A thread returns once an fsync
        that began after a line covering its entries was in the file has returned: its
        own, or one under way in another thread of the process (it waits for that one), or,
        if that failed, one it makes itself. The hashes of the entries other processes
        committed since the last line this process saw are read from the database before
        the file's lock is taken (`_read_ahead`), not while it is held."""
        with self._queue:
            self._known.update(known or {})
            if self._wanted is None or size > self._wanted[0]:
                self._wanted = (size, head)
            covered = self._written >= size
        try:
            if covered:
                self._on_disk(size)
                return
            with self._lock:
                with self._queue:
                    wanted = self._wanted if self._written < size else None
                    since, pending = self._written, dict(self._known)
                if wanted is not None:
                    pending = _read_ahead(since, wanted[0], pending, read)
                    self._sync(*self._write(*wanted, known=pending, read=read)[:2])
                    return
            self._on_disk(size)  # a line another thread wrote meanwhile covers it
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
        transaction committed after this one and wrote first), then fsync the journal.
        Lines are in size order.

        The checkpoint carries the Merkle root of entries 1..size: the previous line's
        frontier extended with the entries since, taken from `known` (seq -> hash: this
        transaction's own entries) or, for those committed by other transactions, from
        `read(first, last)` (their hashes from the database). Without a usable frontier on
        the previous line (a journal written before roots, or a damaged line) the frontier
        is rebuilt once from the database. If the hashes cannot be had, the checkpoint is
        signed without a root, as before. `rootless_again`: also sign when the last line
        has this size but no root (an old journal's last checkpoint)."""
        with self._lock:
            fd, target, checkpoint = self._write(
                size, head, known=known or {}, read=read, rootless_again=rootless_again
            )
            self._sync(fd, target)
        return checkpoint

    def _write(
        self,
        size: int,
        head: str,
        *,
        known: Mapping[int, str],
        read: Reader | None,
        rootless_again: bool = False,
    ) -> tuple[int, int, checkpoints.Checkpoint | None]:
        """Under the file's lock (this process's held by the caller), append the checkpoint
        unless the last line is as large already. Returns the journal's descriptor, open
        and unlocked, for `_sync` to fsync and close; the size of the last line now, which
        that fsync puts on disk (registered as under way before the caller lets go of this
        process's lock); and the checkpoint written, if one was."""
        self.key()  # created, if need be, before the file's lock is taken
        _private_dir(self.directory)
        fd = os.open(self.journal, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                last_size, checkpoint = self._write_locked(
                    fd, size, head, known, read, rootless_again
                )
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        except BaseException:
            os.close(fd)
            raise
        with self._queue:
            self._written = max(self._written, last_size)
            self._known = {s: h for s, h in self._known.items() if s > self._written}
            self._syncing.append(last_size)
        return fd, last_size, checkpoint

    def _write_locked(
        self,
        fd: int,
        size: int,
        head: str,
        known: Mapping[int, str],
        read: Reader | None,
        rootless_again: bool,
    ) -> tuple[int, checkpoints.Checkpoint | None]:
        """`_write` with both locks held: the last line's size now, and the checkpoint
        appended (None if the last line covered `size` already).

        The last line and its frontier are read from the file, unless this process wrote
        that line: the file then ends where the process's last write ended (same file,
        same length), and the frontier the process kept is used."""
        status = os.fstat(fd)
        end = status.st_size
        tail = self._tail
        previous: merkle.Frontier | None
        if tail is not None and tail.at == (status.st_dev, status.st_ino, end):
            last_size, previous, rootless = tail.size, tail.frontier, False
        else:
            self._tail = None
            last = _last_line(fd, end)
            if last and not last.endswith("\n"):
                end += os.write(fd, b"\n")  # a line cut short by a crash stays unreadable
                last = ""
            last_size, previous = _size_of(last), _frontier_of(last)
            rootless = bool(last) and not _root_of(last)
        if last_size >= size and not (rootless_again and last_size == size and rootless):
            return last_size, None
        frontier = _extended(previous, size, known, read)  # a copy: `previous` is unchanged
        key = self.key()
        assert key is not None
        checkpoint = checkpoints.sign(
            key, origin=self.origin, size=size, head=head, at=canonical_time(self.now()),
            root=frontier.root().hex() if frontier else "",
        )  # fmt: skip
        document = checkpoint.as_dict()
        if frontier is not None:
            document["frontier"] = frontier.to_hex()  # unsigned: verify recomputes it
        line = (json.dumps(document, separators=(",", ":")) + "\n").encode()
        self._tail = None
        if os.write(fd, line) == len(line) and frontier is not None:
            self._tail = _Tail((status.st_dev, status.st_ino, end + len(line)), size, frontier)
        return size, checkpoint

    def _sync(self, fd: int, target: int) -> None:
        """fsync the journal through `fd` (then closed), registered in `_syncing` for
        `target`: once it returns, every line up to `target` is on disk."""
        done = False
        try:
            os.fsync(fd)
            done = True
        finally:
            os.close(fd)
            with self._queue:
                self._syncing.remove(target)
                if done:
                    self._durable = max(self._durable, target)
                self._queue.notify_all()

    def _on_disk(self, size: int) -> None:
        """Return once a line covering `size`, which this process has seen in the journal,
        is on disk: at once if an fsync since has returned, else once the fsyncs under way
        that cover it have returned; if none did (they failed), after an fsync of this
        thread's own."""
        with self._queue:
            while self._durable < size and any(s >= size for s in self._syncing):
                self._queue.wait()
            if self._durable >= size:
                return
        fd = os.open(self.journal, os.O_RDONLY)
        with self._queue:
            target = self._written
            self._syncing.append(target)
        self._sync(fd, target)

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


def _last_line(fd: int, end: int) -> str:
    """The last line of the file open at `fd`, `end` bytes long, with its newline ('' for an
    empty file)."""
    if end == 0:
        return ""
    start = max(0, end - _TAIL_BYTES)
    tail = os.pread(fd, end - start, start).decode("utf-8", errors="replace")
    if tail.endswith("\n"):
        return tail[:-1].rsplit("\n", 1)[-1] + "\n"
    return tail.rsplit("\n", 1)[-1]


@dataclass(frozen=True, slots=True)
class _Tail:
    """The line a process wrote last: where the journal ended after it (device, inode,
    length), its size, and the frontier it carries."""

    at: tuple[int, int, int]
    size: int
    frontier: merkle.Frontier


def _read_ahead(
    since: int, size: int, known: dict[int, str], read: Reader | None
) -> dict[int, str]:
    """`known` with the hashes of entries since..size it lacks (other processes'), read
    before the journal's file lock is taken: under it, the last line is at least `since`
    (the last this process saw), so the frontier extends from these alone. Not read when
    this process has seen no line yet, nor for more than `_READ_AHEAD` entries (a long idle
    process: only those after the last line are read then, under the lock); a failed read
    is left to that path too."""
    missing = next((seq for seq in range(since + 1, size + 1) if seq not in known), None)
    if read is None or since <= 0 or missing is None or size - missing >= _READ_AHEAD:
        return known
    try:
        hashes = read(missing, size)
    except Exception:
        log.info("audit entries %s–%s not read ahead of the journal's lock", missing, size)
        return known
    if len(hashes) != size - missing + 1:
        return known
    return {**dict(zip(range(missing, size + 1), hashes, strict=True)), **known}


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
