"""An evidence bag larger than the upload limit travels in chunks (`exchange.chunked`), on
SQLite and PostgreSQL: the limit is lowered to 256 KB here and bags of several MB go
between two nodes, each keeping its files on disk. The bag arrives and is validated in
full; a chunk altered in transit, or chunks reordered in the receiver's store, are refused
with a clear error and nothing of the message is kept; a transfer cut halfway resumes from
the chunks the receiver reports; and neither side ever reads a chunk, the ciphertext or the
bag whole (a file store that records the largest piece it is given and refuses `get`)."""

from __future__ import annotations

import hashlib
import os
import tracemalloc
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from judicare.app import create_app
from judicare.audit.models import AuditEventRow
from judicare.db.base import as_utc
from judicare.evidence import archives, service
from judicare.evidence.custody import EventKind
from judicare.evidence.models import EvidenceItemRow
from judicare.evidence.transmission import send_evidence
from judicare.exchange import chunk_routes, chunked
from judicare.exchange.attachments import CHUNK
from judicare.exchange.delivery import Deliverer
from judicare.exchange.http import node_for
from judicare.exchange.keys import MemoryKeyStore, NodeIdentity, new_ring
from judicare.exchange.models import ChunkRow, InboxRow, OutboxRow
from judicare.files.store import LocalFileStore
from judicare.requests.models import DocumentRow
from judicare.settings import Settings
from tests.integration.exchange_nodes import (
    T0,
    NodeUnderTest,
    StoppedClock,
    _befriend,
    _count,
    _deliver,
    _officer,
    _tags,
    _travelled,
    routed,
    two_node_databases,
)
from tests.integration.exchange_workers import working
from tests.waiting import eventually

UPLOAD_LIMIT = 256_000  # bytes one upload may carry on both nodes
CHUNK_BYTES = 2 * CHUNK  # 128 KiB of plaintext per chunk
HERE = service.Custody(where="The Hague, forensic lab", why="execution of the request")


class BoundedStore(LocalFileStore):
    """A file store on disk that never hands out or takes in a whole file: `get` is refused,
    and the largest piece `put` is given and `open_chunks` asked for is recorded."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.largest_put = 0
        self.largest_read = 0

    def get(self, key: str) -> bytes:
        raise AssertionError(f"read whole: {key}")

    def put(self, chunks, max_bytes):
        def measured():
            for piece in chunks:
                self.largest_put = max(self.largest_put, len(piece))
                yield piece

        return super().put(measured(), max_bytes)

    def open_chunks(self, key, size=CHUNK):
        self.largest_read = max(self.largest_read, size)
        return super().open_chunks(key, size)

    def count(self) -> int:
        return sum(1 for p in self.root.rglob("*") if p.is_file())


def _node(url: str, node_id: str, state: str, clock: list, root: Path) -> NodeUnderTest:
    settings = Settings(
        database_url=url, environment="test", exchange_max_attempts=4,
        exchange_backoff_base_seconds=0.01, exchange_backoff_max_seconds=0.02,
        max_upload_bytes=UPLOAD_LIMIT, exchange_chunk_bytes=CHUNK_BYTES,
    )  # fmt: skip
    app = create_app(settings, clock=StoppedClock(clock), file_store=BoundedStore(root))
    endpoint = f"http://{node_id.lower()}.test"
    store = MemoryKeyStore(
        new_ring(NodeIdentity(node_id, state, f"{node_id} (test)", endpoint), T0)
    )
    return NodeUnderTest(app, node_for(app, store), store, endpoint, clock)


@pytest.fixture
def nodes(database_url, tmp_path, request):
    """BEL-CA (requesting) and NLD-CA (requested), with a 256 KB upload limit and their files
    on disk, joined by the mock transport with the chunk routes."""
    urls = two_node_databases(database_url, tmp_path, request)
    clock = [T0]
    a = _node(urls[0], "BEL-CA", "BEL", clock, tmp_path / "files-a")
    b = _node(urls[1], "NLD-CA", "NLD", clock, tmp_path / "files-b")
    _befriend(a, b)
    transport = routed(a, b)
    for n in (a, b):  # and the chunk routes
        transport.route_chunks(
            n.endpoint,
            lambda m, at, headers, n=n: chunk_routes.handle_status(n.app, n.node, m, at, headers),
            lambda m, at, i, chunks, headers, n=n: chunk_routes.handle_chunk(
                n.app, n.node, m, at, i, chunks, headers
            ),
        )
    yield a, b, transport
    a.app.dispose()
    b.app.dispose()


def _setup(nodes, sizes=(1_500_000, 1_200_000)):
    """A request sent from A to B, and evidence of these sizes gathered and sealed at B."""
    a, b, transport = nodes
    who_a, who_b = _officer(a), _officer(b)
    sent, incoming = _travelled(a, b, transport, who_a)
    contents = [os.urandom(size) for size in sizes]  # incompressible, as photographs are
    with b.app.unit_of_work() as uow:
        for n, content in enumerate(contents):
            item = service.add_item(
                uow.session, b.app.file_store, who_b, incoming,
                chunks=[content[i : i + CHUNK] for i in range(0, len(content), CHUNK)],
                filename=f"exhibit-{n}.jpg", media_type="image/jpeg",
                description=f"Photograph {n}", custody_of=HERE, now=b.clock[0],
                limit=100_000_000,
            )  # fmt: skip
            service.record_event(uow.session, who_b, incoming, item["id"], EventKind.SEALED,
                                 custody_of=HERE, now=b.clock[0])  # fmt: skip
        uow.commit()
    return who_a, who_b, sent, incoming, contents


def _send_bag(b, who_b, incoming) -> OutboxRow:
    with b.app.unit_of_work() as uow:
        send_evidence(uow.session, b.node, who_b, incoming, "The evidence gathered.",
                      where="The Hague", now=b.clock[0], why="execution")  # fmt: skip
        uow.commit()
    return _answer(b)


def _answer(b) -> OutboxRow:
    """The answer's outbox row, read in full (it is used after its session closed)."""
    with b.app.unit_of_work() as uow:
        row = uow.session.scalar(select(OutboxRow).where(OutboxRow.message_type.like("answer/%")))
        uow.session.expunge(row)
        return row


