"""Two nodes in process, each on its own database (SQLite and PostgreSQL), exchanging
through the in-process mock transport: requests with documents end to end, receipts,
duplicates, rejections with reasons in the audit trail, dead letters, key rotation."""

from __future__ import annotations

import hashlib
import json
import os
import tracemalloc
from datetime import timedelta

import pytest
from sqlalchemy import select

from judicare.audit.models import AuditEventRow
from judicare.audit.service import verify_log
from judicare.exchange.canonical import ANSWER, STATUS_NOTICE, SUPPLEMENTARY_REQUEST
from judicare.exchange.correspondence import send_answer
from judicare.exchange.delivery import requeue
from judicare.exchange.envelopes import card_keys, make_card, seal
from judicare.exchange.errors import FingerprintMismatch, TooLarge
from judicare.exchange.http import handle_envelope
from judicare.exchange.keys import KeyRing, MemoryKeyStore, NodeIdentity, new_ring
from judicare.exchange.models import InboxRow, OutboxRow, PeerRow, ReceiptRow
from judicare.exchange.peers import add_peer, load_peer
from judicare.exchange.refusals import refusal_counts
from judicare.exchange.service import send_message, send_request
from judicare.files.store import LocalFileStore
from judicare.requests.models import DocumentRow, RequestLinkRow, RequestRow
from tests.integration.exchange_nodes import (
    T0,
    NodeUnderTest,
    _count,
    _deliver,
    _officer,
    _outgoing,
    _send,
    _tags,
    _travelled,
)


def test_request_with_document_arrives_as_incoming_request_with_receipt(pair):
    a, b, transport = pair
    who = _officer(a)
    content = b"%PDF-1.4 witness statement " * 1000
    request_id = _outgoing(a, who, document=content)
    message_id = _send(a, who, request_id, "NLD-CA")
    _deliver(a, transport)
    with b.app.unit_of_work() as uow:
        inbox = uow.session.get(InboxRow, message_id)
        received = uow.session.get(RequestRow, inbox.request_id)
        assert received.direction == "incoming" and received.authority_id == "NLD-CA"
        assert received.facts_summary == "exchange test request 0"
        # the receiving node's own legal-basis answer, stored as for a request made by hand
        assert received.legal_basis_answer is not None
        document = uow.session.scalar(
            select(DocumentRow).where(DocumentRow.request_id == received.id)
        )
        assert b.app.file_store.get(document.storage_key) == content
        assert verify_log(uow.session)[1] == []
        reference = received.reference
    with a.app.unit_of_work() as uow:
        out = uow.session.scalar(select(OutboxRow).where(OutboxRow.message_id == message_id))
        assert out.status == "delivered" and out.attempts == 1
        receipt = uow.session.scalar(select(ReceiptRow).where(ReceiptRow.message_id == message_id))
        assert receipt.outcome["registered_as"] == reference
        assert receipt.outcome["documents"][0]["size"] == len(content)
    assert len(_tags(a, "officer:request:send")) == 1
    assert len(_tags(a, "node:message:deliver")) == 1
    assert len(_tags(b, "node:envelope:receive")) == 1


def test_received_request_gets_the_receiving_nodes_legal_basis_answer(pair):
    a, b, transport = pair
    asked = []

    class Answer:
        def as_dict(self):
            return {"outcome": "applicable", "by": "NLD-CA"}

    class Basis:
        def resolve(self, query):
            asked.append(query)
            return Answer()

    b.node.basis = lambda session: Basis()
    who = _officer(a)
    message_id = _send(a, who, _outgoing(a, who), "NLD-CA")
    _deliver(a, transport)
    with b.app.unit_of_work() as uow:
        received = uow.session.get(RequestRow, uow.session.get(InboxRow, message_id).request_id)
        assert received.legal_basis_answer == {"outcome": "applicable", "by": "NLD-CA"}
    assert len(asked) == 1


def test_an_answer_comes_back_in_the_same_conversation(pair):
    a, b, transport = pair
    who_a, who_b = _officer(a), _officer(b)
    request_id, incoming = _travelled(a, b, transport, who_a)
    with b.app.unit_of_work() as uow:
        send_answer(uow.session, b.node, who_b, incoming, "witness heard", now=b.clock[0],
                    why="answer")  # fmt: skip
        uow.commit()
    _deliver(b, transport)
    with a.app.unit_of_work() as uow:
        answer = uow.session.scalar(select(InboxRow).where(InboxRow.message_type == "answer/1"))
        assert answer.request_id == request_id
        assert answer.body_summary["text"] == "witness heard"
        assert answer.message_type == ANSWER.key


