"""The batch inbox and the pipelined delivery worker, over HTTP (the receiving node's real
ASGI app behind the HTTP transport), on SQLite and PostgreSQL: a group of envelopes goes in
one request and one transaction, each still verified, applied once, receipted and audited;
a refused envelope of a batch is answered alone while the others are applied; a node
without the batch inbox gets single posts."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select

from judicare.app import create_app
from judicare.asgi import create_api
from judicare.audit.service import verify_log
from judicare.exchange.canonical import STATUS_NOTICE
from judicare.exchange.delivery import Deliverer
from judicare.exchange.envelopes import seal
from judicare.exchange.http import node_for
from judicare.exchange.models import InboxRow, OutboxRow, ReceiptRow
from judicare.exchange.peers import load_peer
from judicare.exchange.service import send_message
from judicare.exchange.transport import (
    BATCH_MEDIA_TYPE,
    INBOX_BATCH_PATH,
    INBOX_PATH,
    Delivered,
    HttpTransport,
    Refused,
    TransportFailure,
    frame,
    frame_answers,
    unframe,
    unframe_answers,
)
from tests.integration.exchange_nodes import NodeUnderTest, _count, _tags
from tests.integration.exchange_workers import wait_idle, watched, working
from tests.waiting import eventually


class Recording(TestClient):
    """The receiving node's app over HTTP, remembering the paths posted to."""

    def __init__(self, api, refuse_batches: bool = False) -> None:
        super().__init__(api)
        self.paths: list[str] = []
        self.refuse_batches = refuse_batches

    def post(self, url, **kwargs):
        path = httpx.URL(str(url)).path
        self.paths.append(path)
        if self.refuse_batches and path == INBOX_BATCH_PATH:  # a node from before batches
            return httpx.Response(404, json={"detail": "Not Found"})
        return super().post(path, **kwargs)


def _http_to(b: NodeUnderTest, **kw) -> tuple[HttpTransport, Recording]:
    client = Recording(create_api(b.app, b.store), **kw)
    return HttpTransport(client=client), client


def _queue(a: NodeUnderTest, count: int, status: str = "batch") -> list[str]:
    with a.app.unit_of_work() as uow:
        ids = [
            send_message(uow.session, a.node, peer_id="NLD-CA", kind=STATUS_NOTICE,
                         body={"status": f"{status} {n}"}, actor="test", why="test",
                         now=a.clock[0]).message_id
            for n in range(count)
        ]  # fmt: skip
        uow.commit()
    return ids


def _raw(a: NodeUnderTest, message_id: str, recipient_keys=None) -> bytes:
    with a.app.unit_of_work() as uow:
        _, keys = load_peer(uow.session, a.store.ring, "NLD-CA")
    return seal(a.store.ring, recipient_keys or keys, STATUS_NOTICE, {"status": message_id},
                message_id=message_id, conversation_id=f"c-{message_id}", now=a.clock[0],
                lifetime=timedelta(hours=1))  # fmt: skip


def test_a_group_goes_in_batches_each_envelope_verified_applied_receipted_and_audited(pair):
    a, b, _ = pair
    transport, client = _http_to(b)
    ids = _queue(a, 10)
    deliverer = Deliverer(a.app, a.node, transport, seed=1)
    try:
        report = deliverer.run_once()
    finally:
        deliverer.close()
    assert report.delivered == 10 and report.attempted == 10
    # 10 messages over 4 senders: groups of 3, 3, 3 and 1 (a lone message goes alone)
    assert sorted(client.paths) == sorted([INBOX_BATCH_PATH] * 3 + [INBOX_PATH])
    assert _count(a, OutboxRow, OutboxRow.status == "delivered") == 10
    assert _count(a, ReceiptRow) == 10
    with b.app.unit_of_work() as uow:
        assert set(uow.session.scalars(select(InboxRow.message_id))) == set(ids)
    received = [d for d in _tags(b, "node:envelope:receive")]
    assert len(received) == 10
    assert len(_tags(a, "node:message:deliver")) == 10
    for n in (a, b):
        with n.app.unit_of_work() as uow:
            assert verify_log(uow.session)[1] == []


