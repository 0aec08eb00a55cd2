"""Three nodes as separate `judicare serve` processes on loopback (two on SQLite, one on
PostgreSQL), each with its own keys and files: a request with a document end to end, a
mesh of messages, and 1,000 messages while the receiver is killed with kill -9 three
times and the sender once: none lost, none applied twice."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from judicare.audit.service import verify_log
from judicare.auth.service import create_user, ensure_authority, principal_of
from judicare.exchange.canonical import REQUEST, STATUS_NOTICE
from judicare.exchange.keys import FileKeyStore
from judicare.exchange.models import InboxRow, OutboxRow, PeerRow, ReceiptRow
from judicare.exchange.service import send_message, send_request
from judicare.requests.models import DocumentRow, RequestRow
from judicare.requests.schemas import RequestCreate
from judicare.requests.service import create_request
from tests.conftest import _create_postgres_database, _drop_postgres_database
from tests.e2e.test_exchange_support import RealNode, count, node_of, running, wait_until
from tests.integration.api_support import request_body

TOTAL = 1000


@pytest.fixture
def nodes(tmp_path):
    pg_url = _create_postgres_database()
    made = [
        RealNode("BEL-CA", "BEL", f"sqlite:///{tmp_path / 'bel' / 'judicare.db'}", tmp_path / "bel"),
        RealNode("NLD-CA", "NLD", pg_url, tmp_path / "nld"),
        RealNode("KAZ-CA", "KAZ", f"sqlite:///{tmp_path / 'kaz' / 'judicare.db'}", tmp_path / "kaz"),
    ]  # fmt: skip
    try:
        with running(made):
            yield made
    finally:
        _drop_postgres_database(pg_url)


def _minimal_request(number: int) -> dict:
    return {
        "request": {"kind": "mla", "requesting_state": "BEL", "requested_state": "NLD",
                    "requesting_authority": "E2E prosecutor",
                    "facts_summary": f"e2e message {number:05d}", "measures": [],
                    "persons": []},
        "attachments": [], "sender_reference": f"E2E-{number:05d}",
    }  # fmt: skip


def test_three_nodes_exchange_a_request_with_its_document_and_a_mesh_of_notices(nodes):
    bel = nodes[0]
    apps = {n.node_id: n.app() for n in nodes}
    try:
        app = apps["BEL-CA"]
        node = node_of(app, bel)
        content = b"%PDF-1.7 e2e witness statement\n" * 20_000
        with app.unit_of_work() as uow:
            ensure_authority(uow.session, "BEL-CA", "BEL", "e2e")
            who = principal_of(create_user(uow.session, username="e2e.officer",
                                           password="x" * 12, role="officer",
                                           authority_id="BEL-CA"))  # fmt: skip
            body = request_body(
                direction="outgoing",
                requesting_state="BE",
                requested_state="NL",
                facts_summary="e2e request with document",
            )
            _, detail, _ = create_request(uow.session, who, RequestCreate.model_validate(body),
                                          now=datetime.now(UTC), basis=None, why="e2e")  # fmt: skip
            key, size, sha = app.file_store.put([content], 10_000_000)
            uow.session.add(DocumentRow(request_id=detail["id"], filename="statement.pdf",
                                        media_type="application/pdf", size=size, sha256=sha,
                                        storage_key=key, uploaded_by=who.user_id))  # fmt: skip
            uow.session.flush()
            sent = send_request(uow.session, node, who, detail["id"], "NLD-CA",
                                now=datetime.now(UTC), why="e2e")  # fmt: skip
            message_id = sent.message_id
            uow.commit()

        # A mesh: every node notifies every other node ten times, in two rounds; between
        # them BEL-CA rotates its keys on disk while its server runs (mid-stream).
        def mesh(numbers) -> None:
            for real in nodes:
                sender_app, sender = apps[real.node_id], node_of(apps[real.node_id], real)
                with sender_app.unit_of_work() as uow:
                    for other in nodes:
                        for n in numbers if other is not real else ():
                            send_message(uow.session, sender, peer_id=other.node_id,
                                         kind=STATUS_NOTICE, body={"status": f"mesh {n}"},
                                         actor="e2e", why="e2e", now=datetime.now(UTC))  # fmt: skip
                    uow.commit()

        mesh(range(5))
        store = FileKeyStore(bel.keys_dir)
        store.save(store.load().rotated(datetime.now(UTC)))
        mesh(range(5, 10))
        wait_until(
            lambda: all(count(a, OutboxRow, OutboxRow.status != "delivered") == 0
                        for a in apps.values()),
            60, "every outbox delivered", nodes,
        )  # fmt: skip
        for other in ("NLD-CA", "KAZ-CA"):  # both peers learnt BEL-CA's new keys
            with apps[other].unit_of_work() as uow:
                card = uow.session.get(PeerRow, "BEL-CA").card
                assert len(card["body"]["signing_keys"]) == 2
        assert count(apps["NLD-CA"], InboxRow) == 21
        assert count(apps["KAZ-CA"], InboxRow) == 20
        assert count(apps["BEL-CA"], InboxRow) == 20
        for a in apps.values():
            assert count(a, ReceiptRow) == count(a, OutboxRow)
        with apps["NLD-CA"].unit_of_work() as uow:
            inbox = uow.session.get(InboxRow, message_id)
            request = uow.session.get(RequestRow, inbox.request_id)
            assert request.direction == "incoming" and request.authority_id == "NLD-CA"
            document = uow.session.scalar(
                select(DocumentRow).where(DocumentRow.request_id == request.id)
            )
            assert document.sha256 == sha and document.size == len(content)
            assert apps["NLD-CA"].file_store.get(document.storage_key) == content
    finally:
        for a in apps.values():
            a.dispose()


def test_thousand_messages_survive_kill_9_of_receiver_three_times_and_sender_once(nodes):
    bel, nld, _ = nodes
    sender_app, receiver_app = bel.app(), nld.app()
    try:
        node = node_of(sender_app, bel)
        for start in range(0, TOTAL, 250):
            with sender_app.unit_of_work() as uow:
                for number in range(start, start + 250):
                    send_message(uow.session, node, peer_id="NLD-CA", kind=REQUEST,
                                 body=_minimal_request(number), actor="e2e", why="e2e",
                                 now=datetime.now(UTC))  # fmt: skip
                uow.commit()
        plan = [(150, nld), (350, nld), (500, bel), (700, nld)]
        for threshold, victim in plan:
            wait_until(lambda t=threshold: count(receiver_app, InboxRow) >= t, 120,
                       f"{threshold} received", [bel, nld])  # fmt: skip
            victim.kill9()
            victim.start()
        wait_until(
            lambda: count(sender_app, OutboxRow, OutboxRow.status != "delivered") == 0,
            180, "all delivered", [bel, nld],
        )  # fmt: skip
        assert count(sender_app, OutboxRow, OutboxRow.status == "dead") == 0
        # The kills really hit deliveries in flight: some messages needed more than one post.
        assert count(sender_app, OutboxRow, OutboxRow.attempts > 1) > 0
        assert count(sender_app, ReceiptRow) == TOTAL
        assert count(receiver_app, InboxRow) == TOTAL
        with receiver_app.unit_of_work() as uow:
            facts = uow.session.scalars(
                select(RequestRow.facts_summary).where(
                    RequestRow.facts_summary.like("e2e message %")
                )
            ).all()
            assert len(facts) == TOTAL and len(set(facts)) == TOTAL  # none lost, none twice
            assert verify_log(uow.session)[1] == []
    finally:
        sender_app.dispose()
        receiver_app.dispose()
