"""Attacks on the exchange inbox, each of which worked before it was closed (issue 13 § 6).

Three nodes on SQLite and PostgreSQL: BEL-CA (A) sends a request to NLD-CA (B); KAZ-CA
(C) is another registered peer of B that knows the A–B conversation id and tries to slip
messages into it. Anyone on the network then floods B's inbox with junk that claims to
come from A. No network beyond the in-process transport and an in-process ASGI call."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from judicare.audit.models import AuditEventRow
from judicare.audit.service import verify_log
from judicare.exchange.attachments import upload_headers
from judicare.exchange.canonical import (
    ANSWER,
    REQUEST,
    REQUEST_FOR_INFORMATION,
    STATUS_NOTICE,
    SUPPLEMENTARY_REQUEST,
)
from judicare.exchange.correspondence import send_answer
from judicare.exchange.envelopes import seal
from judicare.exchange.http import handle_attachment, handle_envelope
from judicare.exchange.keys import NodeIdentity, new_ring
from judicare.exchange.models import InboxRow
from judicare.exchange.peers import load_peer
from judicare.requests.models import RequestLinkRow, RequestRow
from tests.integration.exchange_nodes import (
    T0,
    _befriend,
    _copy_postgres,
    _count,
    _deliver,
    _make_node,
    _officer,
    _tags,
)
from tests.integration.test_exchange_correspondence import _letters
from tests.integration.test_exchange_correspondence import _travelled as _travelled_to_b


@pytest.fixture
def trio(pair, database_url, tmp_path, request):
    """A and B from the `pair` fixture, plus KAZ-CA, a peer of B only."""
    a, b, transport = pair
    if database_url.startswith("sqlite"):
        shutil.copy(request.getfixturevalue("_upgraded_sqlite_template"), tmp_path / "c.db")
        url = f"sqlite:///{tmp_path / 'c.db'}"
    else:
        url = _copy_postgres(request.getfixturevalue("_migrated_postgres_template"))
    c = _make_node(url, "KAZ-CA", "KAZ", a.clock)
    _befriend(b, c)
    transport.route(c.endpoint, lambda raw: handle_envelope(c.app, c.node, raw))
    yield a, b, c, transport
    c.app.dispose()
    if not url.startswith("sqlite"):
        from tests.conftest import _drop_postgres_database

        _drop_postgres_database(url)


def _conversation(a, request_id: int) -> tuple[str, str]:
    """(conversation id, reference B registered it under) of A's request sent to B."""
    from judicare.exchange.models import OutboxRow, ReceiptRow

    with a.app.unit_of_work() as uow:
        out = uow.session.scalar(select(OutboxRow).where(OutboxRow.request_id == request_id))
        receipt = uow.session.scalar(
            select(ReceiptRow).where(ReceiptRow.message_id == out.message_id)
        )
        return out.conversation_id, receipt.outcome["registered_as"]


def _from_c(c, b, kind, body: dict, conversation_id: str) -> bytes:
    with c.app.unit_of_work() as uow:
        _, keys = load_peer(uow.session, c.store.ring, b.id)
    return seal(c.store.ring, keys, kind, body, message_id=str(uuid.uuid4()),
                conversation_id=conversation_id, now=c.clock[0],
                lifetime=timedelta(hours=1))  # fmt: skip


def _injected(trio_nodes):
    """A's request delivered to B; (B's id for it, the conversation id, A's reference)."""
    a, b, _c, transport = trio_nodes
    who_a = _officer(a)
    sent, at_b = _travelled_to_b(a, b, transport, who_a)
    conversation, _ = _conversation(a, sent)
    with a.app.unit_of_work() as uow:
        reference = uow.session.get(RequestRow, sent).reference
    return at_b, conversation, reference


