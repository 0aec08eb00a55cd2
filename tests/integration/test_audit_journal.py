"""The checkpoint journal's writers (issue 22): what the journal's locks are held for.

Two `AuditAnchor`s on one directory stand for two server processes of one node: each opens
the journal on its own, so their file locks exclude each other as two processes' do. A
checkpoint covering a commit is still on disk before `record` returns; what changed is that
the fsync runs after the locks are let go, that the hashes of other processes' entries are
read before the file's lock is taken, and that a process does not read back the line it
wrote last."""

from __future__ import annotations

import fcntl
import os
import threading
from datetime import UTC, datetime

from judicare.audit import journal, merkle
from judicare.audit.journal import AuditAnchor
from tests.waiting import PATIENCE, eventually

HASHES = {seq: f"{seq:064x}" for seq in range(1, 9)}


def _anchor(tmp_path) -> AuditAnchor:
    """A process's anchor on the journal in `tmp_path`, its key created (and fsync'd) now."""
    anchor = AuditAnchor(
        tmp_path / "audit", "test:origin", lambda: datetime(2026, 12, 6, tzinfo=UTC)
    )
    anchor.key()
    return anchor


def _root(size: int) -> str:
    leaves = (merkle.entry_leaf(HASHES[seq]) for seq in range(1, size + 1))
    return merkle.Frontier().extend(leaves).root().hex()


def _known(*seqs: int) -> dict[int, str]:
    return {seq: HASHES[seq] for seq in seqs}


def _read(first: int, last: int) -> list[str]:
    return [HASHES[seq] for seq in range(first, last + 1)]


def _checked_lines(anchor: AuditAnchor) -> list[int]:
    """The sizes of the journal's lines, each line's root checked against the hashes."""
    sizes = []
    for line in anchor.lines():
        assert line.checkpoint is not None, line.error
        assert line.checkpoint.root == _root(line.checkpoint.size)
        assert line.checkpoint.head == HASHES[line.checkpoint.size]
        sizes.append(line.checkpoint.size)
    return sizes


def test_the_next_writer_appends_while_a_line_is_fsynced_and_covered_commits_wait_for_it(
    tmp_path, monkeypatch
):
    """While one process's line is being fsync'd, another process appends its own (the file
    lock is not held through the fsync). A commit of the first process that the line covers
    returns only once that fsync has returned, as the writer does."""
    one, two = _anchor(tmp_path), _anchor(tmp_path)
    in_fsync, release = threading.Event(), threading.Event()
    events: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        if threading.current_thread().name == "first":
            in_fsync.set()
            assert release.wait(PATIENCE)
        real_fsync(fd)
        events.append(f"{threading.current_thread().name} fsync'd")

    def run(name: str, anchor: AuditAnchor, size: int, known: dict[int, str]):
        def target() -> None:
            anchor.record(size, HASHES[size], known, _read)
            events.append(f"{name} returned")

        thread = threading.Thread(target=target, name=name)
        thread.start()
        return thread

    monkeypatch.setattr(os, "fsync", fsync)
    first = run("first", one, 2, _known(1, 2))
    try:
        assert in_fsync.wait(PATIENCE)
        covered = run("covered", one, 1, _known(1))
        second = run("second", two, 4, _known(3, 4))
        eventually(lambda: not second.is_alive(), "the other process appends and returns")
        assert _checked_lines(one) == [2, 4]
        covered.join(timeout=0.2)  # would return now if it did not wait for the fsync
        assert first.is_alive() and covered.is_alive()
    finally:
        release.set()
        first.join(PATIENCE)
    covered.join(PATIENCE)
    assert events.index("first fsync'd") < events.index("first returned")
    assert events.index("first fsync'd") < events.index("covered returned")
    assert "covered fsync'd" not in events  # it waited for the writer's fsync
    assert one._durable == 2 and two._durable == 4


def test_other_processes_hashes_are_read_before_the_file_lock_is_taken(tmp_path):
    """A process's next line needs the hashes of entries other processes committed since its
    last: they are read from the database with the journal's file lock free (another
    process can append meanwhile), and the line's root covers every entry."""
    one, two = _anchor(tmp_path), _anchor(tmp_path)
    reads: list[tuple[int, int, bool]] = []

    def read(first: int, last: int) -> list[str]:
        probe = os.open(one.journal, os.O_RDONLY)
        try:
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
            free = True
        except BlockingIOError:
            free = False
        finally:
            os.close(probe)
        reads.append((first, last, free))
        return _read(first, last)

    one.record(2, HASHES[2], _known(1, 2), read)
    two.record(4, HASHES[4], _known(3, 4), read)  # extends the first process's line
    one.record(6, HASHES[6], _known(6), read)  # 5: another process's, not signed yet
    assert _checked_lines(one) == [2, 4, 6]
    assert reads == [(3, 6, True)]


def test_a_process_does_not_read_back_the_line_it_wrote_last(tmp_path, monkeypatch):
    """A process keeps the frontier of the line it wrote: while the journal ends with that
    line (same file, same length), it is not read back. A line of another process, or a
    journal replaced by an older copy, is read from the file."""
    one, two = _anchor(tmp_path), _anchor(tmp_path)
    read_back: list[int] = []
    real_last_line = journal._last_line

    def last_line(*args):
        read_back.append(1)
        return real_last_line(*args)

    monkeypatch.setattr(journal, "_last_line", last_line)
    one.record(1, HASHES[1], _known(1), _read)
    one.record(2, HASHES[2], _known(2), _read)
    assert len(read_back) == 1  # the empty journal, once
    two.record(3, HASHES[3], _known(3), _read)
    assert len(read_back) == 2
    one.record(4, HASHES[4], _known(4), _read)
    assert len(read_back) == 3  # the other process's line
    one.record(5, HASHES[5], _known(5), _read)
    assert len(read_back) == 3
    assert _checked_lines(one) == [1, 2, 3, 4, 5]

    older = one.journal.read_text("utf-8").splitlines(keepends=True)[:2]
    copy = one.journal.with_name("copy.jsonl")
    copy.write_text("".join(older), "utf-8")
    os.replace(copy, one.journal)  # a journal restored from a copy taken at size 2
    one.record(7, HASHES[7], _known(7), _read)  # 3 to 6 read from the database
    assert len(read_back) == 4
    assert _checked_lines(one) == [1, 2, 7]


def test_a_commit_whose_line_was_not_fsynced_fsyncs_it_itself(tmp_path, monkeypatch):
    """If the fsync of the line covering a commit fails, a later commit of the process that
    the line covers does not count it as on disk: it fsyncs the journal itself (the
    writer's failure is logged, as any failure to write a checkpoint is)."""
    one = _anchor(tmp_path)
    calls: list[int] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 1:
            raise OSError("no space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    one.record(2, HASHES[2], _known(1, 2), _read)  # its fsync fails: logged, not raised
    assert len(calls) == 1
    one.record(1, HASHES[1], _known(1), _read)
    assert len(calls) == 2
    one.record(2, HASHES[2], _known(2), _read)
    assert len(calls) == 2  # on disk now
    assert _checked_lines(one) == [2]