def test_outbox_row_rolls_back_with_the_transaction(pair):
    a, _, _ = pair
    who = _officer(a)
    request_id = _outgoing(a, who)
    with a.app.unit_of_work() as uow:
        send_request(uow.session, a.node, who, request_id, "NLD-CA", now=T0, why="test")
        # no commit: the disclosure, its audit entry and the message vanish together
    assert _count(a, OutboxRow) == 0
    assert _tags(a, "officer:request:send") == []


def test_lost_receipt_is_retried_with_same_bytes_and_applied_once(pair):
    a, b, transport = pair
    who = _officer(a)
    message_id = _send(a, who, _outgoing(a, who), "NLD-CA")
    transport.lose_receipts[b.endpoint] = 2
    transport.fail_next[b.endpoint] = 1
    _deliver(a, transport)
    posted = [raw for endpoint, raw in transport.sent if endpoint == b.endpoint]
    assert len(posted) == 4 and len(set(posted)) == 1  # identical bytes every time
    assert _count(b, InboxRow) == 1
    assert _count(b, RequestRow, RequestRow.direction == "incoming") == 1
    assert len(_tags(b, "node:envelope:duplicate")) == 2  # the two retries after arrival
    with a.app.unit_of_work() as uow:
        assert (
            uow.session.scalar(select(OutboxRow.status).where(OutboxRow.message_id == message_id))
            == "delivered"
        )


def test_unreachable_peer_ends_in_visible_dead_letter_and_can_be_requeued(pair):
    a, b, transport = pair
    who = _officer(a)
    message_id = _send(a, who, _outgoing(a, who), "NLD-CA")
    transport.partitioned.add(b.endpoint)
    _deliver(a, transport)
    with a.app.unit_of_work() as uow:
        row = uow.session.scalar(select(OutboxRow).where(OutboxRow.message_id == message_id))
        assert row.status == "dead" and row.attempts == 4 and "unreachable" in row.last_error
    assert len(_tags(a, "node:message:dead-letter")) == 1
    transport.partitioned.clear()
    with a.app.unit_of_work() as uow:
        requeue(uow.session, message_id, now=a.clock[0], actor="test")
        uow.commit()
    _deliver(a, transport)
    assert _count(b, InboxRow) == 1


def _raw_to_b(a: NodeUnderTest, b: NodeUnderTest, body: dict | None = None, **kw) -> bytes:
    with a.app.unit_of_work() as uow:
        _, keys = load_peer(uow.session, a.store.ring, b.id)
    return seal(a.store.ring, keys, STATUS_NOTICE, body or {"status": "registered"},
                message_id=kw.get("message_id", "m-1"), conversation_id="c-1",
                now=kw.get("now", T0), lifetime=timedelta(hours=1))  # fmt: skip


def _rejection(b: NodeUnderTest, raw: bytes) -> tuple[int, str]:
    """Refuse `raw`, checking the refusal was recorded: in the sender's name once its
    signature checked out, otherwise counted in nobody's (`exchange.refusals`)."""
    counted = _refusals(b)
    status, _, error = handle_envelope(b.app, b.node, raw)
    assert error is not None, "the envelope was accepted"
    if error["code"] in ("bad_signature", "unknown_sender", "malformed_envelope"):
        assert _refusals(b).get(error["code"], 0) == counted.get(error["code"], 0) + 1
    else:
        assert _tags(b, "node:envelope:reject")[-1]["reason"] == error["code"]
    return status, error["code"]


def _refusals(n: NodeUnderTest) -> dict[str, int]:
    with n.app.unit_of_work() as uow:
        return {r["code"]: r["count"] for r in refusal_counts(uow.session)}


