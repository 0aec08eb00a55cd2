"""Formal documents from the request page: the "Documents to send" section
(`request_pages.formal_documents_context`) lists the kinds that fit the request, each as a
download (PDF or DOCX, in English, French or Dutch). The
rendering, its audit and need-to-know are the service's (judicare.formal_documents)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from judicare.api.deps import AppDep
from judicare.files.media import download_headers
from judicare.formal_documents import service
from judicare.formal_documents.kinds import DocumentKind
from judicare.web.request_pages import WHY, RequestId, Who

router = APIRouter(include_in_schema=False)


@router.get("/requests/{request_id}/formal-documents/{kind}")
async def download(
    app: AppDep,
    request_id: RequestId,
    kind: DocumentKind,
    who: Who,
    lang: Annotated[Literal["en", "fr", "nl"], Query()] = "en",
    fmt: Annotated[Literal["pdf", "docx"], Query(alias="format")] = "pdf",
) -> Response:
    rendered = await run_in_threadpool(
        service.render, app, who, request_id, kind.value, lang, fmt, why=WHY
    )
    return Response(
        content=rendered.content,
        media_type=rendered.media_type,
        headers=download_headers(rendered.filename),
    )
