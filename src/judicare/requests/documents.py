"""Documents attached to a request: bytes in the file store, metadata and audit in the
database, in one transaction (a stored file whose metadata did not commit is unreferenced
and harmless; the reverse cannot happen)."""

from __future__ import annotations

from judicare.app import App
from judicare.audit.service import AuditAction, record
from judicare.auth.permissions import NotFound, Permission, Principal
from judicare.requests.models import DocumentRow
from judicare.requests.service import load_for


def upload_document(
    app: App, who: Principal, request_id: int, filename: str, media_type: str, body: bytes, why: str
) -> dict:
    with app.unit_of_work() as uow:
        row = load_for(uow.session, who, request_id, Permission.DOCUMENT_UPLOAD)
        key, size, sha = app.file_store.put([body], app.settings.max_upload_bytes)
        document = DocumentRow(
            request_id=row.id,
            filename=filename,
            media_type=media_type,
            size=size,
            sha256=sha,
            storage_key=key,
            uploaded_by=who.user_id,
        )
        uow.session.add(document)
        uow.session.flush()
        record(
            uow.session,
            actor=who.username,
            action=AuditAction.COLLECTION,
            tag=f"{who.role.value}:document:upload",
            subject_type="request",
            subject_id=row.id,
            why=why,
            at=app.now(),
            details={"document": document.id, "sha256": sha, "size": size},
        )
        uow.commit()
        return {
            "id": document.id,
            "filename": filename,
            "media_type": media_type,
            "size": size,
            "sha256": sha,
        }


def read_document(app: App, who: Principal, request_id: int, document_id: int, why: str):
    with app.unit_of_work() as uow:
        row = load_for(uow.session, who, request_id, Permission.DOCUMENT_READ)
        document = uow.session.get(DocumentRow, document_id)
        if document is None or document.request_id != row.id:
            raise NotFound(f"document {document_id} not found on request {request_id}")
        content = app.file_store.get(document.storage_key)
        record(
            uow.session,
            actor=who.username,
            action=AuditAction.CONSULTATION,
            tag=f"{who.role.value}:document:read",
            subject_type="request",
            subject_id=row.id,
            why=why,
            at=app.now(),
            details={"document": document.id},
        )
        uow.commit()
        return document.media_type, content