def test_tampered_wrong_key_expired_and_replayed_are_refused_and_audited(pair):
    a, b, _ = pair
    good = _raw_to_b(a, b)
    envelope = json.loads(good)
    envelope["header"]["conversation_id"] = "c-2"
    tampered = json.dumps(envelope, sort_keys=True, separators=(",", ":")).encode()
    assert _rejection(b, tampered) == (403, "bad_signature")

    stranger = MemoryKeyStore(new_ring(NodeIdentity("BEL-CA", "BEL", "x", "http://x"), T0))
    with a.app.unit_of_work() as uow:
        _, keys = load_peer(uow.session, a.store.ring, b.id)
    forged = seal(stranger.ring, keys, STATUS_NOTICE, {"status": "x"}, message_id="m-9",
                  conversation_id="c", now=T0, lifetime=timedelta(hours=1))  # fmt: skip
    assert _rejection(b, forged) == (403, "bad_signature")

    b.clock[0] = T0 + timedelta(hours=2)
    assert _rejection(b, _raw_to_b(a, b, message_id="m-2")) == (400, "expired")
    b.clock[0] = T0 - timedelta(hours=1)
    assert _rejection(b, _raw_to_b(a, b, message_id="m-3")) == (400, "not_yet_valid")
    b.clock[0] = T0

    status, receipt, _ = handle_envelope(b.app, b.node, good)
    assert status == 200
    again = handle_envelope(b.app, b.node, good)
    assert again[:2] == (200, receipt)  # an exact retry: the original receipt, no new effect
    replay = _raw_to_b(a, b, {"status": "closed"}, message_id="m-1")
    assert _rejection(b, replay) == (409, "replayed_message_id")
    assert _count(b, InboxRow) == 1


def test_envelope_for_an_unknown_encryption_key_is_refused(pair):
    a, b, _ = pair
    with a.app.unit_of_work() as uow:
        _, keys = load_peer(uow.session, a.store.ring, b.id)
    other = new_ring(NodeIdentity("NLD-CA", "NLD", "x", "http://x"), T0)
    from judicare.exchange.envelopes import PeerKeys

    wrong = PeerKeys(b.id, keys.signing, {other.current.encryption_id:
                     other.current.encryption_public}, other.current.encryption_id)  # fmt: skip
    raw = seal(a.store.ring, wrong, STATUS_NOTICE, {"status": "x"}, message_id="m-4",
               conversation_id="c", now=T0, lifetime=timedelta(hours=1))  # fmt: skip
    assert _rejection(b, raw) == (400, "wrong_key")


def test_key_rotation_mid_stream_on_both_sides(pair):
    a, b, transport = pair
    who = _officer(a)
    ids = [_send(a, who, _outgoing(a, who, n), "NLD-CA") for n in range(3)]
    a.store.save(a.store.ring.rotated(T0))  # sender rotates with messages still queued
    ids += [_send(a, who, _outgoing(a, who, n), "NLD-CA") for n in range(3, 6)]
    _deliver(a, transport)
    b.store.save(b.store.ring.rotated(T0))  # receiver rotates: its receipts carry its card
    ids += [_send(a, who, _outgoing(a, who, n), "NLD-CA") for n in range(6, 9)]
    _deliver(a, transport)
    ids += [_send(a, who, _outgoing(a, who, n), "NLD-CA") for n in range(9, 12)]
    _deliver(a, transport)
    assert _count(b, InboxRow) == 12
    assert _count(a, ReceiptRow) == 12
    assert len(_tags(b, "node:peer:rotate")) == 1 and len(_tags(a, "node:peer:rotate")) == 1
    with a.app.unit_of_work() as uow:
        peer = uow.session.get(PeerRow, "NLD-CA")
        assert len(peer.card["body"]["signing_keys"]) == 2


def test_a_retired_key_signs_only_for_the_grace_after_a_rotation(pair):
    """What was on the way when a node rotated still arrives; a stolen old key cannot sign
    new messages once the longest envelope window has passed."""
    a, b, transport = pair
    old = a.store.ring
    a.store.save(old.rotated(T0))
    with a.app.unit_of_work() as uow:  # the next message carries the new card
        send_message(uow.session, a.node, peer_id="NLD-CA", kind=STATUS_NOTICE,
                     body={"status": "after rotation"}, actor="test", why="test", now=T0)  # fmt: skip
        uow.commit()
    _deliver(a, transport)
    assert len(_tags(b, "node:peer:rotate")) == 1
    b_keys = card_keys(make_card(b.store.ring, T0))

    def signed_with_the_old_key(n: int) -> tuple:
        raw = seal(old, b_keys, STATUS_NOTICE, {"status": "old key"}, message_id=f"old-{n}",
                   conversation_id="c-old", now=b.clock[0], lifetime=timedelta(hours=1))  # fmt: skip
        return handle_envelope(b.app, b.node, raw)

    assert signed_with_the_old_key(1)[0] == 200  # within the grace
    b.clock[0] += timedelta(seconds=b.app.settings.exchange_max_window_seconds + 60)
    status, _, error = signed_with_the_old_key(2)
    assert (status, error["code"]) == (403, "bad_signature")