def _filed_with(b, request_id: int) -> int:
    return _count(b, InboxRow, InboxRow.request_id == request_id)


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        (ANSWER, {"text": "the witness was heard", "attachments": []}),
        (REQUEST_FOR_INFORMATION, {"text": "send the bank records"}),
    ],
    ids=["answer", "request_for_information"],
)
def test_another_peer_cannot_file_a_reply_in_a_conversation_it_is_not_part_of(trio, kind, body):
    _a, b, c, _ = trio
    at_b, conversation, reference = _injected(trio)
    before = _filed_with(b, at_b)
    status, _, error = handle_envelope(
        b.app, b.node, _from_c(c, b, kind, {**body, "reference": reference}, conversation)
    )
    assert error is not None and error["code"] == "not_this_conversation", (status, error)
    assert _filed_with(b, at_b) == before  # nothing filed with A's request
    assert _count(b, InboxRow, InboxRow.sender == c.id) == 0
    refused = _tags(b, "node:envelope:reject")[-1]
    assert refused["reason"] == "not_this_conversation"
    # the authenticated refusal is the sender's own: written in C's name, not A's
    with b.app.unit_of_work() as uow:
        actors = uow.session.scalars(
            select(AuditEventRow.actor).where(AuditEventRow.tag == "node:envelope:reject")
        ).all()
    assert actors == [f"node:{c.id}"]


def test_another_peers_status_notice_is_not_filed_with_the_request(trio):
    _a, b, c, _ = trio
    at_b, conversation, reference = _injected(trio)
    before = _filed_with(b, at_b)
    body = {"status": "closed", "reference": reference}
    _status, _, _ = handle_envelope(b.app, b.node, _from_c(c, b, STATUS_NOTICE, body, conversation))
    assert _filed_with(b, at_b) == before
    assert _tags(b, "node:status_notice:receive") == []
    who_b = _officer(b)
    assert _letters(b, who_b, at_b)["peer_status"] is None


def test_another_peer_cannot_supplement_a_request_it_did_not_send(trio):
    _a, b, c, _ = trio
    _at_b, conversation, reference = _injected(trio)
    body = {"request": {"kind": "mla", "requesting_state": "KAZ", "requested_state": "NLD",
                        "requesting_authority": "x", "facts_summary": "more facts"},
            "supplements": reference, "attachments": [], "sender_reference": "KZ-1"}  # fmt: skip
    raw = _from_c(c, b, SUPPLEMENTARY_REQUEST, body, conversation)
    status, _, error = handle_envelope(b.app, b.node, raw)
    assert error is not None and error["code"] == "not_this_conversation", (status, error)
    assert _count(b, RequestLinkRow) == 0
    assert _count(b, RequestRow) == 1


def test_the_refusal_does_not_tell_a_foreign_conversation_from_an_unknown_one(trio):
    _a, b, c, _ = trio
    _, conversation, reference = _injected(trio)
    answers = []
    for conv in (conversation, str(uuid.uuid4())):
        for kind, body in (
            (ANSWER, {"text": "t", "attachments": [], "reference": reference}),
            (SUPPLEMENTARY_REQUEST, {"request": {"kind": "mla"}, "supplements": reference,
                                     "attachments": []}),
            (STATUS_NOTICE, {"status": "closed", "reference": reference}),
        ):  # fmt: skip
            raw = _from_c(c, b, kind, body, conv)
            status, _, error = handle_envelope(b.app, b.node, raw)
            if error is None:  # a notice is kept, attached to nothing: compare its outcome
                with b.app.unit_of_work() as uow:
                    row = uow.session.get(InboxRow, json.loads(raw)["header"]["message_id"])
                    answers.append((kind.tag, status, row.request_id))
            else:
                answers.append((kind.tag, status, error["code"], error["message"]))
    assert answers[:3] == answers[3:]


def test_another_peer_cannot_divert_the_answer_to_a_request_of_its_own(trio):
    """C, also a peer of A, registers a request at A in the A–B conversation under the
    reference B gives A's request: B's answer (with its evidence) must still reach A's
    request, not C's decoy, whose file A could later answer C from."""
    a, b, c, transport = trio
    _befriend(a, c)
    who_a, who_b = _officer(a), _officer(b)
    sent, at_b = _travelled_to_b(a, b, transport, who_a)
    conversation, reference_at_b = _conversation(a, sent)
    decoy = {"request": {"kind": "mla", "requesting_state": "KAZ", "requested_state": "BEL",
                         "requesting_authority": "x", "facts_summary": "decoy"},
             "attachments": [], "sender_reference": reference_at_b}  # fmt: skip
    status, _, error = handle_envelope(a.app, a.node, _from_c(c, a, REQUEST, decoy, conversation))
    assert (status, error) == (200, None)
    with b.app.unit_of_work() as uow:
        send_answer(uow.session, b.node, who_b, at_b, "the witness was heard",
                    now=b.clock[0], why="answer")  # fmt: skip
        uow.commit()
    _deliver(b, transport)
    with a.app.unit_of_work() as uow:
        answer = uow.session.scalar(select(InboxRow).where(InboxRow.message_type == ANSWER.key))
        assert answer.request_id == sent


