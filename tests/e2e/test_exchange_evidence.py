"""An answer with an evidence bag between two `judicare serve` processes on loopback (each
with its own SQLite database, keys and files), not in-process: the bag is validated in full
on arrival and its items enter custody with a `received` event; a bag altered before it was
sealed into the envelope is refused naming the file, nothing is stored, and what it left in
the receiver's file store is removed, audited."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from judicare.audit.models import AuditEventRow
from judicare.evidence import archives, service
from judicare.evidence.custody import EventKind
from judicare.evidence.models import EvidenceItemRow
from judicare.evidence.transmission import send_evidence
from judicare.exchange.correspondence import send_answer
from judicare.exchange.models import InboxRow, OutboxRow
from judicare.exchange.service import send_request
from judicare.requests.models import DocumentRow
from judicare.requests.schemas import RequestCreate
from judicare.requests.service import create_request
from tests.e2e.test_exchange_support import (
    RealNode,
    count,
    node_of,
    officer,
    running,
    wait_until,
)
from tests.integration.api_support import request_body

HERE = service.Custody(where="The Hague, forensic lab", why="execution of the request")


@pytest.fixture
def nodes(tmp_path):
    made = [
        RealNode("BEL-CA", "BEL", f"sqlite:///{tmp_path / 'bel' / 'judicare.db'}", tmp_path / "bel"),
        RealNode("NLD-CA", "NLD", f"sqlite:///{tmp_path / 'nld' / 'judicare.db'}", tmp_path / "nld"),
    ]  # fmt: skip
    with running(made):
        yield made


def _incoming(nld_app, message_id: str) -> int:
    with nld_app.unit_of_work() as uow:
        return uow.session.get(InboxRow, message_id).request_id


def _altered_bag(app, who, request_id: int, tmp_path) -> int:
    with app.unit_of_work() as uow:
        service.export_bag(uow.session, app.file_store, who, request_id, tmp_path / "bag",
                           organisation="NLD-CA", now=datetime.now(UTC), why="e2e")  # fmt: skip
        uow.commit()
    (tmp_path / "bag" / "data" / "001-exhibit.jpg").write_bytes(b"photo ONE")  # same size
    archive = archives.pack(tmp_path / "bag", tmp_path / "bag.zip")
    with app.unit_of_work() as uow:
        key, size, sha = app.file_store.put([archive.read_bytes()], 10_000_000)
        document = DocumentRow(request_id=request_id, filename="altered.bag.zip",
                               media_type=archives.BAG_MEDIA_TYPE, size=size, sha256=sha,
                               storage_key=key, uploaded_by=who.user_id)  # fmt: skip
        uow.session.add(document)
        uow.commit()
        return document.id


def test_a_bag_travels_between_two_served_nodes_and_an_altered_one_is_refused(nodes, tmp_path):
    bel, nld = nodes
    bel_app, nld_app = bel.app(), nld.app()
    try:
        who_bel = officer(bel_app, "BEL-CA", "BEL")
        who_nld = officer(nld_app, "NLD-CA", "NLD")
        body = request_body(direction="outgoing", requesting_state="BE", requested_state="NL",
                            facts_summary="e2e request for evidence")  # fmt: skip
        with bel_app.unit_of_work() as uow:
            _, detail, _ = create_request(uow.session, who_bel, RequestCreate.model_validate(body),
                                          now=datetime.now(UTC), basis=None, why="e2e")  # fmt: skip
            sent = send_request(uow.session, node_of(bel_app, bel), who_bel, detail["id"],
                                "NLD-CA", now=datetime.now(UTC), why="e2e")  # fmt: skip
            message_id = sent.message_id
            uow.commit()
        wait_until(lambda: count(nld_app, InboxRow) == 1, 60, "the request arrives", nodes)
        incoming = _incoming(nld_app, message_id)
        with nld_app.unit_of_work() as uow:
            item = service.add_item(
                uow.session, nld_app.file_store, who_nld, incoming, chunks=[b"photo one"],
                filename="exhibit.jpg", media_type="image/jpeg", description="Photograph",
                custody_of=HERE, now=datetime.now(UTC), limit=10_000_000,
            )  # fmt: skip
            service.record_event(uow.session, who_nld, incoming, item["id"], EventKind.SEALED,
                                 custody_of=HERE, now=datetime.now(UTC))  # fmt: skip
            send_evidence(uow.session, node_of(nld_app, nld), who_nld, incoming, "Evidence.",
                          where="The Hague", now=datetime.now(UTC), why="e2e")  # fmt: skip
            uow.commit()
        wait_until(lambda: count(bel_app, EvidenceItemRow) == 1, 60, "the bag arrives", nodes)
        with bel_app.unit_of_work() as uow:
            listed = service.list_items(uow.session, who_bel, detail["id"],
                                        now=datetime.now(UTC), why="e2e")  # fmt: skip
            uow.commit()
        assert [i["sha256"] for i in listed] == [item["sha256"]]
        assert [e["kind"] for e in listed[0]["events"]] == [
            "collected", "sealed", "transmitted", "received"]  # fmt: skip
        assert listed[0]["chain_intact"]

        document_id = _altered_bag(nld_app, who_nld, incoming, tmp_path)
        with nld_app.unit_of_work() as uow:
            send_answer(uow.session, node_of(nld_app, nld), who_nld, incoming, "Again.",
                        document_ids=(document_id,), now=datetime.now(UTC), why="e2e")  # fmt: skip
            uow.commit()

        def removed() -> int:
            return count(bel_app, AuditEventRow, AuditEventRow.tag.like("%node:file:remove"))

        wait_until(lambda: removed() >= 2, 60, "the refused bag's bytes removed", nodes)

        def refusal() -> str:  # the sender records it after the receiver's answer arrives
            with nld_app.unit_of_work() as uow:
                answer = uow.session.scalars(
                    select(OutboxRow)
                    .where(OutboxRow.message_type.like("answer/%"))
                    .order_by(OutboxRow.id.desc())
                ).first()
                return (answer.last_error or "") if answer is not None else ""

        wait_until(lambda: "data/001-exhibit.jpg" in refusal(), 60, "the refusal names the file",
                   nodes)  # fmt: skip
        assert count(bel_app, EvidenceItemRow) == 1  # nothing more was stored
        assert count(bel_app, DocumentRow, DocumentRow.filename == "altered.bag.zip") == 0
    finally:
        bel_app.dispose()
        nld_app.dispose()
