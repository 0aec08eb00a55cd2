"""A received bag becomes the request's evidence: unpacked with care (`archives`), validated
in full (`bags.verify`), then each item stored with its chain as the sender recorded it,
continued by a `received` event in this node's hands. A bag with any problem is refused
whole, with the file named: the caller's transaction writes nothing of it.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from judicare.audit.chain import canonical_time
from judicare.audit.service import AuditAction, record
from judicare.auth.permissions import Principal
from judicare.evidence import archives, bags, custody
from judicare.evidence.custody import EventKind, NewEvent
from judicare.evidence.models import EvidenceItemRow
from judicare.evidence.service import store_event
from judicare.files.store import FileStore


def accept_archive(
    session: Session,
    file_store: FileStore,
    principal: Principal,
    request_id: int,
    storage_key: str,
    *,
    sender: str,
    now: datetime,
    why: str,
    limits: archives.Limits,
) -> list[dict[str, Any]]:
    """The bag archive stored under `storage_key`, checked and recorded; raises
    `bags.BagRefused` naming each problem."""
    work = Path(tempfile.mkdtemp(prefix="judicare-bag-"))
    try:
        archive = work / "bag.zip"
        with archive.open("wb") as out:
            for chunk in file_store.open_chunks(storage_key, 1 << 20):
                out.write(chunk)
        (work / "bag").mkdir()
        archives.unpack(archive, work / "bag", limits)
        return accept_directory(
            session, file_store, principal, request_id, work / "bag",
            sender=sender, now=now, why=why, limit=limits.max_total,
        )  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)


def accept_directory(
    session: Session,
    file_store: FileStore,
    principal: Principal,
    request_id: int,
    bag_dir: Path,
    *,
    sender: str,
    now: datetime,
    why: str,
    limit: int,
) -> list[dict[str, Any]]:
    report = bags.verify(bag_dir)
    if not report.valid:
        raise bags.BagRefused(report.errors)
    stored, rows = [], {}
    for entry in report.items:
        view, rows[entry["uid"]] = _store_item(
            session, file_store, principal, request_id, bag_dir, entry,
            sender=sender, now=now, why=why, limit=limit,
        )  # fmt: skip
        stored.append(view)
    for row in rows.values():  # a working copy points at its original, if it came along
        source = rows.get(row.derived_from_uid) if row.derived_from_uid else None
        row.derived_from_id = source.id if source is not None else None
    session.flush()
    return stored


def _store_item(session, file_store, principal, request_id, bag_dir, entry, *, sender, now,
                why, limit) -> tuple[dict[str, Any], EvidenceItemRow]:  # fmt: skip
    events = [custody.from_record(e) for e in entry["events"]]
    details = {"from": sender, "sha256": entry["sha256"]}
    at = now
    if events and now < events[-1].at:
        # The sender's clock runs ahead of ours: the receipt cannot precede the
        # transmission, so it is dated with it, and our own clock's reading is kept.
        at, details["local_clock"] = events[-1].at, canonical_time(now)
    try:
        received = custody.follow(events, entry["uid"], NewEvent(
            EventKind.RECEIVED, principal.username, at, f"node {principal.username}",
            why, details))  # fmt: skip
    except custody.CustodyRefused as exc:
        raise bags.BagRefused([bags.BagProblem(entry["path"], f"custody log: {exc}")]) from None
    with (bag_dir / entry["path"]).open("rb") as handle:
        key, size, sha = file_store.put(iter(lambda: handle.read(1 << 20), b""), limit)
    if sha != entry["sha256"]:
        raise bags.BagRefused([bags.BagProblem(entry["path"], "changed while it was stored")])
    item = EvidenceItemRow(
        uid=entry["uid"], request_id=request_id, kind=_kind(entry),
        derived_from_id=None, derived_from_uid=entry.get("derived_from"),
        description=str(entry.get("description", ""))[:5000],
        filename=str(entry.get("filename", ""))[:255],
        media_type=str(entry.get("media_type", "application/octet-stream"))[:120],
        size=size, sha256=sha, sha512=entry["sha512"], storage_key=key,
        added_by=principal.user_id,
    )  # fmt: skip
    session.add(item)
    session.flush()
    for event in [*events, received]:
        store_event(session, item, event)
    record(
        session, actor=principal.username, action=AuditAction.COLLECTION,
        tag="node:evidence:receive", subject_type="request", subject_id=request_id,
        why=why, at=now, details={"item": item.uid, "sha256": sha, "from": sender},
    )  # fmt: skip
    return {"uid": item.uid, "filename": item.filename, "sha256": sha, "size": size}, item


def _kind(entry: dict[str, Any]) -> str:
    return "working_copy" if entry.get("kind") == "working_copy" else "original"