# --- unauthenticated junk ------------------------------------------------------------------


def _junk(a, b, n: int) -> bytes:
    """Envelopes that claim to come from A: garbage, a forgery with a stranger's key, a
    header that does not parse, an unknown sender, each a little different."""
    stranger = new_ring(NodeIdentity(a.id, "BEL", "x", "http://x"), T0)
    with a.app.unit_of_work() as uow:
        _, keys = load_peer(uow.session, a.store.ring, b.id)
    kind = n % 4
    if kind == 0:
        return json.dumps({"header": {"sender": a.id, "message_id": f"junk-{n}"}}).encode()
    if kind == 1:
        return seal(stranger, keys, STATUS_NOTICE, {"status": "x"}, message_id=f"junk-{n}",
                    conversation_id="c", now=T0, lifetime=timedelta(hours=1))  # fmt: skip
    if kind == 2:
        return b'{"header":{"sender":"' + a.id.encode() + b'"' + os.urandom(8).hex().encode()
    return seal(
        stranger,
        keys,
        STATUS_NOTICE,
        {"status": "x"},
        message_id=f"junk-{n}",
        conversation_id="c",
        now=T0,
        lifetime=timedelta(hours=1),
    ).replace(f'"sender":"{a.id}"'.encode(), b'"sender":"XXX-CA"')


@dataclass(frozen=True)
class _Entry:
    actor: str
    tag: str
    details: dict


def _entries(n) -> list[_Entry]:
    """The node's audit trail, oldest first."""
    query = select(AuditEventRow.actor, AuditEventRow.tag, AuditEventRow.details)
    with n.app.unit_of_work() as uow:
        return [_Entry(*row) for row in uow.session.execute(query.order_by(AuditEventRow.seq))]


def test_a_flood_of_junk_writes_nothing_in_the_claimed_senders_name_and_a_bounded_trail(pair):
    a, b, _ = pair
    before = len(_entries(b))
    codes = set()
    for n in range(200):
        status, _, error = handle_envelope(b.app, b.node, _junk(a, b, n))
        assert status >= 400
        codes.add(error["code"])
    entries = _entries(b)[before:]
    assert not [e for e in entries if e.actor == f"node:{a.id}"]
    assert len(entries) <= len(codes), [e.tag for e in entries]
    # ...but the refusals are not lost: counted, by code, and the count reaches the trail
    b.clock[0] += timedelta(seconds=b.node.settings.exchange_refusal_window_seconds)
    handle_envelope(b.app, b.node, b"junk")
    entries = _entries(b)[before:]
    assert len(entries) <= 2 * len(codes) + 1
    assert sum(e.details.get("count", 0) for e in entries if e.details.get("final")) == 200
    assert not [e for e in entries if e.actor == f"node:{a.id}"]
    with b.app.unit_of_work() as uow:
        assert verify_log(uow.session)[1] == []


def test_a_genuine_peers_refused_envelope_is_still_audited_in_its_name(pair):
    a, b, _ = pair
    with a.app.unit_of_work() as uow:
        _, keys = load_peer(uow.session, a.store.ring, b.id)
    old = seal(a.store.ring, keys, STATUS_NOTICE, {"status": "x"}, message_id="late",
               conversation_id="c", now=T0 - timedelta(days=1),
               lifetime=timedelta(hours=1))  # fmt: skip
    _status, _, error = handle_envelope(b.app, b.node, old)
    assert error["code"] == "expired"
    refused = _tags(b, "node:envelope:reject")
    assert [r["reason"] for r in refused] == ["expired"]
    with b.app.unit_of_work() as uow:
        actor = uow.session.scalar(
            select(AuditEventRow.actor).where(AuditEventRow.tag == "node:envelope:reject")
        )
    assert actor == f"node:{a.id}"


