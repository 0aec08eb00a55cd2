"""A request's correspondence between two nodes, each on its own database (SQLite and
PostgreSQL): the requested state answers with documents or asks for information, the
requesting state supplements its request, and each change of status reaches the other
node as a status notice written in the same transaction as the change."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from judicare.audit.models import AuditEventRow
from judicare.auth.service import issue_token
from judicare.errors import InvalidInput
from judicare.exchange.canonical import SUPPLEMENTARY_REQUEST
from judicare.exchange.correspondence import (
    ask_for_information,
    correspondence,
    install_status_notices,
    send_answer,
)
from judicare.exchange.models import InboxRow, OutboxRow
from judicare.exchange.service import send_message, send_request
from judicare.requests.models import DocumentRow, RequestLinkRow, RequestRow
from judicare.requests.schemas import TransitionIn
from judicare.requests.service import transition_request
from tests.integration.exchange_nodes import _decided, _received_id, _travelled
from tests.integration.test_exchange import (
    _count,
    _deliver,
    _officer,
    _outgoing,
    _send,
    _tags,
)


def _move(n, who, request_id: int, status: str, commit: bool = True, **decision) -> None:
    with n.app.unit_of_work() as uow:
        row = uow.session.get(RequestRow, request_id)
        move = TransitionIn(status=status, **decision)
        transition_request(uow.session, who, request_id, move, if_match=f'"{row.version}"',
                           now=n.clock[0], why="test")  # fmt: skip
        if commit:
            uow.commit()


def _letters(n, who, request_id: int) -> dict:
    with n.app.unit_of_work() as uow:
        return correspondence(uow.session, who, request_id, now=n.clock[0], why="test")


def _supplement(a, who_a, first: int, transport):
    """A new outgoing request of A sent and delivered as a supplement to `first`."""
    more = _outgoing(a, who_a, number=1)
    with a.app.unit_of_work() as uow:
        out = send_request(uow.session, a.node, who_a, more, "NLD-CA", now=a.clock[0],
                           why="supplement", supplements=first)  # fmt: skip
        uow.commit()
    _deliver(a, transport)
    return more, out


def test_an_answer_with_a_document_reaches_the_outgoing_request(pair):
    a, b, transport = pair
    who_a, who_b = _officer(a), _officer(b)
    sent, incoming = _travelled(a, b, transport, who_a)
    with b.app.unit_of_work() as uow:
        key, size, sha = b.app.file_store.put([b"record of the hearing"], 10_000)
        document = DocumentRow(request_id=incoming, filename="hearing.txt",
                               media_type="text/plain", size=size, sha256=sha,
                               storage_key=key, uploaded_by=who_b.user_id)  # fmt: skip
        uow.session.add(document)
        uow.session.flush()
        send_answer(uow.session, b.node, who_b, incoming, "The witness was heard on 1 December.",
                    document_ids=(document.id,), now=b.clock[0], why="execution")  # fmt: skip
        uow.commit()
    _deliver(b, transport)

    letters = _letters(a, who_a, sent)
    kinds = [(m["direction"], m["type"], m["delivery"]) for m in letters["messages"]]
    assert kinds == [("sent", "request", "delivered"), ("received", "answer", "received")]
    answer = letters["messages"][1]["summary"]
    assert answer["text"] == "The witness was heard on 1 December."
    assert [d["sha256"] for d in answer["documents"]] == [sha]
    with a.app.unit_of_work() as uow:
        arrived = uow.session.scalar(select(DocumentRow).where(DocumentRow.request_id == sent))
        assert (arrived.filename, arrived.sha256) == ("hearing.txt", sha)
        assert b"".join(a.app.file_store.open_chunks(arrived.storage_key)) == (
            b"record of the hearing"
        )
    assert [e["message_id"] for e in _tags(a, "node:answer:receive")] == [
        letters["messages"][1]["message_id"]
    ]
    on_b = _letters(b, who_b, incoming)["messages"]
    assert [(m["direction"], m["type"]) for m in on_b] == [
        ("received", "request"),
        ("sent", "answer"),
    ]
    assert on_b[1]["summary"]["text"].startswith("The witness") and on_b[1]["delivery"] == (
        "delivered"
    )


def test_a_request_for_information_is_answered_by_a_linked_supplementary_request(pair):
    a, b, transport = pair
    who_a, who_b = _officer(a), _officer(b)
    first, incoming = _travelled(a, b, transport, who_a)
    with b.app.unit_of_work() as uow:
        ask_for_information(uow.session, b.node, who_b, incoming,
                            "Please give the witness's address.", now=b.clock[0], why="review")  # fmt: skip
        uow.commit()
    _deliver(b, transport)
    question = _letters(a, who_a, first)["messages"][-1]
    assert (question["type"], question["summary"]["text"]) == (
        "request_for_information", "Please give the witness's address.",
    )  # fmt: skip

    _, out = _supplement(a, who_a, first, transport)
    with a.app.unit_of_work() as uow:
        original = uow.session.scalar(
            select(OutboxRow.conversation_id).where(OutboxRow.request_id == first)
        )
        assert out.conversation_id == original and out.message_type == "supplementary_request/2"
        assert uow.session.scalar(select(RequestLinkRow.link_type)) == "supplementary"
        first_reference = uow.session.get(RequestRow, first).reference
    with b.app.unit_of_work() as uow:
        link = uow.session.scalar(select(RequestLinkRow))
        supplementary = uow.session.get(InboxRow, out.message_id)
        assert (link.from_request_id, link.to_request_id) == (incoming, supplementary.request_id)
        assert supplementary.body_summary["supplements"] == first_reference


def test_a_supplementary_request_needs_a_request_sent_before_to_the_same_node(pair):
    a, _, _ = pair
    who = _officer(a)
    never_sent, more = _outgoing(a, who), _outgoing(a, who, number=1)
    with a.app.unit_of_work() as uow, pytest.raises(InvalidInput, match="was not sent to NLD-CA"):
        send_request(uow.session, a.node, who, more, "NLD-CA", now=a.clock[0], why="x",
                     supplements=never_sent)  # fmt: skip


def test_a_supplementary_request_in_an_unknown_conversation_is_refused_not_registered(pair):
    a, b, transport = pair
    body = {"request": {"kind": "mla", "requesting_state": "BEL", "requested_state": "NLD",
                        "requesting_authority": "x", "facts_summary": "more facts"},
            "supplements": "BE-2026-0001", "attachments": []}  # fmt: skip
    with a.app.unit_of_work() as uow:
        send_message(uow.session, a.node, peer_id="NLD-CA", kind=SUPPLEMENTARY_REQUEST,
                     body=body, actor="test", why="test", now=a.clock[0])  # fmt: skip
        uow.commit()
    _deliver(a, transport)
    assert _count(b, RequestRow) == 0
    assert [e["reason"] for e in _tags(b, "node:envelope:reject")] == ["not_this_conversation"]
    assert _count(a, OutboxRow, OutboxRow.status == "dead") == 1


def test_each_change_of_status_is_notified_to_the_other_node_without_its_reasons(pair):
    a, b, transport = pair
    for n in (a, b):
        install_status_notices(n.app, n.node)
    who_a, who_b = _officer(a), _officer(b)
    sent, incoming = _travelled(a, b, transport, who_a)

    _move(b, who_b, incoming, "registered", commit=False)  # rolled back: no notice either
    assert _count(b, OutboxRow) == 0
    _move(b, who_b, incoming, "registered")
    _move(b, who_b, incoming, "under_review")
    secret = "the person sought is a recognised refugee here"
    _decided(b, incoming, "refuse", secret, [{"instrument": "refugee-1951", "article": "33"}])
    assert _count(b, OutboxRow, OutboxRow.message_type == "status_notice/1") == 3
    _deliver(b, transport)

    letters = _letters(a, who_a, sent)
    notices = [m["summary"] for m in letters["messages"] if m["type"] == "status_notice"]
    assert [(n["previous_status"], n["status"]) for n in notices] == [
        ("received", "registered"), ("registered", "under_review"), ("under_review", "refused"),
    ]  # fmt: skip
    assert letters["peer_status"] == "refused"
    assert secret not in json.dumps(letters)
    assert set(notices[0]) == {"status", "previous_status", "changed_at", "reference"}
    with a.app.unit_of_work() as uow:  # A's own lifecycle is A's officers' to move
        assert uow.session.get(RequestRow, sent).status == "received"
    assert [e["status"] for e in _tags(a, "node:status_notice:receive")] == [
        "registered", "under_review", "refused",
    ]  # fmt: skip


def test_only_a_request_that_travelled_notifies_the_other_node(pair):
    a, b, transport = pair
    install_status_notices(a.app, a.node)
    who = _officer(a)
    local = _outgoing(a, who, number=1)
    sent, _ = _travelled(a, b, transport, who)
    _move(a, who, local, "registered")
    _move(a, who, sent, "registered")
    notices = _count(a, OutboxRow, OutboxRow.message_type == "status_notice/1")
    assert notices == 1
    with a.app.unit_of_work() as uow:
        assert (
            uow.session.scalar(
                select(OutboxRow.request_id).where(OutboxRow.message_type == "status_notice/1")
            )
            == sent
        )


def test_a_notice_about_a_request_that_died_undelivered_is_not_sent_alone(pair):
    a, b, transport = pair
    install_status_notices(a.app, a.node)
    who = _officer(a)
    sent = _outgoing(a, who)
    _send(a, who, sent, "NLD-CA")
    _move(a, who, sent, "registered")  # queued behind the request, still pending
    transport.fail_next[b.endpoint] = 100  # the requested state's node is unreachable
    _deliver(a, transport)
    assert _count(b, InboxRow) == 0
    with a.app.unit_of_work() as uow:
        rows = dict(uow.session.execute(select(OutboxRow.message_type, OutboxRow.last_error)).all())
        assert (
            uow.session.scalar(
                select(func.count()).select_from(OutboxRow).where(OutboxRow.status == "dead")
            )
            == 2
        )
    assert "request_not_delivered" in rows["status_notice/1"]


def test_notices_about_a_supplementary_request_are_filed_with_it(pair):
    a, b, transport = pair
    install_status_notices(b.app, b.node)
    who_a, who_b = _officer(a), _officer(b)
    first, incoming = _travelled(a, b, transport, who_a)
    more, out = _supplement(a, who_a, first, transport)
    supplementary = _received_id(b, out.message_id)
    _move(b, who_b, supplementary, "registered")
    _deliver(b, transport)
    assert _letters(a, who_a, more)["peer_status"] == "registered"
    assert _letters(a, who_a, first)["peer_status"] is None
    assert incoming != supplementary


def test_only_a_request_received_through_the_exchange_can_be_answered_through_it(pair):
    a, _, _ = pair
    who = _officer(a)
    local = _outgoing(a, who)
    with a.app.unit_of_work() as uow, pytest.raises(InvalidInput, match="did not arrive"):
        send_answer(uow.session, a.node, who, local, "done", now=a.clock[0], why="x")
    with a.app.unit_of_work() as uow, pytest.raises(InvalidInput, match="needs a text"):
        received = _outgoing(a, who, number=2)
        uow.session.add(InboxRow(message_id="m-1", conversation_id="c-1", sender="NLD-CA",
                                 message_type="request/2", envelope_sha256="0" * 64,
                                 request_id=received, body_summary={}, receipt=b"",
                                 received_at=a.clock[0]))  # fmt: skip
        uow.session.flush()
        ask_for_information(uow.session, a.node, who, received, "   ", now=a.clock[0], why="x")


def test_the_user_api_sends_answers_and_reads_the_correspondence(pair, tmp_path):
    from judicare.asgi import create_api

    a, b, transport = pair
    who_a, who_b = _officer(a), _officer(b)
    _, incoming = _travelled(a, b, transport, who_a)
    b.app.settings = b.app.settings.model_copy(update={"node_keys_dir": tmp_path / "no-keys"})
    api = create_api(b.app)  # a node whose key directory is empty
    with b.app.unit_of_work() as uow:
        token = issue_token(uow.session, who_b, now=b.app.now())
        uow.commit()
    client = TestClient(api)
    headers = {"Authorization": f"Bearer {token}"}
    missing = client.post(f"/api/v1/requests/{incoming}/exchange/answer", json={"text": ""},
                          headers=headers)  # fmt: skip
    assert missing.status_code == 422
    no_keys = client.post(f"/api/v1/requests/{incoming}/exchange/answer",
                          json={"text": "done"}, headers=headers)  # fmt: skip
    assert no_keys.status_code == 409
    assert no_keys.json()["error"]["code"] == "node_not_initialised"
    listed = client.get(f"/api/v1/requests/{incoming}/exchange", headers=headers)
    assert listed.status_code == 200
    assert [m["type"] for m in listed.json()["messages"]] == ["request"]
    with b.app.unit_of_work() as uow:
        consulted = uow.session.scalar(
            select(AuditEventRow.tag).where(AuditEventRow.tag == "officer:exchange:read")
        )
        assert consulted == "officer:exchange:read"


def _web(n, tmp_path, username: str):
    """The web application of node `n`, sending through the test's node and transport."""
    from types import SimpleNamespace

    from judicare.asgi import create_api
    from tests.integration.web_support import WebUser

    n.app.settings = n.app.settings.model_copy(update={"data_dir": tmp_path / n.id})
    api = create_api(n.app)
    api.state.exchange_node = n.node
    install_status_notices(n.app, n.node)
    return WebUser(SimpleNamespace(client=TestClient(api)), username, password="x" * 12)


