"""Two exchange nodes in process for the integration tests, each on its own migrated
database (SQLite or PostgreSQL), joined by the in-process mock transport."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from judicare.app import App, create_app
from judicare.audit.models import AuditEventRow
from judicare.auth.service import create_user, ensure_authority, principal_of
from judicare.exchange.delivery import Deliverer
from judicare.exchange.envelopes import make_card
from judicare.exchange.http import handle_attachment, handle_envelope, node_for
from judicare.exchange.keys import MemoryKeyStore, NodeIdentity, new_ring
from judicare.exchange.models import InboxRow
from judicare.exchange.peers import add_peer
from judicare.exchange.service import send_request
from judicare.exchange.transport import MockTransport
from judicare.files.store import MemoryFileStore
from judicare.requests.models import DocumentRow
from judicare.requests.schemas import RequestCreate
from judicare.requests.service import create_request
from judicare.settings import Settings
from tests.conftest import (  # noqa: F401  (re-exported for the security tests)
    _copy_postgres,
    _migrated_postgres_template,
)
from tests.integration.api_support import request_body

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@dataclass
class StoppedClock:
    """The nodes' one clock in these tests: it stands still until a test moves `cell[0]`,
    and the node, its receiver, its delivery worker and its web pages all read it."""

    cell: list

    def now(self) -> datetime:
        return self.cell[0]

    def today(self):
        return self.cell[0].date()


@dataclass
class NodeUnderTest:
    app: App
    node: object
    store: MemoryKeyStore
    endpoint: str
    clock: list

    @property
    def id(self) -> str:
        return self.store.ring.identity.node_id


def _make_node(url: str, node_id: str, state: str, clock: list, **settings) -> NodeUnderTest:
    app = create_app(
        Settings(database_url=url, environment="test", exchange_max_attempts=4,
                 exchange_backoff_base_seconds=0.01, exchange_backoff_max_seconds=0.02,
                 **settings),
        clock=StoppedClock(clock), file_store=MemoryFileStore(),
    )  # fmt: skip
    endpoint = f"http://{node_id.lower()}.test"
    store = MemoryKeyStore(
        new_ring(NodeIdentity(node_id, state, f"{node_id} (test)", endpoint), T0)
    )
    node = node_for(app, store)
    return NodeUnderTest(app, node, store, endpoint, clock)


def _befriend(a: NodeUnderTest, b: NodeUnderTest) -> None:
    for me, other in ((a, b), (b, a)):
        card = make_card(other.store.ring, T0)
        with me.app.unit_of_work() as uow:
            add_peer(uow.session, me.store.ring, card, other.store.ring.fingerprint,
                     now=T0, actor="test")  # fmt: skip
            uow.commit()


def routed(*nodes: NodeUnderTest) -> MockTransport:
    """A mock transport delivering to each node's inbox and attachment upload in process."""
    transport = MockTransport()
    for n in nodes:
        transport.route(
            n.endpoint,
            lambda raw, n=n: handle_envelope(n.app, n.node, raw),
            lambda m, at, chunks, headers, n=n: handle_attachment(
                n.app, n.node, m, at, chunks, headers
            ),
        )
    return transport


def two_node_databases(database_url: str, tmp_path, request) -> list[str]:
    """Two migrated databases of the kind under test, one per node: copies of the migrated
    SQLite template, or the two pristine PostgreSQL databases restored as the migration
    left them (no database made or dropped)."""
    if database_url.startswith("sqlite"):
        template = request.getfixturevalue("_upgraded_sqlite_template")
        urls = []
        for name in ("first.db", "second.db"):
            shutil.copy(template, tmp_path / name)
            urls.append(f"sqlite:///{tmp_path / name}")
        return urls
    urls = []
    for name in ("_pristine_first_node", "_pristine_second_node"):
        pristine = request.getfixturevalue(name)
        pristine.restore()
        urls.append(pristine.url)
    return urls


@pytest.fixture
def pair(database_url, tmp_path, request):
    """Node BEL-CA and node NLD-CA, each on its own migrated database."""
    urls = two_node_databases(database_url, tmp_path, request)
    clock = [T0]
    a = _make_node(urls[0], "BEL-CA", "BEL", clock)
    b = _make_node(urls[1], "NLD-CA", "NLD", clock)
    _befriend(a, b)
    yield a, b, routed(a, b)
    a.app.dispose()
    b.app.dispose()


