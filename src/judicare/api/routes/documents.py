"""Documents of a request: upload (the body is the file) and download."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from judicare.api.deps import AppDep, DocumentId, RequestId, Who, Why
from judicare.api.models import SIGNED_IN_ERRORS, DocumentAddedOut
from judicare.files.media import download_headers, download_type
from judicare.requests import documents as document_service

router = APIRouter(
    prefix="/api/v1/requests/{request_id}/documents",
    tags=["documents"],
    responses=SIGNED_IN_ERRORS,
)


@router.post("", status_code=201, response_model=DocumentAddedOut)
async def upload(
    request_id: RequestId,
    request: Request,
    app: AppDep,
    who: Who,
    why: Why,
    filename: Annotated[str, Query(min_length=1, max_length=255)],
) -> dict:
    """Add a document: the request body is the file, its Content-Type its media type."""
    media_type = request.headers.get("content-type", "application/octet-stream")
    body = await request.body()
    return await run_in_threadpool(
        document_service.upload_document, app, who, request_id, filename, media_type, body, why
    )


@router.get(
    "/{document_id}",
    response_class=Response,
    responses={200: {"description": "The document, as an attachment under its own name",
                     "content": {"application/octet-stream": {}}}},
)  # fmt: skip
def download(
    request_id: RequestId, document_id: DocumentId, app: AppDep, who: Who, why: Why
) -> Response:
    stored = document_service.read_document(app, who, request_id, document_id, why)
    return Response(
        content=stored.content,
        media_type=download_type(stored.media_type),
        headers=download_headers(stored.filename),
    )
