"""Documents of a request from the browser: upload (a refused file is named next to the file
field) and download (as an attachment under its own name, RFC 6266)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from judicare.api.deps import AppDep, DocumentId
from judicare.files.media import download_headers, download_type
from judicare.files.store import TooLarge
from judicare.requests import documents as document_service
from judicare.web.i18n import Translator
from judicare.web.rendering import PagesDep, flash
from judicare.web.request_pages import WHY, RequestId, Who, render_request
from judicare.web.session import check_csrf, language_of

FIELD = "document-file"


router = APIRouter(include_in_schema=False)


@router.post("/requests/{request_id}/documents", dependencies=[Depends(check_csrf)])
async def upload(
    app: AppDep,
    pages: PagesDep,
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
                file.content_type, body, WHY,
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


@router.get("/requests/{request_id}/documents/{document_id}")
def download(
    app: AppDep, pages: PagesDep, request_id: RequestId, document_id: DocumentId, who: Who
) -> Response:
    stored = document_service.read_document(app, who, request_id, document_id, WHY)
    return Response(
        content=stored.content,
        media_type=download_type(stored.media_type),
        headers=download_headers(stored.filename),
    )


def too_large(t: Translator, limit: int) -> str:
    return t.gettext("The file is too large: at most %(size)s bytes.", size=t.number(limit))