def _measuring(transport, endpoint, sizes: list, alter=None):
    """Record each chunk's length as it arrives (and alter one, if asked)."""
    status, put = transport.chunk_handlers[endpoint]

    def measured(m, at, index, chunks, headers):
        data = b"".join(chunks)  # the test's own view of one chunk (bounded by its limit)
        sizes.append(len(data))
        if alter is not None and index == alter:
            data = data[:1000] + bytes([data[1000] ^ 0x01]) + data[1001:]
        return put(m, at, index, [data[i : i + CHUNK] for i in range(0, len(data), CHUNK)],
                   headers)  # fmt: skip

    transport.chunk_handlers[endpoint] = (status, measured)


def test_a_bag_over_the_upload_limit_travels_in_chunks_and_is_validated(nodes):
    a, b, transport = nodes
    who_a, who_b, sent, incoming, contents = _setup(nodes)
    out = _send_bag(b, who_b, incoming)
    (item,) = out.attachments
    assert item["transfer"] == "chunked/1" and item["size"] > 10 * UPLOAD_LIMIT
    sizes: list[int] = []
    _measuring(transport, a.endpoint, sizes)
    _deliver(b, transport)

    assert _answer(b).status == "delivered", _answer(b).last_error
    assert len(sizes) == item["chunks"] >= 20
    assert max(sizes) <= chunked.chunk_limit(a.app.settings) < UPLOAD_LIMIT
    assert not [u for u in transport.uploaded if u[1] == out.message_id]  # no whole upload
    with a.app.unit_of_work() as uow:
        listed = service.list_items(uow.session, who_a, sent, now=a.clock[0], why="t")
        uow.commit()
    assert sorted(i["size"] for i in listed) == sorted(len(c) for c in contents)
    for listed_item in listed:
        assert listed_item["chain_intact"], listed_item["chain_problems"]
        assert [e["kind"] for e in listed_item["events"]][-1] == "received"
        stored = b"".join(a.app.file_store.open_chunks(_key(a, listed_item["id"])))
        assert stored == contents[int(listed_item["filename"][8])]
    with a.app.unit_of_work() as uow:
        bag = uow.session.scalar(
            select(DocumentRow).where(DocumentRow.media_type == archives.BAG_MEDIA_TYPE)
        )
        assert bag is not None and bag.size == item["size"] - _overhead(item)
    # the chunks are gone once the answer is applied, their removal audited first
    assert _count(a, ChunkRow) == 0
    (removed,) = _tags(a, "node:chunks:remove")
    assert removed["chunks"] == item["chunks"] and len(removed["sha256"]) == item["chunks"]
    for sha in removed["sha256"]:
        assert not a.app.file_store.exists(f"sha256/{sha}")
    # neither node read a whole file, nor was given more than 1 MiB at once
    for n in (a, b):
        assert n.app.file_store.largest_put <= 1 << 20
        assert n.app.file_store.largest_read <= 1 << 20