def test_after_a_second_rotation_only_the_key_just_before_still_signs(pair):
    a, b, transport = pair
    first = a.store.ring
    for n in range(2):  # two rotations, each announced by a message carrying the card
        a.store.save(a.store.ring.rotated(a.clock[0]))
        with a.app.unit_of_work() as uow:
            send_message(uow.session, a.node, peer_id="NLD-CA", kind=STATUS_NOTICE,
                         body={"status": f"rotation {n}"}, actor="test", why="test",
                         now=a.clock[0])  # fmt: skip
            uow.commit()
        _deliver(a, transport)
    assert len(_tags(b, "node:peer:rotate")) == 2
    b_keys = card_keys(make_card(b.store.ring, T0))
    second = KeyRing(first.identity, a.store.ring.generations[:2])  # current before the last

    def signed_with(ring, n: int) -> int:
        raw = seal(ring, b_keys, STATUS_NOTICE, {"status": "x"}, message_id=f"k-{n}",
                   conversation_id="c-k", now=b.clock[0], lifetime=timedelta(hours=1))  # fmt: skip
        return handle_envelope(b.app, b.node, raw)[0]

    assert signed_with(second, 1) == 200  # the key just before, within the grace
    assert signed_with(first, 2) == 403  # retired earlier: never signs anything new


def test_peer_fingerprint_must_be_confirmed_and_entries_are_signed(pair):
    a, b, _ = pair
    third = new_ring(NodeIdentity("KAZ-CA", "KAZ", "KAZ (test)", "http://kaz.test"), T0)
    with a.app.unit_of_work() as uow, pytest.raises(FingerprintMismatch):
        add_peer(uow.session, a.store.ring, make_card(third, T0), b.store.ring.fingerprint,
                 now=T0, actor="test")  # fmt: skip
    with a.app.unit_of_work() as uow:
        uow.session.get(PeerRow, "NLD-CA").endpoint = "http://attacker.test"
        uow.commit()
    with a.app.unit_of_work() as uow:
        from judicare.exchange.errors import BadSignature

        with pytest.raises(BadSignature, match="altered outside Judicare"):
            load_peer(uow.session, a.store.ring, "NLD-CA")


def test_many_messages_each_applied_once(pair):
    a, b, transport = pair
    with a.app.unit_of_work() as uow:
        for n in range(60):
            send_message(uow.session, a.node, peer_id="NLD-CA", kind=STATUS_NOTICE,
                         body={"status": f"s{n}"}, actor="test", why="test", now=T0)  # fmt: skip
        uow.commit()
    transport.fail_next[b.endpoint] = 10
    transport.lose_receipts[b.endpoint] = 10
    _deliver(a, transport, rounds=40)
    assert _count(b, InboxRow) == 60
    assert _count(a, OutboxRow, OutboxRow.status == "delivered") == 60


def test_supplementary_request_is_registered_and_linked_to_the_first(pair):
    a, b, transport = pair
    who = _officer(a)
    first = _send(a, who, _outgoing(a, who), "NLD-CA")
    with a.app.unit_of_work() as uow:
        conversation = uow.session.scalar(
            select(OutboxRow.conversation_id).where(OutboxRow.message_id == first)
        )
        body = {"request": {"kind": "mla", "requesting_state": "BEL", "requested_state": "NLD",
                            "requesting_authority": "x", "facts_summary": "more facts"},
                "supplements": first, "attachments": []}  # fmt: skip
        send_message(uow.session, a.node, peer_id="NLD-CA", kind=SUPPLEMENTARY_REQUEST,
                     body=body, actor="test", why="test", now=T0,
                     conversation_id=conversation)  # fmt: skip
        uow.commit()
    _deliver(a, transport)
    with b.app.unit_of_work() as uow:
        ids = dict(uow.session.execute(select(InboxRow.message_type, InboxRow.request_id)).all())
        link = uow.session.scalar(select(RequestLinkRow))
        assert (link.from_request_id, link.to_request_id, link.link_type) == (
            ids["request/2"], ids["supplementary_request/2"], "supplementary",
        )  # fmt: skip