def test_a_batch_sent_again_is_answered_with_the_original_receipts_and_applied_once(pair):
    a, b, _ = pair
    transport, _ = _http_to(b)
    envelopes = [_raw(a, f"again-{n}") for n in range(3)]
    first = transport.post_batch(b.endpoint, envelopes)
    second = transport.post_batch(b.endpoint, envelopes)
    assert first is not None and second is not None
    assert all(isinstance(r, Delivered) for r in first)
    assert [r.receipt for r in second] == [r.receipt for r in first]  # type: ignore[union-attr]
    assert _count(b, InboxRow) == 3
    with b.app.unit_of_work() as uow:
        assert set(uow.session.scalars(select(InboxRow.duplicates))) == {1}
    assert len(_tags(b, "node:envelope:receive")) == 3
    assert len(_tags(b, "node:envelope:duplicate")) == 3


def test_a_refused_envelope_in_a_batch_is_answered_alone_and_the_others_are_applied(pair):
    a, b, _ = pair
    transport, _ = _http_to(b)
    good = [_raw(a, "good-1"), _raw(a, "good-2")]
    replay = _raw(a, "good-1")[:-40] + _raw(a, "good-2")[-40:]  # a signature that fails
    results = transport.post_batch(b.endpoint, [good[0], replay, good[1], b"{}"])
    assert results is not None
    assert isinstance(results[0], Delivered) and isinstance(results[2], Delivered)
    assert isinstance(results[1], Refused) and results[1].permanent
    assert isinstance(results[3], Refused) and results[3].code == "malformed_envelope"
    with b.app.unit_of_work() as uow:
        assert set(uow.session.scalars(select(InboxRow.message_id))) == {"good-1", "good-2"}
    assert len(_tags(b, "node:envelope:receive")) == 2


def test_a_batch_that_is_not_one_or_too_large_is_refused_whole_and_counted(pair):
    _, b, _ = pair
    client = TestClient(create_api(b.app, b.store))
    headers = {"content-type": BATCH_MEDIA_TYPE}
    for body in (b"", b"\x00\x00\x00\x09abc", b"\x00\x00\x00\x00"):
        answer = client.post(INBOX_BATCH_PATH, content=body, headers=headers)
        assert answer.status_code == 400
        assert answer.json()["error"]["code"] == "malformed_envelope"
    limit = b.app.settings.exchange_max_envelope_bytes
    huge = client.post(INBOX_BATCH_PATH, content=frame([b"x" * limit]), headers=headers)
    assert huge.status_code == 413
    assert _count(b, InboxRow) == 0


def test_a_node_without_the_batch_inbox_gets_single_posts(pair):
    a, b, _ = pair
    transport, client = _http_to(b, refuse_batches=True)
    _queue(a, 8)
    deliverer = Deliverer(a.app, a.node, transport, seed=1)
    try:
        assert deliverer.run_once().delivered == 8
        _queue(a, 8)
        assert deliverer.run_once().delivered == 8
    finally:
        deliverer.close()
    assert transport.without_batch == {b.endpoint}
    assert client.paths.count(INBOX_BATCH_PATH) == 1  # asked once, then never again
    assert client.paths.count(INBOX_PATH) == 16
    assert _count(b, InboxRow) == 16


def test_the_worker_is_woken_by_a_queued_message_and_settles_what_it_posted(pair):
    """With a 60 s poll, messages queued into an idle worker are posted at once: the commit
    that queued them wakes it (the node's outbox signal)."""
    a, b, _ = pair
    a.app.settings = a.app.settings.model_copy(update={"exchange_poll_seconds": 60.0})
    a.node.settings = a.app.settings
    watched(a)
    transport, _ = _http_to(b)
    deliverer = Deliverer(a.app, a.node, transport, seed=1)
    with working(deliverer):
        wait_idle(deliverer)  # the worker found nothing and waits (a 60 s poll)
        _queue(a, 40)  # committed here: the worker wakes without its poll
        eventually(lambda: _count(a, ReceiptRow) == 40, "40 receipts before the 60 s poll",
                   timeout=50)  # fmt: skip
    assert _count(a, OutboxRow, OutboxRow.status == "pending") == 0
    assert _count(b, InboxRow) == 40


