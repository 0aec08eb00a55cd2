"""Documents of a request from the browser: upload (a refused file is named next to the file
field) and download (as an attachment under its own name, RFC 6266)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from judicare.app import App
from judicare.files.store import TooLarge
from judicare.requests import documents as document_service
from judicare.requests.models import DocumentRow
from judicare.web.i18n import Translator
from judicare.web.rendering import Pages, flash
from judicare.web.request_pages import WHY, RequestId, Who, render_request
from judicare.web.session import check_csrf, language_of

FIELD = "document-file"


def router(app: App, pages: Pages) -> APIRouter:
    web = APIRouter(include_in_schema=False)

    @web.post("/requests/{request_id}/documents", dependencies=[Depends(check_csrf)])
    async def upload(
        request: Request,
        request_id: RequestId,
        who: Who,
        file: Annotated[UploadFile | None, File()] = None,
    ) -> Response:
        t = Translator(language_of(request))
        limit = app.settings.max_upload_bytes
        body = await file.read(limit + 1) if file is not None else b""
        problem = None
        if file is None or not file.filename or not body:
            problem = t.gettext("Choose a file to upload.")
        elif len(body) > limit:
            problem = too_large(t, limit)
        else:
            try:
                await run_in_threadpool(
                    document_service.upload_document, app, who, request_id, file.filename[:255],
                    file.content_type or "application/octet-stream", body, WHY,
                )  # fmt: skip
            except TooLarge:
                problem = too_large(t, limit)
        if problem:
            return await run_in_threadpool(
                render_request, app, pages, request, who, request_id,
                errors={FIELD: problem}, status=422,
            )  # fmt: skip
        flash(request, t.gettext("The document was added."), "success")
        return RedirectResponse(f"/requests/{request_id}#documents", status_code=303)

    @web.get("/requests/{request_id}/documents/{document_id}")
    def download(request_id: RequestId, document_id: RequestId, who: Who) -> Response:
        media_type, content = document_service.read_document(app, who, request_id, document_id, WHY)
        with app.unit_of_work() as uow:  # read_document has checked the officer may see it
            filename = uow.session.get(DocumentRow, document_id).filename
        return Response(
            content=content,
            media_type=media_type,
            headers={
                "Content-Disposition": content_disposition(filename),
                "X-Content-Type-Options": "nosniff",
            },
        )

    return web


def too_large(t: Translator, limit: int) -> str:
    return t.gettext("The file is too large: at most %(size)s bytes.", size=t.number(limit))


def content_disposition(filename: str) -> str:
    """`attachment` with the name twice (RFC 6266 §4.3): `filename` in plain ASCII for old
    clients, and `filename*` in UTF-8 (RFC 8187) with the name exactly as uploaded."""
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\%' else "_" for c in filename)
    fallback = fallback.strip() or "document"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