def test_attachment_over_the_receivers_limit_is_refused_while_streaming_and_dead_lettered(pair):
    a, b, transport = pair
    b.node.settings = b.node.settings.model_copy(update={"max_upload_bytes": 10_000})
    who = _officer(a)
    message_id = _send(a, who, _outgoing(a, who, document=b"x" * 20_000), "NLD-CA")
    _deliver(a, transport)
    with a.app.unit_of_work() as uow:
        row = uow.session.scalar(select(OutboxRow).where(OutboxRow.message_id == message_id))
        assert row.status == "dead" and "attachment_too_large" in row.last_error
        assert "limit of 10000 bytes" in row.last_error
    assert _count(b, RequestRow) == _count(b, RequestRow, RequestRow.direction != "incoming")
    assert _tags(b, "node:attachment:reject")[-1]["reason"] == "attachment_too_large"
    assert b.app.file_store.files == {}  # nothing of it was kept
    assert len(transport.sent) == 0  # the envelope never left


def _stored_documents(n: NodeUnderTest) -> list[str]:
    with n.app.unit_of_work() as uow:
        return list(uow.session.scalars(select(DocumentRow.sha256).order_by(DocumentRow.id)))


def test_a_multi_mib_attachment_arrives_whole_with_its_hash_checked(pair):
    a, b, transport = pair
    who = _officer(a)
    content = os.urandom(5 * 1024 * 1024 + 123)
    message_id = _send(a, who, _outgoing(a, who, document=content), "NLD-CA")
    _deliver(a, transport)
    with b.app.unit_of_work() as uow:
        request_id = uow.session.get(InboxRow, message_id).request_id
        document = uow.session.scalar(
            select(DocumentRow).where(DocumentRow.request_id == request_id)
        )
        assert document.size == len(content)
        assert document.sha256 == hashlib.sha256(content).hexdigest()
        assert b.app.file_store.get(document.storage_key) == content
    # the envelope itself stays small: the bytes travelled beside it, encrypted
    assert len(transport.sent[0][1]) < 20_000
    assert content[:4096] not in b"".join(b.app.file_store.files.values()).replace(content, b"")


def test_a_tampered_attachment_chunk_is_refused_and_audited(pair):
    a, b, transport = pair
    who = _officer(a)
    message_id = _send(a, who, _outgoing(a, who, document=os.urandom(200_000)), "NLD-CA")
    with a.app.unit_of_work() as uow:
        row = uow.session.scalar(select(OutboxRow).where(OutboxRow.message_id == message_id))
        stored = row.attachments[0]["storage_key"]
    cipher = bytearray(a.app.file_store.files[stored])
    cipher[100_000] ^= 0x01  # one bit of the second chunk, changed on the way
    a.app.file_store.files[stored] = bytes(cipher)
    _deliver(a, transport)
    with a.app.unit_of_work() as uow:
        row = uow.session.scalar(select(OutboxRow).where(OutboxRow.message_id == message_id))
        assert row.status == "dead" and "attachment_mismatch" in row.last_error
    assert _tags(b, "node:attachment:reject")[-1]["reason"] == "attachment_mismatch"
    assert _count(b, InboxRow) == 0


def test_a_chunk_altered_in_the_receivers_staging_fails_decryption(pair):
    a, b, transport = pair
    who = _officer(a)
    message_id = _send(a, who, _outgoing(a, who, document=os.urandom(200_000)), "NLD-CA")
    original = b.app.file_store.put
    calls = []

    def put(chunks, limit):  # the staged ciphertext is altered after its digest was checked
        key, size, sha = original(chunks, limit)
        if not calls:
            data = bytearray(b.app.file_store.files[key])
            data[70_000] ^= 0x01
            b.app.file_store.files[key] = bytes(data)
        calls.append(key)
        return key, size, sha

    b.app.file_store.put = put
    _deliver(a, transport)
    with a.app.unit_of_work() as uow:
        row = uow.session.scalar(select(OutboxRow).where(OutboxRow.message_id == message_id))
        assert row.status == "dead" and "attachment_mismatch" in row.last_error
        assert "fails authentication" in row.last_error
    assert _tags(b, "node:envelope:reject")[-1]["reason"] == "attachment_mismatch"
    assert _count(b, InboxRow) == 0


