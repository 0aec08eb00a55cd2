"""`judicare audit verify --incremental`: a daily check that costs the day's entries, not
the whole history.

After a verification finds nothing wrong, the node keeps a *verification mark* next to its
checkpoint journal: the size of the trail verified, the hash of its last entry and the
Merkle frontier of entries 1..size, signed with the node's audit key (so an edited mark is
refused, not trusted). The next incremental run:

1. checks that the database still holds the mark's head at the mark's size: every entry up
   to there is fixed by that hash, as far as the chain links go (the checkpoints signed
   since then say the same, below);
2. reads only the entries after the mark and checks their hashes and links, continuing the
   chain from the mark's head;
3. checks the signed checkpoints written after the mark against those entries, with their
   Merkle roots computed from the mark's frontier, and that no checkpoint covers more
   entries than the database holds (a cut trail);
4. moves the mark to the new head if all is well.

What it does not re-read is the content of entries before the mark: an entry altered in
place there (its stored hash left unchanged) is found by a full `judicare audit verify`,
which should still run now and then (weekly, say). Without a mark, or with `--reset-mark`,
`--incremental` runs the full verification and sets the mark where it ends.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from nacl.exceptions import BadSignatureError
from sqlalchemy import select
from sqlalchemy.orm import Session

from judicare.audit import checkpoints, merkle
from judicare.audit.chain import Problem, canonical_time, verify
from judicare.audit.journal import AuditAnchor
from judicare.audit.models import AuditEventRow
from judicare.audit.trail import verify_trail

MARK_FORMAT = "judicare-audit-verified/v1"


@dataclass(frozen=True)
class Mark:
    origin: str
    size: int
    head: str
    frontier: list[str]
    at: str

    def message(self) -> bytes:
        body = {"format": MARK_FORMAT, "origin": self.origin, "size": self.size,
                "head": self.head, "frontier": self.frontier, "at": self.at}  # fmt: skip
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


@dataclass
class IncrementalReport:
    mode: str  # "incremental" | "full"
    entries: int  # entries in the trail
    checked: int  # entries read and hashed by this run
    since: int  # the size verified before (0 for a full run)
    problems: list[Problem] = field(default_factory=list)
    checkpoints_checked: int = 0
    mark: Mark | None = None


def mark_path(anchor: AuditAnchor) -> Path:
    return anchor.journal.with_name(
        anchor.journal.name.replace(".checkpoints.jsonl", ".verified.json")
    )


def read_mark(anchor: AuditAnchor) -> Mark | Problem | None:
    path = mark_path(anchor)
    if not path.exists():
        return None
    key = anchor.key(create=False)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        mark = Mark(str(document["origin"]), int(document["size"]), str(document["head"]),
                    [str(h) for h in document["frontier"]], str(document["at"]))  # fmt: skip
        signature = checkpoints.unb64(document["signature"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return Problem(0, "mark_unreadable", f"the verification mark {path} cannot be read "
                       f"({exc}): run a full `judicare audit verify`")  # fmt: skip
    if key is None or signature is None:
        return Problem(0, "mark_unverifiable", f"the verification mark {path} cannot be "
                       "checked without the audit key: restore the key directory")  # fmt: skip
    try:
        key.verify_key.verify(mark.message(), signature)
    except BadSignatureError:
        return Problem(0, "forged_mark", f"the verification mark {path} is not signed by "
                       "this node's audit key (edited or forged): run a full "
                       "`judicare audit verify`")  # fmt: skip
    if mark.origin != anchor.origin:
        return Problem(0, "foreign_mark", f"the verification mark {path} is for the trail "
                       f"{mark.origin}, not {anchor.origin}")  # fmt: skip
    return mark


def write_mark(anchor: AuditAnchor, size: int, head: str, frontier: merkle.Frontier) -> Mark:
    mark = Mark(anchor.origin, size, head, frontier.to_hex(), canonical_time(anchor.now()))
    key = anchor.key()
    assert key is not None
    signature = key.sign(mark.message()).signature
    document = {**json.loads(mark.message()), "signature": checkpoints.b64(signature)}
    path = mark_path(anchor)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor, temp = tempfile.mkstemp(dir=path.parent, prefix=".mark-")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            json.dump(document, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return mark


def verify_incremental(
    session: Session, anchor: AuditAnchor, ring=None, *, reset: bool = False
) -> IncrementalReport:
    if reset:
        return _full(session, anchor, ring)
    found = read_mark(anchor)
    if isinstance(found, Problem):
        return IncrementalReport("incremental", 0, 0, 0, [found])
    if found is None:
        return _full(session, anchor, ring)
    mark = found
    table = AuditEventRow.__table__
    stored = session.execute(select(table.c.hash).where(table.c.seq == mark.size)).scalar()
    problems: list[Problem] = []
    if mark.size and stored != mark.head:
        problems.append(Problem(mark.size, "rewritten", (
            f"entry {mark.size} no longer has the hash verified on {mark.at} "
            f"({checkpoints.short(mark.head)}): the trail was rewritten or cut before it; "
            "run a full `judicare audit verify` to find where")))  # fmt: skip
        return IncrementalReport("incremental", 0, 0, mark.size, problems)
    entries = session.execute(
        select(table).where(table.c.seq > mark.size).order_by(table.c.seq)
    ).all()
    problems += verify(entries, after=mark.size, previous=mark.head)
    frontier = merkle.Frontier.from_hex(mark.size, mark.frontier)
    newer = _signed_after(anchor, mark.size, problems)
    sizes = {c.size for c in newer if c.root}
    roots: dict[int, str] = {}
    hashes = {mark.size: mark.head} if mark.size else {}
    for entry in entries:
        hashes[entry.seq] = entry.hash
        if entry.seq == frontier.size + 1:
            frontier.append(merkle.entry_leaf(entry.hash))
            if entry.seq in sizes:
                roots[entry.seq] = frontier.root().hex()
    problems += checkpoints.check(hashes, newer, by="signed checkpoint", roots=roots).problems
    last = entries[-1] if entries else None
    report = IncrementalReport("incremental", last.seq if last else mark.size, len(entries),
                               mark.size, problems, len(newer), mark)  # fmt: skip
    if not problems and last is not None and frontier.size == last.seq:
        report.mark = write_mark(anchor, last.seq, last.hash, frontier)
    return report


def _signed_after(anchor: AuditAnchor, size: int, problems: list[Problem]) -> list:
    """The authentic checkpoints of this trail covering more than `size` entries (the
    signatures of the others were checked when the mark was set)."""
    key = anchor.key(create=False)
    lines = [line for line in anchor.lines()
             if line.checkpoint is None or line.checkpoint.size > size]  # fmt: skip
    if key is None:
        if lines:
            problems.append(Problem(0, "checkpoint_key_missing",
                                    f"the audit key in {anchor.directory} is missing"))  # fmt: skip
        return []
    public, valid = bytes(key.verify_key), []
    for line in lines:
        where = f"line {line.number} of the checkpoint journal {anchor.journal}"
        if line.checkpoint is None:
            problems.append(
                Problem(0, "forged_checkpoint", f"{where} cannot be read: {line.error}")
            )
        elif (signed := checkpoints.authentic(line.checkpoint, public)) is None:
            problems.append(Problem(0, "forged_checkpoint",
                                    f"{where} is not signed by this node's audit key"))  # fmt: skip
        elif line.checkpoint.origin == anchor.origin:
            valid.append(signed)
    return valid


def _full(session: Session, anchor: AuditAnchor, ring) -> IncrementalReport:
    report = verify_trail(session, anchor, ring)
    result = IncrementalReport("full", report.entries, report.entries, 0, list(report.problems),
                               report.signed)  # fmt: skip
    if report.problems or report.entries == 0:
        return result
    table = AuditEventRow.__table__
    frontier = merkle.Frontier()
    head = ""
    for entry_hash in session.execute(select(table.c.hash).order_by(table.c.seq)).scalars():
        frontier.append(merkle.entry_leaf(entry_hash))
        head = entry_hash
    result.mark = write_mark(anchor, frontier.size, head, frontier)
    return result


__all__ = ["IncrementalReport", "Mark", "read_mark", "verify_incremental", "write_mark"]
