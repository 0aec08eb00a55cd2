"""Documents attached to a request: bytes in the file store, metadata and audit in the
database, in one transaction (a stored file whose metadata did not commit is unreferenced
and harmless; the reverse cannot happen)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from judicare.app import App
from judicare.audit.service import AuditAction
from judicare.auth.permissions import NotFound, Permission, Principal
from judicare.files.media import checked_filename, checked_media_type
from judicare.files.store import FileStore
from judicare.requests.models import DocumentRow
from judicare.requests.registration import create_request
from judicare.requests.schemas import RequestCreate
from judicare.requests.service import audit_request_act, load_for


def add_document(
    session: Session,
    file_store: FileStore,
    principal: Principal,
    request_id: int,
    filename: str,
    media_type: str,
    content: bytes,
    *,
    now: datetime,
    why: str,
    limit: int,
) -> dict:
    """Attach one document in the caller's transaction: its metadata row and its audit entry.
    The caller commits, together with whatever else the command writes (the web intake
    registers a request and its documents at once).

    The bytes go to the content-addressed file store first, before the commit: a file over
    `limit` is refused there (TooLarge) and nothing is added. If the transaction then rolls
    back, the stored bytes stay behind under their SHA-256 with no row pointing to them. That
    is harmless: nothing can reach them, and the same content stored later lands on the same
    key. A row pointing to missing bytes, on the other hand, cannot happen.

    The name and the declared media type are checked here, once for every way in."""
    filename, media_type = checked_filename(filename), checked_media_type(media_type)
    row = load_for(session, principal, request_id, Permission.DOCUMENT_UPLOAD)
    key, size, sha = file_store.put([content], limit)
    document = DocumentRow(
        request_id=row.id,
        filename=filename,
        media_type=media_type,
        size=size,
        sha256=sha,
        storage_key=key,
        uploaded_by=principal.user_id,
        uploaded_at=now,
    )
    session.add(document)
    session.flush()
    audit_request_act(
        session, principal, row.id, AuditAction.COLLECTION, "document:upload", why=why,
        now=now, details={"document": document.id, "sha256": sha, "size": size},
    )  # fmt: skip
    from judicare.competing.detection import detect  # the same evidence in another file

    detect(session, principal, row, now=now, why=why, found_by="document")
    return {
        "id": document.id,
        "filename": filename,
        "media_type": media_type,
        "size": size,
        "sha256": sha,
    }


def upload_document(
    app: App, who: Principal, request_id: int, filename: str, media_type: str, body: bytes, why: str
) -> dict:
    """One document added to a registered request (API and request page), committed alone."""
    with app.unit_of_work() as uow:
        added = add_document(
            uow.session,
            app.file_store,
            who,
            request_id,
            filename,
            media_type,
            body,
            now=app.now(),
            why=why,
            limit=app.settings.max_upload_bytes,
        )
        uow.commit()
    return added


@dataclass(frozen=True)
class NewDocument:
    """A file sent with a new request (read whole: it is within the upload limit)."""

    filename: str
    media_type: str | None  # as the sender declared it
    content: bytes


def register_with_documents(
    app: App,
    who: Principal,
    body: RequestCreate,
    documents: Sequence[NewDocument],
    *,
    idempotency_key: str,
    why: str,
) -> int:
    """A request, its audit entry and each document with its own, in one transaction (the
    web intake form; any adapter may use it). A second submit with the same idempotency key
    gets the first request back; of its files, only those the request does not hold yet (by
    SHA-256) are added, so a double click adds nothing and a forgotten warrant sent again is
    not lost. Returns the request's id."""
    with app.unit_of_work() as uow:
        now = app.now()
        registered = create_request(
            uow.session, who, body, now=now, basis=app.basis.get(uow.session), why=why,
            idempotency_key=idempotency_key,
        )  # fmt: skip
        held = held_digests(uow.session, registered.id) if registered.replayed else set()
        for document in documents:
            if hashlib.sha256(document.content).hexdigest() not in held:
                add_document(
                    uow.session, app.file_store, who, registered.id, document.filename,
                    document.media_type, document.content, now=now, why=why,
                    limit=app.settings.max_upload_bytes,
                )  # fmt: skip
        uow.commit()
    return registered.id


def held_digests(session: Session, request_id: int) -> set[str]:
    """The SHA-256 of every document the request holds."""
    return set(
        session.scalars(select(DocumentRow.sha256).where(DocumentRow.request_id == request_id))
    )


@dataclass(frozen=True)
class StoredDocument:
    filename: str
    media_type: str  # as stored; a download is sent as `files.media.download_type` of it
    content: bytes


def read_document(
    app: App, who: Principal, request_id: int, document_id: int, why: str
) -> StoredDocument:
    with app.unit_of_work() as uow:
        row = load_for(uow.session, who, request_id, Permission.DOCUMENT_READ)
        document = uow.session.get(DocumentRow, document_id)
        if document is None or document.request_id != row.id:
            raise NotFound(f"document {document_id} not found on request {request_id}")
        content = app.file_store.get(document.storage_key)
        audit_request_act(
            uow.session, who, row.id, AuditAction.CONSULTATION, "document:read", why=why,
            now=app.now(), details={"document": document.id},
        )  # fmt: skip
        uow.commit()
        return StoredDocument(document.filename, document.media_type, content)
