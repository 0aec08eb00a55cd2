"""The hash chain of the audit trail. Pure: entries in, hashes and problems out.

Each entry's hash covers its content and the previous entry's hash, so altering an entry
breaks its own hash, deleting one leaves a gap in the sequence and a broken link, and
reordering breaks the links. `verify` names each problem and the entry it concerns.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

GENESIS = "0" * 64


def canonical_time(at: datetime) -> str:
    """UTC, microseconds, 'Z': the same text whatever the database returns (SQLite gives
    naive datetimes, which Judicare always writes in UTC)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(
    *,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    tag: str,
    subject_type: str,
    subject_id: str,
    why: str,
    details: dict[str, Any],
    prev_hash: str,
) -> str:
    text = entry_text(
        seq=seq, at=at, actor=actor, action=action, tag=tag, subject_type=subject_type,
        subject_id=subject_id, why=why, details=details, prev_hash=prev_hash,
    )  # fmt: skip
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def entry_text(
    *,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    tag: str,
    subject_type: str,
    subject_id: str,
    why: str,
    details: dict[str, Any],
    prev_hash: str,
) -> str:
    """The canonical text `entry_hash` hashes: the entry as JSON, keys sorted, no spaces."""
    body = {
        "seq": seq,
        "at": canonical_time(at),
        "actor": actor,
        "action": action,
        "tag": tag,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "why": why,
        "details": details,
        "prev_hash": prev_hash,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class Problem:
    seq: int
    kind: str  # altered | missing | out_of_order | broken_link
    message: str


class Entry(Protocol):
    """What `verify` reads of an entry: the attributes of `AuditEventRow`."""

    @property
    def seq(self) -> int: ...
    @property
    def at(self) -> datetime: ...
    @property
    def actor(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def tag(self) -> str: ...
    @property
    def subject_type(self) -> str: ...
    @property
    def subject_id(self) -> str: ...
    @property
    def why(self) -> str: ...
    @property
    def details(self) -> dict[str, Any]: ...
    @property
    def prev_hash(self) -> str: ...
    @property
    def hash(self) -> str: ...


def verify(entries: Iterable[Entry], *, after: int = 0, previous: str = GENESIS) -> list[Problem]:
    """Check entries given in storage order (by seq). `after` and `previous`: the entries
    continue a chain already verified up to entry `after`, whose hash is `previous`
    (`audit.incremental`); by default they start it."""
    problems: list[Problem] = []
    expected_seq, previous_hash = after + 1, previous
    last_seq = after
    for entry in entries:
        if entry.seq < last_seq:
            problems.append(
                Problem(
                    entry.seq, "out_of_order", f"entry {entry.seq} comes after entry {last_seq}"
                )
            )
        if entry.seq > expected_seq:
            missing = (
                f"entry {expected_seq}"
                if entry.seq == expected_seq + 1
                else f"entries {expected_seq} to {entry.seq - 1}"
            )
            problems.append(
                Problem(
                    expected_seq, "missing", f"{missing} missing: the sequence jumps to {entry.seq}"
                )
            )
        recomputed = entry_hash(
            seq=entry.seq,
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            tag=entry.tag,
            subject_type=entry.subject_type,
            subject_id=entry.subject_id,
            why=entry.why,
            details=entry.details,
            prev_hash=entry.prev_hash,
        )
        if recomputed != entry.hash:
            problems.append(
                Problem(
                    entry.seq,
                    "altered",
                    f"entry {entry.seq} was altered: its content no longer matches its hash",
                )
            )
        elif entry.prev_hash != previous_hash:
            problems.append(
                Problem(
                    entry.seq,
                    "broken_link",
                    f"entry {entry.seq} does not follow the entry before it "
                    "(an entry was removed, inserted or reordered before it)",
                )
            )
        previous_hash = entry.hash
        last_seq = entry.seq
        expected_seq = entry.seq + 1
    return problems