def test_officers_answer_and_read_the_correspondence_on_the_request_page(pair, tmp_path):
    a, b, transport = pair
    who_a, _ = _officer(a), _officer(b)
    sent, incoming = _travelled(a, b, transport, who_a)
    officer_b = _web(b, tmp_path, "officer.NLD-CA")
    page = officer_b.get(f"/requests/{incoming}")
    assert 'id="exchange"' in page.text and "Answer to the requesting authority" in page.text

    empty = officer_b.post(f"/requests/{incoming}/exchange/answer", {"text": "  "})
    assert empty.status_code == 422 and 'id="exchange-answer-error"' in empty.text
    answered = officer_b.post(
        f"/requests/{incoming}/exchange/answer", {"text": "The witness was heard."}
    )
    assert answered.status_code == 303
    _deliver(b, transport)

    officer_a = _web(a, tmp_path, "officer.BEL-CA")
    mine = officer_a.get(f"/requests/{sent}")
    assert "The witness was heard." in mine.text
    assert "delivered, receipt kept" in mine.text  # the request A sent, with its receipt
    again = officer_a.post(f"/requests/{sent}/exchange/send", {"to": "NLD-CA"})
    assert again.status_code == 422 and 'id="exchange-to-error"' in again.text
    assert "already sent" in again.text  # the service's words, beside the translated ones


