"""Chain of custody of an evidence item. Pure: events in, events and problems out.

The Berkeley Protocol on Digital Open Source Investigations (OHCHR and UC Berkeley Human
Rights Center; para 167 as quoted in `reference/reliability_security.md` §1.7) calls the
chain of custody "the chronological record of who held an item, plus the record of its
control, date and time, transfer, analysis and final disposition". Here each event says who
(`actor`), when (`at`), where (`where`) and why (`why`), and is hash-linked to the event
before it with the audit trail's own hashing (`judicare.audit.chain.entry_hash`), so that an
altered, removed or reordered event is found by `audit.chain.verify`, here as there.

Five kinds of event, in the Protocol's words:
- collected: the item was captured or seized by this authority (its hash taken at capture);
- received: the item came into this authority's custody from another custodian;
- sealed: the evidentiary copy is fixed: from then on it is never altered (its SHA-256 and
  SHA-512 are recorded in the event);
- copied: a working copy was derived from the item (recorded on both: on the original, which
  copy was made; on the copy, what it was derived from and how);
- transmitted: the item left this authority's custody, to whom and by which message.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from judicare.audit.chain import GENESIS, Problem, canonical_time, entry_hash, verify

SUBJECT_TYPE = "evidence_item"
MAX_TEXT = 2_000


class EventKind(enum.StrEnum):
    COLLECTED = "collected"
    RECEIVED = "received"
    SEALED = "sealed"
    COPIED = "copied"
    TRANSMITTED = "transmitted"


# How an item enters custody: by collection or receipt (an evidentiary copy), or by
# derivation from another item (a working copy, whose first event is `copied`).
FIRST_KINDS = {EventKind.COLLECTED, EventKind.RECEIVED, EventKind.COPIED}


class CustodyRefused(ValueError):
    """An event that cannot follow the item's custody so far; the message says why."""


@dataclass(frozen=True, slots=True)
class CustodyEvent:
    """One link of an item's chain; the attributes `audit.chain.verify` reads."""

    seq: int
    at: datetime
    actor: str
    kind: EventKind
    item: str  # the item's stable identifier (its uid), the same on every node
    why: str
    details: dict[str, Any]  # `where` and what the kind needs (hashes, recipient, copy)
    prev_hash: str
    hash: str

    @property
    def action(self) -> str:
        return self.kind.value

    @property
    def tag(self) -> str:
        return f"custodian:evidence_item:{self.kind.value}"

    @property
    def subject_type(self) -> str:
        return SUBJECT_TYPE

    @property
    def subject_id(self) -> str:
        return self.item

    @property
    def where(self) -> str:
        return str(self.details.get("where", ""))

    def as_record(self) -> dict[str, Any]:
        """The plain form written in a bag's custody log (and read back by `from_record`)."""
        return {
            "seq": self.seq, "at": canonical_time(self.at), "actor": self.actor,
            "kind": self.kind.value, "item": self.item, "why": self.why,
            "details": dict(self.details), "prev_hash": self.prev_hash, "hash": self.hash,
        }  # fmt: skip


def from_record(record: Mapping[str, Any]) -> CustodyEvent:
    """An event as a custody log holds it; raises `CustodyRefused` naming the bad field."""
    try:
        at = datetime.fromisoformat(str(record["at"]).replace("Z", "+00:00"))
        return CustodyEvent(
            seq=int(record["seq"]), at=at, actor=str(record["actor"]),
            kind=EventKind(record["kind"]), item=str(record["item"]), why=str(record["why"]),
            details=dict(record["details"]), prev_hash=str(record["prev_hash"]),
            hash=str(record["hash"]),
        )  # fmt: skip
    except KeyError as exc:
        raise CustodyRefused(f"a custody event lacks the field {exc.args[0]!r}") from None
    except (TypeError, ValueError) as exc:
        raise CustodyRefused(f"a custody event has a malformed field: {exc}") from None


@dataclass(frozen=True, slots=True)
class NewEvent:
    """What an officer records; `follow` turns it into the next link of the chain."""

    kind: EventKind
    actor: str
    at: datetime
    where: str
    why: str
    details: Mapping[str, Any] = field(default_factory=dict)