def test_a_message_queued_by_another_process_wakes_the_worker(pair, database_url):
    """On PostgreSQL the worker listens (`LISTEN`): a message queued through another engine
    and node, as by another server process, wakes it long before its 60 s poll. SQLite has
    no such channel: there the message is found by the poll (here 0.2 s)."""
    a, b, _ = pair
    postgres = database_url.startswith("postgresql")
    poll = 60.0 if postgres else 0.2
    a.app.settings = a.app.settings.model_copy(update={"exchange_poll_seconds": poll})
    a.node.settings = a.app.settings
    watched(a)
    other_app = create_app(a.app.settings, clock=a.app.clock, file_store=a.app.file_store)
    other = NodeUnderTest(other_app, node_for(other_app, a.store), a.store, a.endpoint, a.clock)
    assert other.node.outbox_signal is not a.node.outbox_signal  # no wake within a process
    transport, _ = _http_to(b)
    deliverer = Deliverer(a.app, a.node, transport, seed=1)
    try:
        with working(deliverer):
            wait_idle(deliverer)  # listening (PostgreSQL), found nothing, waits for its poll
            assert (deliverer.listener is not None) == postgres
            _queue(other, 5)
            eventually(lambda: _count(a, ReceiptRow) == 5, "5 receipts before the 60 s poll",
                       timeout=50)  # fmt: skip
    finally:
        other_app.dispose()
    assert _count(b, InboxRow) == 5
    if postgres:
        assert not deliverer.listener.is_alive()  # stopped with the worker


def test_batch_framing_round_trips_and_refuses_what_is_not_a_batch():
    items = [b"one", b"two" * 100, b"3"]
    assert unframe(frame(items)) == items
    for bad in (b"", b"\x00\x00", b"\x00\x00\x00\x05ab", b"\x00\x00\x00\x00"):
        with pytest.raises(ValueError):
            unframe(bad)
    with pytest.raises(ValueError, match="at most"):
        unframe(frame([b"x"] * 65))
    answers = frame_answers([(200, b"receipt", None), (409, b"", {"code": "replayed_message_id",
                              "message": "m"}), (503, b"", {"code": "busy", "message": ""})])  # fmt: skip
    delivered, refused, busy = unframe_answers(answers, 3)
    assert delivered == Delivered(b"receipt")
    assert refused == Refused("replayed_message_id", "m", True)
    assert isinstance(busy, TransportFailure)
    with pytest.raises(TransportFailure, match="4 envelopes"):
        unframe_answers(answers, 4)


def test_two_pipelined_workers_post_each_message_once(pair):
    a, b, _ = pair
    transport, _ = _http_to(b)
    _queue(a, 60)
    with working(*(Deliverer(a.app, a.node, transport, seed=n) for n in range(2))):
        eventually(lambda: _count(a, ReceiptRow) == 60, "60 receipts")
    assert _count(b, InboxRow) == 60
    with b.app.unit_of_work() as uow:  # no envelope reached the receiver twice
        assert set(uow.session.scalars(select(InboxRow.duplicates))) == {0}
    assert len(_tags(b, "node:envelope:receive")) == 60


