"""The peer that `bench.intake` measures Judicare's create against: a plain FastAPI +
SQLAlchemy endpoint that takes the same JSON body (validated by the same Pydantic model) and
inserts the same rows into the same tables of a migrated Judicare database (the request, its
measures, its deadline, its persons and their names and identity documents) in one
transaction with the ORM, and nothing else: no sign-in, no need-to-know check, no audit
entry, no person index, no idempotency key, no legal basis resolved, no competing requests
looked for. It answers 201 with the new id and reference.

Served by uvicorn as `judicare serve` serves Judicare (`judicare.serve`): the same worker
count, uvicorn's defaults otherwise (uvloop and httptools when installed, as they are for
Judicare), no access log, the same health-check timeout, and a connection pool of the same
size (`judicare.db.engine.POOL_SIZE`).

Run: `python -m bench.intake_peer --db URL --port N --workers N` (`bench.intake` does).
"""

from __future__ import annotations

import argparse
import os
import uuid

from fastapi import FastAPI
from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker

from judicare.clock import SystemClock
from judicare.db.engine import POOL_OVERFLOW, POOL_SIZE
from judicare.requests.models import (
    DeadlineRow,
    IdentityDocumentRow,
    MeasureRow,
    PersonNameRow,
    RequestPersonRow,
    RequestRow,
)
from judicare.requests.schemas import RequestCreate
from judicare.serve import WORKER_HEALTHCHECK_SECONDS

DATABASE = "JUDICARE_BENCH_PEER_DATABASE_URL"
AUTHORITY = "JUDICARE_BENCH_PEER_AUTHORITY"
USER = "JUDICARE_BENCH_PEER_USER"


def create_peer() -> FastAPI:
    """The peer app, from the environment (uvicorn calls this in each worker process)."""
    engine = create_engine(
        os.environ[DATABASE], pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW, pool_timeout=60
    )
    sessions = sessionmaker(engine, expire_on_commit=False)
    authority, user = os.environ[AUTHORITY], int(os.environ[USER])
    clock = SystemClock()
    api = FastAPI()

    @api.post("/requests", status_code=201)
    def create(body: RequestCreate) -> dict:
        now = clock.now()
        reference = f"{authority}/{body.received_on.year}/{uuid.uuid4().hex[:8].upper()}"
        row = RequestRow(
            reference=reference, authority_id=authority, direction=body.direction.value,
            kind=body.kind.value, requesting_state=body.requesting_state,
            requested_state=body.requested_state, requesting_authority=body.requesting_authority,
            requesting_reference=body.requesting_reference, urgency=body.urgency.value,
            confidentiality=body.confidentiality.value, crimes=list(body.crimes),
            facts_summary=body.facts_summary, status="received", received_on=body.received_on,
            request_date=body.request_date,
            requested_execution_date=body.requested_execution_date, created_by=user,
            created_at=now, updated_at=now,
        )  # fmt: skip
        row.measures = [
            MeasureRow(measure=m.measure.value, details=m.details) for m in body.measures
        ]
        if body.requested_execution_date:
            row.deadlines = [
                DeadlineRow(kind="requested_execution", due=body.requested_execution_date)
            ]
        row.persons = [
            RequestPersonRow(
                role=p.role.value, birth_date=p.birth_date, nationality=p.nationality,
                names=[PersonNameRow(name=n.name, form=n.form, system=n.system) for n in p.names],
                documents=[
                    IdentityDocumentRow(kind=d.kind, number=d.number, issuing_state=d.issuing_state)
                    for d in p.identity_documents
                ],
            )
            for p in body.persons
        ]  # fmt: skip
        session: Session
        with sessions() as session, session.begin():
            session.add(row)
        return {"id": row.id, "reference": reference}

    return api


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description="The plain peer of bench.intake")
    parser.add_argument("--db", required=True)
    parser.add_argument("--authority", required=True)
    parser.add_argument("--user", type=int, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    os.environ[DATABASE], os.environ[AUTHORITY] = args.db, args.authority
    os.environ[USER] = str(args.user)
    if args.workers == 1:
        uvicorn.run(create_peer(), host="127.0.0.1", port=args.port, access_log=False)
    else:
        uvicorn.run(
            "bench.intake_peer:create_peer", factory=True, host="127.0.0.1", port=args.port,
            workers=args.workers, access_log=False,
            timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
        )  # fmt: skip


if __name__ == "__main__":
    main()