def _overhead(item: dict) -> int:
    """Ciphertext bytes beyond the plaintext: the stream's header and a tag per record."""
    from judicare.exchange.attachments import ABYTES, HEADERBYTES

    records = -(-(item["size"] - HEADERBYTES) // (CHUNK + ABYTES))
    return HEADERBYTES + records * ABYTES


def _key(node, item_id: int) -> str:
    with node.app.unit_of_work() as uow:
        return uow.session.get(EvidenceItemRow, item_id).storage_key


def test_a_chunk_altered_in_transit_is_refused_and_nothing_is_kept(nodes):
    a, b, transport = nodes
    _, who_b, _, incoming, _ = _setup(nodes)
    files_before = a.app.file_store.count()
    documents_before = _count(a, DocumentRow)
    _send_bag(b, who_b, incoming)
    sizes: list[int] = []
    _measuring(transport, a.endpoint, sizes, alter=3)
    _deliver(b, transport)

    answer = _answer(b)
    assert answer.status == "dead"
    assert "attachment_mismatch" in answer.last_error
    assert "chunk 3 of attachment" in answer.last_error
    assert "altered in transit" in answer.last_error
    assert len(sizes) == 4  # the chunks after it were never sent
    assert _count(a, ChunkRow) == 0
    assert _count(a, EvidenceItemRow) == 0 and _count(a, DocumentRow) == documents_before
    assert _count(a, InboxRow, InboxRow.message_type.like("answer/%")) == 0
    assert a.app.file_store.count() == files_before  # the three good chunks and the bad one
    (removed,) = _tags(a, "node:chunks:remove")
    assert removed["chunks"] == 3
    assert [d["reason"] for d in _tags(a, "node:attachment:reject")] == ["attachment_mismatch"]


def test_chunks_reordered_in_the_receivers_store_are_refused_when_reassembled(nodes):
    """A chunk in another place than its own (here two swapped after they arrived, which
    no digest at the chunk endpoint could see) fails the stream's authentication: the
    answer is refused, the chunks removed, and no plaintext stays in the file store."""
    a, b, transport = nodes
    _, who_b, _, incoming, _ = _setup(nodes, sizes=(900_000,))
    files_before = a.app.file_store.count()
    _send_bag(b, who_b, incoming)
    transport.fail_next[a.endpoint] = 1  # the chunks arrive, the envelope does not (yet)
    _deliver(b, transport, rounds=1)
    with a.app.unit_of_work() as uow:
        rows = uow.session.scalars(select(ChunkRow).order_by(ChunkRow.idx)).all()
        assert len(rows) == _answer(b).attachments[0]["chunks"]
        one, two = rows[1], rows[2]
        one.storage_key, two.storage_key = two.storage_key, one.storage_key
        one.sha256, two.sha256 = two.sha256, one.sha256
        uow.commit()
    _deliver(b, transport)

    answer = _answer(b)
    assert answer.status == "dead"
    assert "attachment_mismatch" in answer.last_error
    assert "fails authentication" in answer.last_error, answer.last_error
    assert _count(a, ChunkRow) == 0 and _count(a, EvidenceItemRow) == 0
    assert a.app.file_store.count() == files_before


def test_an_interrupted_transfer_resumes_from_the_chunks_the_receiver_holds(nodes):
    a, b, transport = nodes
    who_a, who_b, sent, incoming, contents = _setup(nodes)
    out = _send_bag(b, who_b, incoming)
    count = out.attachments[0]["chunks"]
    transport.cut_chunks[a.endpoint] = 7  # the connection is lost after 7 chunks
    _deliver(b, transport, rounds=1)
    assert _answer(b).status == "pending" and "connection" in _answer(b).last_error
    with a.app.unit_of_work() as uow:
        assert list(uow.session.scalars(select(ChunkRow.idx).order_by(ChunkRow.idx))) == list(
            range(7)
        )
    _deliver(b, transport)

    assert _answer(b).status == "delivered", _answer(b).last_error
    indexes = [i for (_, m, _, i) in transport.chunks_put if m == out.message_id]
    assert sorted(indexes) == list(range(count))  # each chunk sent once: none sent again
    with a.app.unit_of_work() as uow:
        listed = service.list_items(uow.session, who_a, sent, now=a.clock[0], why="t")
        uow.commit()
    assert sorted(i["size"] for i in listed) == sorted(len(c) for c in contents)
    assert _count(a, ChunkRow) == 0


def test_memory_stays_bounded_while_a_large_bag_travels(nodes):
    """A 32 MB bag crosses with Python's allocations peaking far below its size: the bytes
    are read and written in pieces of at most 1 MiB on both sides (a 3 MB bag peaks at about
    3.5 MB when this test runs alone; in a worker that ran other tests first, caches and
    threads they left add some megabytes, so the bound is half the bag, which holding the
    bag, its ciphertext or its chunks whole would exceed at once)."""
    peak, size = _peak_while_a_bag_crosses(nodes, 32_000_000)
    assert peak < size / 2, peak


def _peak_while_a_bag_crosses(nodes, size: int) -> tuple[int, int]:
    """Send one bag of `size` bytes from b to a; Python's allocation peak while it crosses
    (tracemalloc), and the bag's size, once it has arrived as one evidence item."""
    a, b, transport = nodes
    _, who_b, _, incoming, contents = _setup(nodes, sizes=(size,))
    _send_bag(b, who_b, incoming)
    tracemalloc.start()
    try:
        _deliver(b, transport)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert _answer(b).status == "delivered", _answer(b).last_error
    assert _count(a, EvidenceItemRow) == 1
    return peak, len(contents[0])


def test_a_chunk_longer_than_a_chunk_may_be_is_refused_unstored(nodes):
    """The receiver reads at most one chunk's length, whatever the sender signed."""
    a, b, _ = nodes
    files_before = a.app.file_store.count()
    ring = b.store.ring
    limit = chunked.chunk_limit(a.app.settings)
    body = os.urandom(limit + 1)
    item = {"id": "att-1", "chunks": 1, "sha256": "0" * 64, "size": limit + 1}
    headers = chunked.chunk_headers(ring, "msg-1", item, 0, hashlib.sha256(body).hexdigest())
    status, error = chunk_routes.handle_chunk(a.app, a.node, "msg-1", "att-1", 0, [body], headers)
    assert status == 413 and error["code"] == "attachment_too_large"
    assert "longer than" in error["message"]
    assert a.app.file_store.count() == files_before and _count(a, ChunkRow) == 0
    forged = {**headers, "x-judicare-chunk-sha256": "1" * 64}
    status, error = chunk_routes.handle_chunk(a.app, a.node, "msg-1", "att-1", 0, [b"x"], forged)
    assert status == 403 and error["code"] == "bad_signature"
    with a.app.unit_of_work() as uow:
        assert uow.session.scalars(select(AuditEventRow.tag).where(
            AuditEventRow.tag == "node:attachment:reject")).all()  # fmt: skip


def test_a_retry_after_a_lost_receipt_sends_no_chunk_again(nodes):
    """The answer was applied but its receipt lost: the receiver reports every chunk held,
    so the retry posts the envelope alone and gets the original receipt."""
    a, b, transport = nodes
    _, who_b, _, incoming, _ = _setup(nodes, sizes=(900_000,))
    out = _send_bag(b, who_b, incoming)
    transport.lose_receipts[a.endpoint] = 1
    _deliver(b, transport)

    assert _answer(b).status == "delivered", _answer(b).last_error
    indexes = [i for (_, m, _, i) in transport.chunks_put if m == out.message_id]
    assert sorted(indexes) == list(range(out.attachments[0]["chunks"]))
    assert _count(a, EvidenceItemRow) == 1 and _count(a, ChunkRow) == 0


def test_abandoned_chunks_are_removed_once_their_envelope_can_no_longer_arrive(nodes):
    """Chunks whose envelope never came (the sender gave up) are removed, audited, when a
    later transfer starts, once the envelope would be refused as expired anyway."""
    a, b, transport = nodes
    _, who_b, _, incoming, _ = _setup(nodes, sizes=(600_000,))
    files_before = a.app.file_store.count()
    out = _send_bag(b, who_b, incoming)
    transport.fail_next[a.endpoint] = 1  # the chunks arrive, the envelope never does
    _deliver(b, transport, rounds=1)
    held = _count(a, ChunkRow)
    assert held == out.attachments[0]["chunks"] and a.app.file_store.count() > files_before
    settings = a.app.settings
    window = settings.exchange_max_window_seconds + settings.exchange_clock_skew_seconds

    def another_transfer_starts() -> None:
        headers = chunked.status_headers(b.store.ring, "m-later", "a-later", 1)
        status, body = chunk_routes.handle_status(a.app, a.node, "m-later", "a-later", headers)
        assert status == 200 and body["held"] == []

    a.clock[0] = T0 + timedelta(seconds=window - 2 * chunk_routes.PRUNE_EVERY)
    another_transfer_starts()
    assert _count(a, ChunkRow) == held  # its envelope could still arrive
    a.clock[0] = T0 + timedelta(seconds=window + 60)
    another_transfer_starts()
    assert _count(a, ChunkRow) == 0
    assert a.app.file_store.count() == files_before
    (removed,) = _tags(a, "node:chunks:remove")
    assert removed["chunks"] == held


# --- the chunk size, negotiated: the sender cuts to min(its own, the receiver's) ---------------


def test_the_sender_cuts_to_the_smaller_chunk_size_the_receiver_advertises(nodes):
    """The receiver (A) takes 64 KiB of plaintext per chunk, the sender (B) planned 128 KiB:
    the answer about chunks held says so, and the bag crosses in the receiver's cut."""
    a, b, transport = nodes
    a.app.settings.exchange_chunk_bytes = CHUNK
    who_a, who_b, sent, incoming, contents = _setup(nodes)
    headers = chunked.status_headers(b.store.ring, "m-1", "a-1", 3)
    status, body = chunk_routes.handle_status(a.app, a.node, "m-1", "a-1", headers)
    assert status == 200 and body["chunk_bytes"] == CHUNK
    assert body["max_chunk_bytes"] == chunked.chunk_limit(a.app.settings) < 2 * CHUNK
    out = _send_bag(b, who_b, incoming)
    (item,) = out.attachments
    assert item["chunk_bytes"] == CHUNK_BYTES  # the sender's own plan, sealed
    sizes: list[int] = []
    _measuring(transport, a.endpoint, sizes)
    _deliver(b, transport)

    assert _answer(b).status == "delivered", _answer(b).last_error
    cut = chunked.layout(item["size"], CHUNK)
    assert len(sizes) == len(cut) > item["chunks"]
    assert sizes == [length for _, length in cut]
    assert max(sizes) <= chunked.chunk_limit(a.app.settings)
    with a.app.unit_of_work() as uow:
        listed = service.list_items(uow.session, who_a, sent, now=a.clock[0], why="t")
        uow.commit()
    assert sorted(i["size"] for i in listed) == sorted(len(c) for c in contents)
    assert all(i["chain_intact"] for i in listed)
    assert _count(a, ChunkRow) == 0
    (removed,) = _tags(a, "node:chunks:remove")
    assert removed["chunks"] == len(cut)


def test_a_receiver_that_advertises_a_larger_size_keeps_the_senders_cut(nodes):
    """min(own, receiver's): a receiver taking more than the sender planned changes nothing."""
    a, b, transport = nodes
    a.app.settings.exchange_chunk_bytes = 3 * CHUNK
    _, who_b, _, incoming, _ = _setup(nodes, sizes=(900_000,))
    out = _send_bag(b, who_b, incoming)
    sizes: list[int] = []
    _measuring(transport, a.endpoint, sizes)
    _deliver(b, transport)
    assert _answer(b).status == "delivered", _answer(b).last_error
    assert len(sizes) == out.attachments[0]["chunks"]
    assert max(sizes) == chunked.chunk_limit(b.app.settings)


def test_a_chunk_over_the_receivers_limit_is_refused_with_the_limit_named(nodes):
    """A sender that does not listen (here the answer loses its `chunk_bytes`, as from a node
    that does not say) posts chunks longer than the receiver takes: 413, naming the limit;
    the message is a dead letter and the receiver keeps nothing of it."""
    a, b, transport = nodes
    a.app.settings.exchange_chunk_bytes = CHUNK
    _, who_b, _, incoming, _ = _setup(nodes, sizes=(900_000,))
    files_before = a.app.file_store.count()
    status, put = transport.chunk_handlers[a.endpoint]

    def silent(m, at, headers):
        code, body = status(m, at, headers)
        return code, {k: v for k, v in (body or {}).items() if k != "chunk_bytes"}

    transport.chunk_handlers[a.endpoint] = (silent, put)
    _send_bag(b, who_b, incoming)
    _deliver(b, transport)

    answer = _answer(b)
    assert answer.status == "dead"
    assert "attachment_too_large" in answer.last_error
    assert f"{chunked.chunk_limit(a.app.settings)} bytes" in answer.last_error
    assert _count(a, ChunkRow) == 0 and _count(a, EvidenceItemRow) == 0
    assert a.app.file_store.count() == files_before
    # the HTTP route refuses it unread, naming the limit and the plaintext per chunk
    error = chunk_routes.too_long(a.app.settings)
    assert error.http_status == 413
    assert str(chunked.chunk_limit(a.app.settings)) in error.message
    assert str(CHUNK) in error.message


def test_a_transfer_recut_after_the_receiver_lowered_its_limit_drops_the_older_cut(nodes):
    """Seven chunks of 128 KiB arrive, then the receiver's limit drops to 64 KiB (a restart
    with another setting): the sender cuts the rest finer, the receiver removes the older
    cut's chunks (audited) when the new cut's first arrives, and the bag is validated."""
    a, b, transport = nodes
    who_a, who_b, sent, incoming, contents = _setup(nodes)
    out = _send_bag(b, who_b, incoming)
    transport.cut_chunks[a.endpoint] = 7
    _deliver(b, transport, rounds=1)
    assert _count(a, ChunkRow) == 7
    a.app.settings.exchange_chunk_bytes = CHUNK
    _deliver(b, transport)

    assert _answer(b).status == "delivered", _answer(b).last_error
    with a.app.unit_of_work() as uow:
        listed = service.list_items(uow.session, who_a, sent, now=a.clock[0], why="t")
        uow.commit()
    assert sorted(i["size"] for i in listed) == sorted(len(c) for c in contents)
    older, applied = _tags(a, "node:chunks:remove")
    assert older["chunks"] == 7
    assert applied["chunks"] == len(chunked.layout(out.attachments[0]["size"], CHUNK))
    for sha in older["sha256"]:
        assert not a.app.file_store.exists(f"sha256/{sha}")
    assert _count(a, ChunkRow) == 0


def test_memory_stays_bounded_when_the_receiver_cuts_finer(nodes):
    """The negotiated cut streams as the planned one does (the tracemalloc bound above)."""
    a, _, _ = nodes
    a.app.settings.exchange_chunk_bytes = CHUNK
    peak, size = _peak_while_a_bag_crosses(nodes, 24_000_000)
    assert peak < size / 2, peak


def test_a_transfer_longer_than_the_claim_is_not_posted_twice_by_its_worker(nodes):
    """The pipelined worker claims due messages every second; a bag still uploading when its
    claim runs out (here the clock jumps past it during the first chunk) is claimed again,
    renewing the claim, but its chunks and envelope are posted once. The first chunk waits
    until the worker has claimed the bag again (its claim renewed past the jump)."""
    a, b, transport = nodes
    _, who_b, _, incoming, _ = _setup(nodes, sizes=(900_000,))
    out = _send_bag(b, who_b, incoming)
    status, put = transport.chunk_handlers[a.endpoint]
    renewed: list[datetime] = []

    def claimed_after(moment: datetime) -> datetime | None:
        until = as_utc(_answer(b).next_attempt_at)
        return until if until > moment else None

    def slow(m, at, index, chunks, headers):
        if not renewed:
            b.clock[0] += timedelta(seconds=10 * b.app.settings.exchange_claim_seconds)
            jumped = b.clock[0]
            renewed.append(eventually(lambda: claimed_after(jumped),
                                      "the worker claims the uploading bag again"))  # fmt: skip
        return put(m, at, index, chunks, headers)

    transport.chunk_handlers[a.endpoint] = (status, slow)
    with working(Deliverer(b.app, b.node, transport, seed=1)):
        eventually(lambda: _answer(b).status != "pending", "the bag is settled")
    assert _answer(b).status == "delivered", _answer(b).last_error
    indexes = [i for (_, m, _, i) in transport.chunks_put if m == out.message_id]
    assert sorted(indexes) == list(range(out.attachments[0]["chunks"]))  # each once
    claim = timedelta(seconds=b.app.settings.exchange_claim_seconds)
    assert renewed == [b.clock[0] + claim]  # claimed again at the jumped clock
    with a.app.unit_of_work() as uow:
        assert uow.session.get(InboxRow, out.message_id).duplicates == 0