def test_rows_inserted_together_go_in_statements_psycopg_keeps_converted(pair, database_url):
    """On PostgreSQL the inbox rows a batch stores and the receipts a settlement keeps go
    at most 50 parameters to a statement (psycopg converts larger ones afresh each time);
    every row is still stored, once. (SQLite is left as it was.)"""
    if not database_url.startswith("postgresql"):
        pytest.skip("psycopg's conversion of placeholders: PostgreSQL only")
    a, b, _ = pair
    transport, _ = _http_to(b)
    transport.post_batch(b.endpoint, [_raw(a, "first-1"), _raw(a, "first-2")])  # the inbox
    # user is made in this first batch, whose look-ups of it store each inbox row at once
    inserts: dict[str, list[int]] = {"exchange_inbox": [], "exchange_receipts": []}

    def count(_conn, _cursor, statement, parameters, _context, _many) -> None:
        for table, sizes in inserts.items():
            if statement.startswith(f"INSERT INTO {table} "):
                sizes.append(len(parameters))

    ids = _queue(a, 12)
    deliverer = Deliverer(a.app, a.node, transport, seed=1)
    engines = (a.app.engine, b.app.engine)
    for engine in engines:
        event.listen(engine, "before_cursor_execute", count)
    try:
        jobs = deliverer._due(a.clock[0])
        answers = transport.post_batch(b.endpoint, [job.envelope for job in jobs])
        assert answers is not None and all(isinstance(r, Delivered) for r in answers)
        report = deliverer._settle_all(list(zip(jobs, answers, strict=True)))
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)
        deliverer.close()
    assert report.delivered == 12 and _count(a, ReceiptRow) == 12
    with b.app.unit_of_work() as uow:
        stored = uow.session.scalars(select(InboxRow.message_id))
        assert sorted(stored) == sorted([*ids, "first-1", "first-2"])
    assert len(inserts["exchange_inbox"]) == 3  # 5, 5 and 2 rows (10 columns)
    assert len(inserts["exchange_receipts"]) == 2  # 6 and 6 rows (7 columns)
    assert max(inserts["exchange_inbox"] + inserts["exchange_receipts"]) <= 50


def test_a_settlement_claims_the_next_messages_in_its_own_transaction(pair):
    """The pipelined worker settles a group and claims the next messages in one
    transaction (one commit, not two): the claim sees the settlement, so the message
    waiting behind one just delivered in its conversation is claimed with it; the claimed
    messages are taken (another worker finds none), and each is delivered once."""
    a, b, _ = pair
    transport, _ = _http_to(b)
    conversation = "c0000000-0000-0000-0000-0000000000aa"
    with a.app.unit_of_work() as uow:
        first, second = (
            send_message(uow.session, a.node, peer_id="NLD-CA", kind=STATUS_NOTICE,
                         body={"status": f"in turn {n}"}, actor="test", why="test",
                         now=a.clock[0], conversation_id=conversation).message_id
            for n in range(2)
        )  # fmt: skip
        uow.commit()
    others = _queue(a, 4)
    deliverer, other = (Deliverer(a.app, a.node, transport, seed=n) for n in range(2))
    commits: list[object] = []

    def count(connection) -> None:
        commits.append(connection)

    try:
        posted = deliverer._due(a.clock[0], limit=3)
        assert {job.message_id for job in posted} == {first, *others[:2]}
        answers = transport.post_batch(b.endpoint, [job.envelope for job in posted])
        assert answers is not None and all(isinstance(r, Delivered) for r in answers)
        event.listen(a.app.engine, "commit", count)
        try:
            claimed = deliverer._settle_and_claim(list(zip(posted, answers, strict=True)), 10)
        finally:
            event.remove(a.app.engine, "commit", count)
        assert len(commits) == 1  # settled and claimed in one transaction
        assert _count(a, ReceiptRow) == 3
        assert {job.message_id for job in claimed} == {second, *others[2:]}
        assert other._due(a.clock[0]) == []  # taken
        answers = transport.post_batch(b.endpoint, [job.envelope for job in claimed])
        assert answers is not None
        report = deliverer._settle_all(list(zip(claimed, answers, strict=True)))
    finally:
        deliverer.close()
        other.close()
    assert report.delivered == 3 and _count(a, ReceiptRow) == 6
    assert _count(b, InboxRow) == 6
    assert len(_tags(a, "node:message:deliver")) == 6
    with a.app.unit_of_work() as uow:
        assert verify_log(uow.session)[1] == []
