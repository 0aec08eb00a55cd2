"""Removing bytes from the content-addressed file store, which otherwise keeps everything:
what a refused message left behind (a refused evidence bag's decrypted archive and the
ciphertext it came in). A removal is refused while any row still references the bytes (a
document, an evidence item, an outgoing message's attachment, a depositary original or
notification), and each removal is audited first (`node:file:remove`: who, why, the
SHA-256 and the size), in a transaction of its own, before the bytes go: an audited removal
whose bytes are still there is retried harmlessly; bytes gone without an entry cannot
happen."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session

from judicare.audit.service import AuditAction, record
from judicare.errors import Conflict
from judicare.evidence.models import EvidenceItemRow
from judicare.exchange.models import ChunkRow, OutboxRow
from judicare.files.store import FileStore
from judicare.requests.models import DocumentRow
from judicare.treaties.models import DepositRow, DispatchRow


class StillReferenced(Conflict):
    code = "file_still_referenced"


@dataclass(frozen=True)
class Reference:
    table: str
    row_id: int


def _sha(key: str) -> str:
    return key.removeprefix("sha256/")


def references(session: Session, key: str) -> list[Reference]:
    """The rows that reference the stored bytes under `key`."""
    sha = _sha(key)
    found: list[Reference] = []
    checks: list[tuple[str, Callable]] = [
        ("documents", lambda: select(DocumentRow.id).where(DocumentRow.storage_key == key)),
        ("evidence_items",
         lambda: select(EvidenceItemRow.id).where(EvidenceItemRow.storage_key == key)),
        ("exchange_outbox", lambda: select(OutboxRow.id).where(
            cast(OutboxRow.attachments, String).like(f"%{sha}%"))),
        ("exchange_chunks",
         lambda: select(ChunkRow.id).where(ChunkRow.storage_key == key)),
        ("depositary_deposits",
         lambda: select(DepositRow.id).where(DepositRow.original_key == key)),
        ("depositary_dispatches",
         lambda: select(DispatchRow.id).where(DispatchRow.document_key == key)),
    ]  # fmt: skip
    for table, query in checks:
        found += [Reference(table, row_id) for row_id in session.scalars(query())]
    return found


def audit_removal(
    session: Session,
    file_store: FileStore,
    key: str,
    *,
    actor: str,
    why: str,
    now: datetime,
    subject_type: str = "node",
    subject_id: str | int = "files",
) -> bool:
    """Record the removal of `key` in the caller's transaction, or raise `StillReferenced`
    naming the rows; False when the store does not hold the key (nothing to remove)."""
    if not why.strip():
        raise ValueError("a removal from the file store states why")
    if not file_store.exists(key):
        return False
    held = references(session, key)
    if held:
        rows = ", ".join(f"{r.table} {r.row_id}" for r in held)
        raise StillReferenced(f"the file {_sha(key)} is still referenced by {rows}: it is kept")
    with file_store.open(key) as handle:
        handle.seek(0, 2)
        length = handle.tell()
    record(
        session, actor=actor, action=AuditAction.ERASURE, tag="node:file:remove",
        subject_type=subject_type, subject_id=subject_id, why=why, at=now,
        details={"sha256": _sha(key), "size": length},
    )  # fmt: skip
    return True


def remove(
    app, keys: list[str], *, actor: str, why: str, now: datetime, subject=("node", "files")
) -> list[str]:
    """Remove each of `keys` that no row references: audited and committed, then removed from
    the store. A referenced key is kept (and named in the log of the caller); returns the
    keys removed."""
    removed = []
    for key in dict.fromkeys(keys):
        with app.unit_of_work() as uow:
            try:
                audited = audit_removal(
                    uow.session, app.file_store, key, actor=actor, why=why, now=now,
                    subject_type=subject[0], subject_id=subject[1],
                )  # fmt: skip
            except StillReferenced:
                continue
            uow.commit()
        if audited and app.file_store.remove(key):
            removed.append(key)
    return removed