def follow(history: Sequence[CustodyEvent], item: str, new: NewEvent) -> CustodyEvent:
    """The next event of an item's chain, after checking that it may follow the history."""
    check_next(history, new)
    previous = history[-1] if history else None
    seq = previous.seq + 1 if previous else 1
    prev_hash = previous.hash if previous else GENESIS
    details = {**new.details, "where": new.where.strip()}
    digest = entry_hash(
        seq=seq, at=new.at, actor=new.actor, action=new.kind.value,
        tag=f"custodian:evidence_item:{new.kind.value}", subject_type=SUBJECT_TYPE,
        subject_id=item, why=new.why.strip(), details=details, prev_hash=prev_hash,
    )  # fmt: skip
    return CustodyEvent(
        seq=seq, at=new.at, actor=new.actor, kind=new.kind, item=item, why=new.why.strip(),
        details=details, prev_hash=prev_hash, hash=digest,
    )  # fmt: skip


def check_next(history: Sequence[CustodyEvent], new: NewEvent) -> None:
    """The rules of the chain (see `cases/custody.yaml`): who, where and why are always
    said; an item enters custody once; a sealed item is sealed once; nothing is recorded
    of an item while it is out of this custodian's hands except its receipt back."""
    for name, value in (("actor", new.actor), ("where", new.where), ("why", new.why)):
        if not value or not value.strip():
            raise CustodyRefused(f"a custody event needs {name}: say {_SAY[name]}")
        if len(value) > MAX_TEXT:
            raise CustodyRefused(f"{name} has {len(value)} characters; the most is {MAX_TEXT}")
    kinds = [e.kind for e in history]
    if not kinds:
        if new.kind not in FIRST_KINDS:
            raise CustodyRefused(
                f"an item's first custody event is collected, received or copied, not "
                f"{new.kind.value}: record how it came into custody first"
            )
        return
    if history and new.at < history[-1].at:
        raise CustodyRefused(
            f"the event is dated {canonical_time(new.at)}, before the item's last event "
            f"({canonical_time(history[-1].at)}): custody is recorded in chronological order"
        )
    if new.kind is EventKind.COLLECTED:
        raise CustodyRefused("the item is already in custody: it is collected only once")
    if kinds[-1] is EventKind.TRANSMITTED and new.kind is not EventKind.RECEIVED:
        raise CustodyRefused(
            f"the item was transmitted and is out of this custodian's hands: only its "
            f"receipt back can follow, not {new.kind.value}"
        )
    if new.kind is EventKind.RECEIVED and kinds[-1] is not EventKind.TRANSMITTED:
        raise CustodyRefused(
            "the item is in custody already: it can be received only after it was transmitted"
        )
    if new.kind is EventKind.SEALED and EventKind.SEALED in kinds:
        raise CustodyRefused(
            "the item is sealed already: a sealed original is sealed once and never changed"
        )
    if new.kind is EventKind.SEALED and is_working_copy(history):
        raise CustodyRefused("a working copy is not sealed: seal the original it comes from")
    unsealed = EventKind.SEALED not in kinds and not is_working_copy(history)
    if new.kind is EventKind.TRANSMITTED and unsealed:
        raise CustodyRefused("an original is sealed before it is transmitted: seal it first")


_SAY = {"actor": "who acted", "where": "where it happened", "why": "why it was done"}


def is_working_copy(history: Sequence[CustodyEvent]) -> bool:
    """A working copy's chain opens with `copied` (it was derived from another item)."""
    return bool(history) and history[0].kind is EventKind.COPIED


def is_sealed(history: Sequence[CustodyEvent]) -> bool:
    return any(e.kind is EventKind.SEALED for e in history)


def check_chain(item: str, events: Sequence[CustodyEvent]) -> list[Problem]:
    """The problems of one item's chain: the audit chain's own checks (altered, missing,
    reordered, broken link), plus an event filed under another item."""
    problems = verify(events)
    for event in events:
        if event.item != item:
            problems.append(
                Problem(event.seq, "altered", f"event {event.seq} belongs to item {event.item}")
            )
    if not events:
        problems.append(Problem(0, "missing", f"item {item} has no custody event"))
    return problems
