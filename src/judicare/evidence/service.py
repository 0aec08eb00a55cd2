"""Use cases of evidence: add an item, record its custody, derive a working copy, list,
package. Each loads through need-to-know (`requests.access.load_for`: the request's own
authority, or a user assigned to it), writes its audit entry in the caller's transaction,
and never commits: the command does, so an item, its first custody event and its audit
entry land together or not at all.

The bytes of an item go to the content-addressed file store before the commit, as a
document's do (`requests.documents.add_document`): bytes left behind by a transaction that
rolls back are unreferenced and harmless; a row pointing at missing bytes cannot happen.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from judicare.audit.service import AuditAction
from judicare.auth.permissions import NotFound, Permission, Principal, can
from judicare.errors import InvalidInput
from judicare.evidence import bags, custody
from judicare.evidence.custody import CustodyEvent, EventKind, NewEvent
from judicare.evidence.digests import Hasher, passing_through
from judicare.evidence.models import CustodyEventRow, EvidenceItemRow, ItemKind
from judicare.files.media import checked_filename, checked_media_type
from judicare.files.store import FileStore, TooLarge
from judicare.requests.access import audit_request_act, load_for
from judicare.requests.models import RequestRow

MAX_DESCRIPTION = 5_000


@dataclass(frozen=True)
class Custody:
    """Where, why and by whom (the acting user, unless the custodian is named apart)."""

    where: str
    why: str


def add_item(
    session: Session,
    file_store: FileStore,
    principal: Principal,
    request_id: int,
    *,
    chunks: Iterable[bytes],
    filename: str,
    media_type: str | None,
    description: str,
    custody_of: Custody,
    now: datetime,
    limit: int,
    kind: EventKind = EventKind.COLLECTED,
) -> dict[str, Any]:
    """A new original item, with its first custody event (collected, or received from
    another custodian) carrying the SHA-256 and SHA-512 taken as its bytes were stored."""
    if kind not in (EventKind.COLLECTED, EventKind.RECEIVED):
        raise InvalidInput("an original enters custody as collected or received")
    row = load_for(session, principal, request_id, Permission.DOCUMENT_UPLOAD)
    description = _description(description)
    filename, media_type = checked_filename(filename), checked_media_type(media_type)
    item = _store(session, file_store, principal, row, chunks, filename, media_type,
                  description, ItemKind.ORIGINAL, None, limit)  # fmt: skip
    first = NewEvent(kind, principal.username, now, custody_of.where, custody_of.why,
                     {"sha256": item.sha256, "sha512": item.sha512, "size": item.size})  # fmt: skip
    _append(session, item, [], first)
    audit_request_act(
        session, principal, row.id, AuditAction.COLLECTION, "evidence:item:add",
        why=custody_of.why, now=now,
        details={"item": item.uid, "sha256": item.sha256, "size": item.size},
    )  # fmt: skip
    return item_view(item, history(session, item))


def record_event(
    session: Session,
    principal: Principal,
    request_id: int,
    item_id: int,
    kind: EventKind,
    *,
    custody_of: Custody,
    now: datetime,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Record sealed, transmitted or received (back) for an item, after the chain's rules."""
    if kind in (EventKind.COLLECTED, EventKind.COPIED):
        command = "evidence add" if kind is EventKind.COLLECTED else "evidence copy"
        raise InvalidInput(f"{kind.value} is recorded when an item is added ({command})")
    row = load_for(session, principal, request_id, Permission.DOCUMENT_UPLOAD)
    item = _item(session, row, item_id)
    events = history(session, item)
    extra = dict(details or {})
    if kind is EventKind.SEALED:
        extra.update(sha256=item.sha256, sha512=item.sha512, size=item.size)
    event = _append(
        session,
        item,
        events,
        NewEvent(kind, principal.username, now, custody_of.where, custody_of.why, extra),
    )
    audit_request_act(
        session, principal, row.id, AuditAction.ALTERATION, f"evidence:custody:{kind.value}",
        why=custody_of.why, now=now, details={"item": item.uid, "seq": event.seq},
    )  # fmt: skip
    return item_view(item, [*events, event])