def _officer(n: NodeUnderTest):
    with n.app.unit_of_work() as uow:
        ensure_authority(uow.session, n.id, n.store.ring.identity.state, "test")
        user = create_user(uow.session, username=f"officer.{n.id}", password="x" * 12,
                           role="officer", authority_id=n.id)  # fmt: skip
        uow.commit()
        return principal_of(user)


def _outgoing(n: NodeUnderTest, who, number: int = 0, document: bytes | None = None) -> int:
    body = request_body(direction="outgoing", requesting_state="BE", requested_state="NL",
                        facts_summary=f"exchange test request {number}")  # fmt: skip
    with n.app.unit_of_work() as uow:
        _, detail, _ = create_request(uow.session, who, RequestCreate.model_validate(body),
                                      now=T0, basis=None, why="test")  # fmt: skip
        if document is not None:
            key, size, sha = n.app.file_store.put([document], 10_000_000)
            uow.session.add(DocumentRow(request_id=detail["id"], filename="statement.pdf",
                                        media_type="application/pdf", size=size, sha256=sha,
                                        storage_key=key, uploaded_by=who.user_id))  # fmt: skip
        uow.commit()
    return detail["id"]


def _send(n: NodeUnderTest, who, request_id: int, peer: str):
    with n.app.unit_of_work() as uow:
        row = send_request(uow.session, n.node, who, request_id, peer, now=n.clock[0], why="test")
        uow.commit()
        return row.message_id


def _received_id(n: NodeUnderTest, message_id: str) -> int:
    """The id of the request that message registered at node `n`."""
    with n.app.unit_of_work() as uow:
        return uow.session.get(InboxRow, message_id).request_id


def _travelled(a: NodeUnderTest, b: NodeUnderTest, transport, who_a, number: int = 0):
    """An outgoing request of A sent and delivered to B: (its id at A, its id at B)."""
    sent = _outgoing(a, who_a, number)
    message = _send(a, who_a, sent, b.id)
    _deliver(a, transport)
    return sent, _received_id(b, message)


def _deliver(n: NodeUnderTest, transport, rounds: int = 20):
    deliverer = Deliverer(n.app, n.node, transport, seed=1)
    try:
        for _ in range(rounds):
            report = deliverer.run_once()
            n.clock[0] += timedelta(seconds=1)
            if report.attempted == 0:
                break
    finally:
        deliverer.close()


def _count(n: NodeUnderTest, model, *where) -> int:
    with n.app.unit_of_work() as uow:
        return uow.session.scalar(select(func.count()).select_from(model).where(*where))


def _tags(n: NodeUnderTest, tag: str) -> list[dict]:
    """The details of the audit entries with this tag, oldest first."""
    with n.app.unit_of_work() as uow:
        query = select(AuditEventRow.details).where(AuditEventRow.tag == tag)
        return list(uow.session.scalars(query.order_by(AuditEventRow.seq)))


def _decided(n: NodeUnderTest, request_id: int, outcome: str, reasons: str, citations: list):
    """A decision on a request of node `n`, the way one takes effect: proposed by a legal
    reviewer and, where four-eyes requires it, approved by a supervisor."""
    from judicare.screening.decisions import ApprovalIn, DecisionIn, approve, propose

    people = []
    with n.app.unit_of_work() as uow:
        for role in ("legal_reviewer", "supervisor"):
            user = create_user(uow.session, username=f"{role}.decides.{n.id}",
                               password="x" * 12, role=role, authority_id=n.id)  # fmt: skip
            people.append(principal_of(user))
        uow.commit()
    reviewer, supervisor = people
    proposal = DecisionIn(outcome=outcome, reasons=reasons, citations=citations, consulted=True)
    with n.app.unit_of_work() as uow:
        made = propose(uow.session, reviewer, n.app.basis.get(uow.session), request_id,
                       proposal, now=n.clock[0], why="test")  # fmt: skip
        if made["status"] == "pending_approval":
            made = approve(uow.session, supervisor, made["id"],
                           ApprovalIn(approve=True, note="test: four-eyes"),
                           now=n.clock[0], why="test")  # fmt: skip
        uow.commit()
    return made
