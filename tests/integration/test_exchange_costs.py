"""What the delivery path no longer repeats must still hold: a peer entry verified once is
not trusted once altered, claimed messages are not claimed twice, and an envelope's bytes
are the one canonical form."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from judicare.db.base import as_utc
from judicare.exchange.canonical import STATUS_NOTICE, canonical_bytes
from judicare.exchange.delivery import Deliverer
from judicare.exchange.envelopes import card_keys, make_card, parse, sign_header
from judicare.exchange.errors import BadSignature
from judicare.exchange.keys import NodeIdentity, new_ring
from judicare.exchange.models import OutboxRow, PeerRow
from judicare.exchange.peers import load_peer
from judicare.exchange.service import send_message
from tests.integration.exchange_nodes import T0, NodeUnderTest


def test_a_peer_entry_altered_after_it_was_verified_is_refused(pair):
    """The keys of a verified entry are kept per process; a row whose card is then swapped
    for another node's (same id, same endorsement) is other bytes and is refused."""
    a, _, _ = pair
    with a.app.unit_of_work() as uow:
        row, keys = load_peer(uow.session, a.store.ring, "NLD-CA")
        assert keys == card_keys(row.card)  # what the card says, verified
        assert load_peer(uow.session, a.store.ring, "NLD-CA")[1] == keys
    impostor = new_ring(NodeIdentity("NLD-CA", "NLD", "impostor", "http://nld.test"), T0)
    with a.app.unit_of_work() as uow:
        uow.session.get(PeerRow, "NLD-CA").card = make_card(impostor, T0)
        uow.commit()
    with a.app.unit_of_work() as uow, pytest.raises(BadSignature, match="altered outside"):
        load_peer(uow.session, a.store.ring, "NLD-CA")


def _queue(node: NodeUnderTest, count: int, conversation: str | None = None) -> None:
    with node.app.unit_of_work() as uow:
        for n in range(count):
            send_message(uow.session, node.node, peer_id="NLD-CA", kind=STATUS_NOTICE,
                         body={"status": f"s{n}"}, actor="test", why="test", now=T0,
                         conversation_id=conversation)  # fmt: skip
        uow.commit()


def test_due_messages_are_claimed_once_in_conversation_order(pair):
    a, _, transport = pair
    _queue(a, 3, conversation="c0000000-0000-0000-0000-000000000001")
    _queue(a, 2)
    worker = Deliverer(a.app, a.node, transport)
    try:
        first = worker._due(T0)
        with a.app.unit_of_work() as uow:
            query = select(OutboxRow.id, OutboxRow.conversation_id, OutboxRow.next_attempt_at)
            rows = uow.session.execute(query).all()
        shared = [r.id for r in rows if r.conversation_id.startswith("c0000000")]
        # the first message of the shared conversation (the others wait behind it), and
        # the two others, each in a conversation of its own
        ids = {j.id for j in first}
        assert ids == {min(shared)} | {r.id for r in rows if r.id not in shared}
        assert all(as_utc(r.next_attempt_at) > T0 for r in rows if r.id in ids)
        assert worker._due(T0) == []  # claimed: another worker finds nothing
        later = T0 + timedelta(seconds=a.app.settings.exchange_claim_seconds + 1)
        again = worker._due(later)  # the claim ran out: taken again, same bytes
        assert sorted(j.id for j in again) == sorted(ids)
        assert {j.envelope for j in again} == {j.envelope for j in first}
        assert worker._due(later, limit=1) == []
    finally:
        worker.close()


def test_an_envelope_is_its_own_canonical_form():
    ring = new_ring(NodeIdentity("BEL-CA", "BEL", "Bélgica ✓", "http://bel.test"), T0)
    other = new_ring(NodeIdentity("NLD-CA", "NLD", "N", "http://nld.test"), T0)
    header = {"format": 1, "type": "status_notice", "type_version": 1, "message_id": "m-1",
              "conversation_id": "c-1", "sender": "BEL-CA", "recipient": "NLD-CA",
              "signing_key": ring.current.signing_id, "encryption_key": "e",
              "created_at": "2026-11-23T10:00:00.000000Z", "note": "«ĳ» \"q\" \\ /",
              "expires_at": "2026-11-23T11:00:00.000000Z", "ciphertext": "AAAA",
              "card": make_card(other, T0)}  # fmt: skip
    raw = sign_header(ring, header)
    outer = {"header": header, "signature": raw.rsplit(b'"signature":"', 1)[1][:-2].decode()}
    assert raw == canonical_bytes(outer)
    del header["note"]
    assert parse(sign_header(ring, header))[0] == header


def test_a_transaction_queueing_ten_messages_reuses_its_converted_statements(pair, monkeypatch):
    """PostgreSQL: the 10-row outbox INSERT of a transaction (over psycopg's default limit
    of 50 parameters) is converted to PostgreSQL's placeholders once and kept, not converted
    afresh each time; the rows queued are the same."""
    a, _, _ = pair
    if a.app.engine.dialect.name != "postgresql":
        pytest.skip("psycopg's conversion of statements: PostgreSQL only")
    from psycopg import _queries

    _queue(a, 10)  # the first time: converted, and kept
    converted_afresh: list = []
    convert = _queries._query2pg_nocache
    monkeypatch.setattr(
        _queries, "_query2pg_nocache",
        lambda *args: converted_afresh.append(args[0][:60]) or convert(*args),
    )  # fmt: skip
    _queue(a, 10)
    assert converted_afresh == []
    with a.app.unit_of_work() as uow:
        rows = uow.session.execute(select(OutboxRow.message_id, OutboxRow.status)).all()
    assert len(rows) == 20 and len({r.message_id for r in rows}) == 20
    assert {r.status for r in rows} == {"pending"}
