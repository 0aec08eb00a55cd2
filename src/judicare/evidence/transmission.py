"""The evidence of a request sent with the answer to the requesting state: `transmitted` is
recorded on each item's chain, the bag is made (with those events in its custody log),
packed into one zip archive, filed as a document of the request, and the answer goes out
with it as its attachment (`exchange.correspondence.send_answer`), all in the caller's
transaction: if anything fails, no event, no document and no message remain.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from judicare.auth.permissions import Permission, Principal
from judicare.errors import InvalidInput
from judicare.evidence import archives, bags, service
from judicare.evidence.custody import EventKind
from judicare.exchange.correspondence import conversations, send_answer
from judicare.exchange.models import OutboxRow
from judicare.exchange.service import Node
from judicare.requests.access import load_for
from judicare.requests.models import DocumentRow


def send_evidence(
    session: Session,
    node: Node,
    principal: Principal,
    request_id: int,
    text: str,
    *,
    where: str,
    now: datetime,
    why: str,
) -> OutboxRow:
    row = load_for(session, principal, request_id, Permission.REQUEST_TRANSITION)
    peers = conversations(session, row.id)
    if not peers:
        raise InvalidInput(f"request {row.id} did not arrive through the exchange: answer it "
                           "by the channel it came by")  # fmt: skip
    peer = peers[0][0]
    items = service.items_of(session, row.id)
    if not items:
        raise InvalidInput(f"request {row.id} has no evidence item to send: add one first "
                           "(judicare evidence add)")  # fmt: skip
    for item in items:
        service.record_event(
            session, principal, row.id, item.id, EventKind.TRANSMITTED,
            custody_of=service.Custody(where=where, why=why), now=now,
            details={"to": f"node {peer}", "request_reference": row.reference},
        )  # fmt: skip
    document = _bag_document(session, node, principal, row, now)
    return send_answer(session, node, principal, row.id, text, document_ids=(document.id,),
                       now=now, why=why)  # fmt: skip


def _bag_document(session, node, principal, row, now) -> DocumentRow:
    work = Path(tempfile.mkdtemp(prefix="judicare-send-"))
    try:
        packed = service.packed_items(session, node.file_store, row)
        organisation = principal.authority_id
        bags.build(work / "bag", packed, reference=row.reference, organisation=organisation,
                   at=now)  # fmt: skip
        archive = archives.pack(work / "bag", work / "bag.zip")
        with archive.open("rb") as handle:
            key, size, sha = node.file_store.put(iter(lambda: handle.read(1 << 20), b""),
                                                 node.settings.max_evidence_bytes)  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)
    document = DocumentRow(
        request_id=row.id, filename=f"evidence-{_safe(row.reference)}.bag.zip",
        media_type=archives.BAG_MEDIA_TYPE, size=size, sha256=sha, storage_key=key,
        uploaded_by=principal.user_id, uploaded_at=now,
    )  # fmt: skip
    session.add(document)
    session.flush()
    return document


def _safe(reference: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in reference)[:80]