def test_a_retry_after_a_crash_mid_upload_is_idempotent(pair):
    a, b, transport = pair
    who = _officer(a)
    content = os.urandom(300_000)
    transport.cut_uploads[b.endpoint] = 1
    message_id = _send(a, who, _outgoing(a, who, document=content), "NLD-CA")
    transport.lose_receipts[b.endpoint] = 1  # and the first answer to the envelope is lost
    _deliver(a, transport)
    with a.app.unit_of_work() as uow:
        row = uow.session.scalar(select(OutboxRow).where(OutboxRow.message_id == message_id))
        assert row.status == "delivered" and row.attempts == 3
    assert len(transport.uploaded) == 3  # cut, then whole, then again with the retried envelope
    assert _stored_documents(b) == [hashlib.sha256(content).hexdigest()]
    assert _count(b, InboxRow) == 1
    assert len(b.app.file_store.files) == 2  # the ciphertext once, the document once


def test_receiving_a_large_attachment_keeps_memory_bounded(pair, tmp_path):
    a, b, transport = pair
    store = LocalFileStore(tmp_path / "files-b")
    b.app.file_store = b.node.file_store = store
    a.app.file_store = a.node.file_store = LocalFileStore(tmp_path / "files-a")
    who = _officer(a)
    # a first, small exchange warms both nodes up (statement caches, the inbox user)
    _send(a, who, _outgoing(a, who, document=os.urandom(100_000)), "NLD-CA")
    _deliver(a, transport)
    content = os.urandom(8 * 1024 * 1024)
    message_id = _send(a, who, _outgoing(a, who, 1, document=content), "NLD-CA")
    del content
    tracemalloc.start()
    try:
        _deliver(a, transport)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    with b.app.unit_of_work() as uow:
        assert uow.session.get(InboxRow, message_id).request_id is not None
    assert peak < 2 * 1024 * 1024, f"peak {peak} bytes while sending and receiving 8 MiB"


def test_inbox_and_card_over_http(app, tmp_path):
    from fastapi.testclient import TestClient

    from judicare.asgi import create_api
    from judicare.exchange.keys import FileKeyStore
    from judicare.exchange.transport import ENVELOPE_MEDIA_TYPE, INBOX_PATH

    app.settings = app.settings.model_copy(
        update={"node_keys_dir": tmp_path / "keys", "exchange_max_envelope_bytes": 5_000}
    )
    client = TestClient(create_api(app))
    missing = client.get("/api/v1/exchange/card")
    assert missing.status_code == 503
    assert missing.json()["error"]["code"] == "node_not_initialised"
    FileKeyStore(tmp_path / "keys").save(
        new_ring(NodeIdentity("BEL-CA", "BEL", "x", "http://testserver"), T0)
    )
    card = client.get("/api/v1/exchange/card").json()
    assert card["body"]["node_id"] == "BEL-CA"
    headers = {"content-type": ENVELOPE_MEDIA_TYPE}
    garbage = client.post(INBOX_PATH, content=b"{}", headers=headers)
    assert garbage.status_code == 400 and garbage.json()["error"]["code"] == "malformed_envelope"
    # the JSON guard lets the exchange's streamed routes through: the inbox judges its bytes
    deep = client.post(INBOX_PATH, content=b"[" * 100, headers={"content-type": "application/json"})
    assert deep.json()["error"]["code"] == "malformed_envelope"
    huge = client.post(INBOX_PATH, content=b"x" * 6_000, headers=headers)
    assert huge.status_code == 413
    with app.unit_of_work() as uow:
        refused = uow.session.scalars(
            select(AuditEventRow.details).where(AuditEventRow.tag == "node:envelope:refusals")
        ).all()  # before any signature checked out: counted, in nobody's name
        assert "envelope_too_large" in [d["reason"] for d in refused]
    assert "/api/v1/exchange/inbox" not in client.get("/openapi.json").json()["paths"]


def test_a_message_over_the_envelope_cap_is_refused_when_sealed_not_dead_lettered(pair):
    a, b, _ = pair
    a.node.settings = a.node.settings.model_copy(update={"exchange_max_envelope_bytes": 1_024})
    who = _officer(a)
    request_id = _outgoing(a, who)
    with pytest.raises(TooLarge, match="an inbox reads"):
        _send(a, who, request_id, b.id)
    assert _count(a, OutboxRow) == 0