def test_a_replayed_genuine_envelope_cannot_bury_the_trail_in_its_signers_name(pair):
    """Someone who captured a genuine envelope posts it again and again. Each copy gets the
    original receipt and changes nothing; the trail names the 1st, 2nd, 4th, 8th... copy
    (a sender's few retries stay visible one by one), so 100 replays write 7 entries, not
    100. Before the fix, every copy wrote an entry in the signer's name."""
    a, b, _ = pair
    with a.app.unit_of_work() as uow:
        _, keys = load_peer(uow.session, a.store.ring, b.id)
    genuine = seal(a.store.ring, keys, STATUS_NOTICE, {"status": "x"}, message_id="replayed",
                   conversation_id="c-replay", now=T0, lifetime=timedelta(hours=1))  # fmt: skip
    first_status, receipt, _ = handle_envelope(b.app, b.node, genuine)
    assert first_status == 200
    for _ in range(100):
        status, again, _ = handle_envelope(b.app, b.node, genuine)
        assert (status, again) == (200, receipt)
    copies = [e["copy"] for e in _tags(b, "node:envelope:duplicate")]
    assert copies == [1, 2, 4, 8, 16, 32, 64]
    with b.app.unit_of_work() as uow:
        assert uow.session.get(InboxRow, "replayed").duplicates == 100
        assert uow.session.scalar(select(func.count()).select_from(InboxRow)) == 1
        assert verify_log(uow.session)[1] == []


def test_a_forged_attachment_upload_stores_nothing_and_writes_nothing_in_the_peers_name(pair):
    a, b, _ = pair
    stranger = new_ring(NodeIdentity(a.id, "BEL", "x", "http://x"), T0)
    before = len(_entries(b))
    stored = dict(b.app.file_store.files)
    read = []

    def body():
        read.append(1)
        yield b"x" * 1000

    for n in range(50):
        headers = upload_headers(stranger, f"m-{n}", "att-1", "0" * 64)
        status, error = handle_attachment(b.app, b.node, f"m-{n}", "att-1", body(), headers)
        assert status == 403 and error["code"] == "bad_signature"
    # refused on its headers' signature before a byte of the body is read or stored
    assert read == [] and b.app.file_store.files == stored
    entries = _entries(b)[before:]
    assert not [e for e in entries if e.actor == f"node:{a.id}"]
    assert len(entries) <= 1


# --- the size of what is read before the signature is checked ---------------------------


def _post_streamed(api, total: int, chunk: int = 65_536, headers: dict | None = None):
    """POST `total` bytes to the inbox straight through ASGI, counting the body chunks the
    server pulls: (status, chunks pulled)."""
    pulled, sent = [0], []
    remaining = [total]

    async def receive():
        if remaining[0] <= 0:
            return {"type": "http.disconnect"}
        size = min(chunk, remaining[0])
        remaining[0] -= size
        pulled[0] += 1
        return {"type": "http.request", "body": b"x" * size, "more_body": remaining[0] > 0}

    async def send(message):
        sent.append(message)

    raw_headers = [(b"content-type", b"application/vnd.judicare.envelope+json")]
    raw_headers += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": "/api/v1/exchange/inbox",
             "raw_path": b"/api/v1/exchange/inbox", "query_string": b"", "root_path": "",
             "headers": raw_headers, "client": ("127.0.0.1", 1), "server": ("test", 80)}  # fmt: skip
    asyncio.run(api(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    return start["status"], pulled[0]


@pytest.fixture
def served_node(app, tmp_path):
    from judicare.asgi import create_api
    from judicare.exchange.keys import FileKeyStore

    app.settings = app.settings.model_copy(update={"node_keys_dir": tmp_path / "keys"})
    FileKeyStore(tmp_path / "keys").save(
        new_ring(NodeIdentity("BEL-CA", "BEL", "x", "http://testserver"), T0)
    )
    return app, create_api(app)


def test_the_inbox_stops_reading_an_oversized_body_long_before_the_upload_limit(served_node):
    app, api = served_node
    cap = app.settings.exchange_max_envelope_bytes
    assert cap * 4 <= app.settings.max_upload_bytes
    total = cap * 3
    status, pulled = _post_streamed(api, total)
    assert status == 413
    assert pulled <= cap // 65_536 + 2, f"read {pulled} chunks of a {total}-byte body"
    # a declared length over the cap is refused before a byte is read
    status, pulled = _post_streamed(api, total, headers={"content-length": str(total)})
    assert (status, pulled) == (413, 0)
    with app.unit_of_work() as uow:
        claimed = uow.session.scalar(
            select(func.count()).select_from(AuditEventRow).where(
                AuditEventRow.tag == "node:envelope:reject"
            )
        )  # fmt: skip
    assert claimed == 0