def test_the_served_api_notifies_changes_of_status_by_itself(pair, tmp_path):
    """No listener installed by hand: `create_api` wires the node's status notices."""
    from judicare.asgi import create_api
    from judicare.exchange.keys import FileKeyStore

    a, b, transport = pair
    who_a, who_b = _officer(a), _officer(b)
    _, incoming = _travelled(a, b, transport, who_a)
    FileKeyStore(tmp_path / "keys").save(b.store.ring)
    b.app.settings = b.app.settings.model_copy(update={"node_keys_dir": tmp_path / "keys"})
    client = TestClient(create_api(b.app))
    with b.app.unit_of_work() as uow:
        token = issue_token(uow.session, who_b, now=b.app.now())
        version = uow.session.get(RequestRow, incoming).version
        uow.commit()
    moved = client.post(f"/api/v1/requests/{incoming}/transitions", json={"status": "registered"},
                        headers={"Authorization": f"Bearer {token}", "If-Match": f'"{version}"'})  # fmt: skip
    assert moved.status_code == 200, moved.text
    assert _count(b, OutboxRow, OutboxRow.message_type == "status_notice/1") == 1


def test_a_node_without_keys_does_not_block_a_decision_and_says_so(pair, tmp_path):
    a, b, transport = pair
    who_a, who_b = _officer(a), _officer(b)
    _, incoming = _travelled(a, b, transport, who_a)
    b.store.ring = None  # the keys are gone (a broken installation)
    install_status_notices(b.app, b.node)
    _move(b, who_b, incoming, "registered")
    with b.app.unit_of_work() as uow:
        assert uow.session.get(RequestRow, incoming).status == "registered"
    assert [e["reason"] for e in _tags(b, "node:status_notice:not_sent")] == [
        "node_not_initialised"
    ]
