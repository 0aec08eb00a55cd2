"""Formal documents of a request (issue 18): the kinds that fit it, and one rendered as a
PDF/A-3 (the request's JSON embedded; signed when the authority's certificate is
configured) or a DOCX. Rendering is audited; need-to-know as for the request."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import Field

from judicare.api.deps import AppDep, RequestId, Who, Why, Work
from judicare.api.models import SIGNED_IN_ERRORS, Answer, errors
from judicare.files.media import download_headers
from judicare.formal_documents import service
from judicare.formal_documents.kinds import DocumentKind
from judicare.formal_documents.templates import LANGUAGES

router = APIRouter(
    prefix="/api/v1/requests/{request_id}/formal-documents",
    tags=["formal documents"],
    responses=SIGNED_IN_ERRORS,
)


class FormalDocumentsOut(Answer):
    request_id: int
    kinds: list[str] = Field(description="the kinds of formal document that fit the request")
    languages: list[str]
    formats: list[str]


@router.get("", response_model=FormalDocumentsOut)
def fitting(request_id: RequestId, who: Who, uow: Work) -> dict:
    return {
        "request_id": request_id,
        "kinds": service.kinds_for(uow.session, who, request_id),
        "languages": list(LANGUAGES),
        "formats": list(service.FORMATS),
    }


@router.get(
    "/{kind}",
    response_class=Response,
    responses={
        200: {
            "description": "The document, as an attachment",
            "content": {media: {} for media in service.FORMATS.values()},
        },
        **errors(409),
    },
)
def render(
    request_id: RequestId,
    kind: DocumentKind,
    app: AppDep,
    who: Who,
    why: Why,
    lang: Annotated[Literal["en", "fr", "nl"], Query()] = "en",
    fmt: Annotated[Literal["pdf", "docx"], Query(alias="format")] = "pdf",
) -> Response:
    """409 when the kind does not fit the request (the message says why)."""
    rendered = service.render(app, who, request_id, kind.value, lang, fmt, why=why)
    return Response(
        content=rendered.content,
        media_type=rendered.media_type,
        headers=download_headers(rendered.filename),
    )


verify_router = APIRouter(
    prefix="/api/v1/formal-documents", tags=["formal documents"], responses=SIGNED_IN_ERRORS
)


class VerificationOut(Answer):
    format: str = Field(default="pdf", description="pdf, or docx (a DOCX is never signed)")
    signed: bool
    signature_valid: bool | None = Field(description="null when the PDF is not signed")
    intact: bool | None
    trusted: bool | None = Field(description="null when no trust roots are configured")
    covers_whole_file: bool | None
    signer: str | None
    signed_at: str | None
    embedded_json: bool = Field(description="a readable JSON file is attached to the PDF")
    embedded_files: list[str]
    problem: str | None


@verify_router.post(
    "/verify",
    response_model=VerificationOut,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
async def verify(request: Request, app: AppDep, who: Who) -> dict:
    """Verify a signed PDF, or a DOCX (the body is the file): signature, signer, embedded
    JSON. The
    trust roots are the node's setting documents_trust_roots."""
    body = await request.body()
    return await run_in_threadpool(service.verify, app.settings, body, now=app.now())