def add_working_copy(
    session: Session,
    file_store: FileStore,
    principal: Principal,
    request_id: int,
    item_id: int,
    *,
    chunks: Iterable[bytes],
    filename: str,
    media_type: str | None,
    how: str,
    custody_of: Custody,
    now: datetime,
    limit: int,
) -> dict[str, Any]:
    """A working copy derived from an item (a redaction, a conversion, an extract): new
    bytes, a new item that says what it was derived from and how, and `copied` recorded on
    both chains. The original is not touched: its bytes stay as sealed."""
    row = load_for(session, principal, request_id, Permission.DOCUMENT_UPLOAD)
    source = _item(session, row, item_id)
    how = (how or "").strip()
    if not how:
        raise InvalidInput(
            "a working copy says how it was derived: pass --how (e.g. "
            "'faces blurred with tool X 1.2')"
        )
    source_events = history(session, source)
    filename, media_type = checked_filename(filename), checked_media_type(media_type)
    copy = _store(session, file_store, principal, row, chunks, filename, media_type,
                  how, ItemKind.WORKING_COPY, source,
                  limit)  # fmt: skip
    _append(session, source, source_events, NewEvent(
        EventKind.COPIED, principal.username, now, custody_of.where, custody_of.why,
        {"copy": copy.uid, "copy_sha256": copy.sha256, "how": how}))  # fmt: skip
    _append(session, copy, [], NewEvent(
        EventKind.COPIED, principal.username, now, custody_of.where, custody_of.why,
        {"derived_from": source.uid, "source_sha256": source.sha256, "how": how,
         "sha256": copy.sha256, "sha512": copy.sha512, "size": copy.size}))  # fmt: skip
    audit_request_act(
        session, principal, row.id, AuditAction.COLLECTION, "evidence:item:copy",
        why=custody_of.why, now=now,
        details={"item": copy.uid, "derived_from": source.uid, "sha256": copy.sha256},
    )  # fmt: skip
    return item_view(copy, history(session, copy))


def list_items(
    session: Session, principal: Principal, request_id: int, *, now: datetime, why: str
) -> list[dict[str, Any]]:
    """Every item of the request with its chain and the chain's check."""
    row = load_for(session, principal, request_id, Permission.DOCUMENT_READ)
    audit_request_act(
        session, principal, row.id, AuditAction.CONSULTATION, "evidence:item:list",
        why=why, now=now, details={},
    )  # fmt: skip
    return [item_view(i, history(session, i)) for i in items_of(session, row.id)]


def items_on_page(session: Session, principal: Principal, request_id: int) -> list[dict]:
    """The items for the request page: the page's own read of the request is the audited
    consultation; a user who may not read documents sees no evidence section."""
    if not can(principal, Permission.DOCUMENT_READ):
        return []
    row = load_for(session, principal, request_id, Permission.DOCUMENT_READ)
    views = [item_view(i, history(session, i)) for i in items_of(session, row.id)]
    names = {v["uid"]: v["filename"] for v in views}
    for view in views:
        view["derived_from_filename"] = names.get(view["derived_from"] or "", "")
    return views


def export_bag(
    session: Session,
    file_store: FileStore,
    principal: Principal,
    request_id: int,
    target: Path,
    *,
    organisation: str,
    now: datetime,
    why: str,
) -> dict[str, Any]:
    """The request's evidence as a bag at `target` (a new directory). Each item's chain is
    checked first: a broken chain is an incident, and is not exported as if sound."""
    row = load_for(session, principal, request_id, Permission.DOCUMENT_READ)
    packed = packed_items(session, file_store, row)
    bags.build(target, packed, reference=row.reference, organisation=organisation, at=now)
    audit_request_act(
        session, principal, row.id, AuditAction.DISCLOSURE, "evidence:bag:export", why=why,
        now=now, details={"items": [p.uid for p in packed], "target": str(target)[:500]},
    )  # fmt: skip
    return {"request_id": row.id, "reference": row.reference, "bag": str(target),
            "items": len(packed)}  # fmt: skip


def packed_items(session: Session, file_store: FileStore, row: RequestRow) -> list[bags.PackedItem]:
    items = items_of(session, row.id)
    packed = []
    for item in items:
        events = history(session, item)
        problems = custody.check_chain(item.uid, events)
        if problems:
            raise InvalidInput(
                f"item {item.id}'s chain of custody is broken: "
                f"{problems[0].message}; report it, do not package it"
            )
        if item.kind == ItemKind.ORIGINAL and not custody.is_sealed(events):
            raise InvalidInput(
                f"item {item.id} ({item.filename}) is not sealed: seal it "
                f"first (judicare evidence seal {row.id} {item.id})"
            )
        packed.append(_packed(file_store, item, events))
    return packed


