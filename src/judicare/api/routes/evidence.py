"""Evidence of a request: its items with their chains of custody (read only here; items
are added and custody recorded with `judicare evidence`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool

from judicare.api.deps import AppDep, RequestId, Who, Why
from judicare.api.models import SIGNED_IN_ERRORS, Answer
from judicare.app import App
from judicare.auth.permissions import Principal
from judicare.evidence import service

router = APIRouter(
    prefix="/api/v1/requests/{request_id}/evidence", tags=["evidence"], responses=SIGNED_IN_ERRORS
)


class CustodyEventOut(Answer):
    seq: int
    at: str
    actor: str
    kind: str  # collected | received | sealed | copied | transmitted
    item: str
    why: str
    details: dict[str, Any]  # `where`, and the digests, recipient or derivation of the kind
    prev_hash: str
    hash: str


class EvidenceItemOut(Answer):
    id: int
    uid: str
    request_id: int
    kind: str  # original | working_copy
    derived_from: str | None
    description: str
    filename: str
    media_type: str
    size: int
    sha256: str
    sha512: str
    sealed: bool
    chain_intact: bool
    chain_problems: list[str]
    events: list[CustodyEventOut]


@router.get("", response_model=list[EvidenceItemOut])
async def list_evidence(request_id: RequestId, app: AppDep, who: Who, why: Why) -> list[dict]:
    """The request's evidence items, each with its chain of custody and the chain's check."""
    return await run_in_threadpool(_list, app, who, request_id, why)


def _list(app: App, who: Principal, request_id: int, why: str) -> list[dict]:
    with app.unit_of_work() as uow:
        items = service.list_items(uow.session, who, request_id, now=app.now(), why=why)
        uow.commit()
    return items
