"""What happened to a request, in words: the audit trail's entries on one request turned
into timeline entries (a kind, a template key and its values), with runs of reads folded
into one entry ("read 12 times by 3 people").

Pure: plain dicts in (as `queries.timeline` gives them), plain dicts out. The words are in
`web/timeline_text.py` (translatable templates, one per key); this module only decides
which template an event takes and with which values, so that API, pages and tests agree.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class EntryKind(enum.StrEnum):
    """What the officer filters the timeline by."""

    CHANGE = "change"  # registered, edited, basis chosen, assigned, linked
    STATUS = "status"  # moved through the lifecycle
    DECISION = "decision"  # drafts, proposals, approvals
    DOCUMENT = "document"  # uploaded or received
    EXCHANGE = "exchange"  # sent to or received from the other node
    SCREENING = "screening"
    READ = "read"  # consultations (folded)
    OTHER = "other"


# The act (the tag without its role) → (kind, template key). A status change has its own
# rule (`request:<status>`), and an act not listed here keeps a generic template that names
# the act's code, so nothing audited is ever hidden from the timeline.
ACTS: dict[str, tuple[EntryKind, str]] = {
    "request:create": (EntryKind.CHANGE, "created"),
    "request:update": (EntryKind.CHANGE, "updated"),
    "request:legal_basis": (EntryKind.CHANGE, "legal_basis"),
    "request:assign": (EntryKind.CHANGE, "assigned"),
    "request:link": (EntryKind.CHANGE, "linked"),
    "request:screen": (EntryKind.SCREENING, "screened"),
    "request:send": (EntryKind.EXCHANGE, "sent"),
    "decision:propose": (EntryKind.DECISION, "decision_proposed"),
    "decision:approve": (EntryKind.DECISION, "decision_approved"),
    "decision:reject": (EntryKind.DECISION, "decision_rejected"),
    "decision:draft": (EntryKind.DECISION, "draft_written"),
    "decision:draft_propose": (EntryKind.DECISION, "draft_proposed"),
    "decision:draft_return": (EntryKind.DECISION, "draft_returned"),
    "document:upload": (EntryKind.DOCUMENT, "document_added"),
    "document:receive": (EntryKind.DOCUMENT, "document_received"),
    "request:read": (EntryKind.READ, "read"),
    "document:read": (EntryKind.READ, "read"),
    "exchange:read": (EntryKind.READ, "read"),
}


@dataclass
class Entry:
    kind: EntryKind
    key: str  # the template's key in web/timeline_text.py
    at: str  # ISO 8601, the first event's time
    actor: str
    values: dict[str, Any] = field(default_factory=dict)
    last_at: str | None = None  # for a folded run of reads: the last read's time
    count: int = 1
    people: set[str] = field(default_factory=set)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "key": self.key,
            "at": self.at,
            "last_at": self.last_at or self.at,
            "actor": self.actor,
            "values": self.values,
            "count": self.count,
            "people": len(self.people) or 1,
        }


def act_of(tag: str) -> str:
    """`officer:request:read` → `request:read`; `node:request:receive` → `request:receive`."""
    return tag.split(":", 1)[1] if tag.count(":") >= 2 else tag


def classify(event: dict[str, Any], statuses: frozenset[str]) -> Entry:
    act = act_of(event["tag"])
    details = event.get("details") or {}
    subject, _, verb = act.partition(":")
    if subject == "request" and verb in statuses:
        values = {"from": details.get("from"), "to": details.get("to", verb)}
        if details.get("reasons"):
            values["reasons"] = details["reasons"]
        return Entry(EntryKind.STATUS, "status", event["at"], event["actor"], values)
    if event["tag"].startswith("node:") and verb == "receive":
        return Entry(EntryKind.EXCHANGE, "received", event["at"], event["actor"], {"type": subject})
    # Any consultation (`<subject>:read`: the victims' page, competing requests…) is a read,
    # folded with the others.
    default = (EntryKind.READ, "read") if verb == "read" else (EntryKind.OTHER, "other")
    kind, key = ACTS.get(act, default)
    return Entry(kind, key, event["at"], event["actor"], _values(key, act, details))


def _values(key: str, act: str, details: dict[str, Any]) -> dict[str, Any]:
    if key == "updated":
        changes = details.get("changes") or {
            name: {"from": None, "to": None} for name in details.get("fields") or []
        }
        return {"changes": [{"field": k, **v} for k, v in sorted(changes.items())]}
    if key == "legal_basis":
        return {
            "from": details.get("from"),
            "to": details.get("to"),
            "reason": details.get("reason"),
        }
    if key == "assigned":
        return {"users": details.get("names") or details.get("recipients") or []}
    if key == "linked":
        return {"other": details.get("to_reference") or details.get("to"),
                "link_type": details.get("link_type")}  # fmt: skip
    if key == "other":
        return {"code": act}
    return {}


# Kinds that fold: a page view reads the request and runs its screening report, so a
# run of views is a run of these two; each folds into one entry per run.
FOLDED = frozenset({EntryKind.READ, EntryKind.SCREENING})


def build(
    events: list[dict[str, Any]], statuses: frozenset[str], only: EntryKind | None = None
) -> list[dict[str, Any]]:
    """Events oldest first → entries oldest first. A run of reads and screenings (with no
    other event between them) gives one entry of each, counting the events and the people."""
    entries: list[Entry] = []
    run: dict[EntryKind, Entry] = {}  # the current run's folded entries
    for event in events:
        entry = classify(event, statuses)
        if entry.kind not in FOLDED:
            run = {}
        if only is not None and entry.kind is not only:
            continue
        if entry.kind in FOLDED:
            folded = run.get(entry.kind)
            if folded is not None:
                folded.count += 1
                folded.people.add(entry.actor)
                folded.last_at = entry.at
                continue
            entry.people.add(entry.actor)
            run[entry.kind] = entry
        entries.append(entry)
    return [e.as_dict() for e in entries]


def counts(events: list[dict[str, Any]], statuses: frozenset[str]) -> dict[str, int]:
    """How many events of each kind (for the filter's choices)."""
    found: dict[str, int] = {}
    for event in events:
        kind = classify(event, statuses).kind.value
        found[kind] = found.get(kind, 0) + 1
    return found