def _packed(file_store: FileStore, item: EvidenceItemRow, events) -> bags.PackedItem:
    key = item.storage_key
    return bags.PackedItem(
        uid=item.uid, kind=item.kind, derived_from=item.derived_from_uid,
        description=item.description, filename=item.filename, media_type=item.media_type,
        size=item.size, sha256=item.sha256, sha512=item.sha512, events=events,
        chunks=lambda: file_store.open_chunks(key, 1 << 20),
    )  # fmt: skip


# --- rows ------------------------------------------------------------------------------------


def items_of(session: Session, request_id: int) -> list[EvidenceItemRow]:
    return list(session.scalars(
        select(EvidenceItemRow).where(EvidenceItemRow.request_id == request_id)
        .order_by(EvidenceItemRow.id)
    ))  # fmt: skip


def history(session: Session, item: EvidenceItemRow) -> list[CustodyEvent]:
    rows = session.scalars(
        select(CustodyEventRow).where(CustodyEventRow.item_id == item.id)
        .order_by(CustodyEventRow.seq)
    )  # fmt: skip
    return [event_of(r, item.uid) for r in rows]


def event_of(r: CustodyEventRow, uid: str) -> CustodyEvent:
    from judicare.db.base import as_utc

    return CustodyEvent(seq=r.seq, at=as_utc(r.at), actor=r.actor, kind=EventKind(r.kind),
                        item=uid, why=r.why, details=dict(r.details), prev_hash=r.prev_hash,
                        hash=r.hash)  # fmt: skip


def store_event(session: Session, item: EvidenceItemRow, event: CustodyEvent) -> None:
    session.add(CustodyEventRow(
        item_id=item.id, seq=event.seq, at=event.at, actor=event.actor, kind=event.kind.value,
        why=event.why, details=dict(event.details), prev_hash=event.prev_hash, hash=event.hash,
    ))  # fmt: skip
    session.flush()


def _append(session, item, events, new: NewEvent) -> CustodyEvent:
    try:
        event = custody.follow(events, item.uid, new)
    except custody.CustodyRefused as exc:
        raise InvalidInput(f"item {item.id}: {exc}") from None
    store_event(session, item, event)
    return event


def _item(session: Session, row: RequestRow, item_id: int) -> EvidenceItemRow:
    item = session.get(EvidenceItemRow, item_id)
    if item is None or item.request_id != row.id:
        raise NotFound(f"evidence item {item_id} not found on request {row.id}")
    return item


def _store(session, file_store, principal, row, chunks, filename, media_type, description,
           kind, source, limit) -> EvidenceItemRow:  # fmt: skip
    with Hasher() as hasher:
        try:
            key, size, sha256 = file_store.put(passing_through(chunks, hasher), limit)
        except TooLarge:
            raise TooLarge(
                f"{filename} is larger than the evidence limit of {limit} bytes: raise the "
                "setting max_evidence_bytes (JUDICARE_MAX_EVIDENCE_BYTES) for larger evidence"
            ) from None
        found = hasher.digests()
    if size == 0:
        raise InvalidInput(f"{filename} is empty: an evidence item has content")
    item = EvidenceItemRow(
        uid=str(uuid.uuid4()), request_id=row.id, kind=kind,
        derived_from_id=source.id if source else None,
        derived_from_uid=source.uid if source else None, description=description,
        filename=filename, media_type=media_type, size=size, sha256=sha256,
        sha512=found.sha512, storage_key=key, added_by=principal.user_id,
    )  # fmt: skip
    session.add(item)
    session.flush()
    return item


def _description(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidInput(
            "an evidence item needs a description: pass --description "
            "(what it is, where it comes from)"
        )
    if len(text) > MAX_DESCRIPTION:
        raise InvalidInput(
            f"the description has {len(text)} characters; the most is {MAX_DESCRIPTION}"
        )
    return text


def item_view(item: EvidenceItemRow, events: list[CustodyEvent]) -> dict[str, Any]:
    problems = custody.check_chain(item.uid, events)
    return {
        "id": item.id, "uid": item.uid, "request_id": item.request_id, "kind": item.kind,
        "derived_from": item.derived_from_uid, "description": item.description,
        "filename": item.filename, "media_type": item.media_type, "size": item.size,
        "sha256": item.sha256, "sha512": item.sha512, "sealed": custody.is_sealed(events),
        "chain_intact": not problems, "chain_problems": [p.message for p in problems],
        "events": [e.as_record() for e in events],
    }  # fmt: skip
