"""Audit witnessing over the node exchange (issue 13 §4): node A hands its signed checkpoint
to peer B as a message, B cosigns it or refuses it and answers, and A keeps the answer.
Before this, witnessing ran only through the CLI and files: the exchange had no message
type for a checkpoint, so a peer could not notice a rewrite unless an operator carried the
file to it."""

from __future__ import annotations

from sqlalchemy import select
from typer.testing import CliRunner

from judicare.audit.trail import verify_trail
from judicare.cli import app as cli
from judicare.exchange.canonical import AUDIT_CHECKPOINT, AUDIT_COSIGNATURE
from judicare.exchange.keys import FileKeyStore
from judicare.exchange.models import InboxRow, OutboxRow
from judicare.exchange.service import send_message
from judicare.exchange.witness import send_checkpoint
from tests.integration.exchange_nodes import _deliver, _tags
from tests.security.test_audit_tamper import _rehash_from, _tamper, _write

runner = CliRunner()


def _send(a, b) -> dict:
    with a.app.unit_of_work() as uow:
        _, document = send_checkpoint(uow.session, a.node, a.app.audit_anchor, b.id,
                                      actor="test", now=a.clock[0])  # fmt: skip
        uow.commit()
    return document


def _round_trip(a, b, transport) -> None:
    _deliver(a, transport)  # the checkpoint to B, which cosigns or refuses and answers
    _deliver(b, transport)  # the answer back to A


def _report(a):
    with a.app.unit_of_work() as uow:
        return verify_trail(uow.session, a.app.audit_anchor, a.store.ring)


def _rows(n, model, column: str, message_type: str) -> list:
    """One column of the inbox or outbox rows of this message type."""
    with n.app.unit_of_work() as uow:
        query = select(getattr(model, column)).where(model.message_type == message_type)
        return list(uow.session.scalars(query))


def _witnessed(a, b, transport) -> dict:
    _write(a.app, 3)
    document = _send(a, b)
    _round_trip(a, b, transport)
    return document


def test_a_peer_cosigns_a_checkpoint_sent_over_the_exchange(pair):
    a, b, transport = pair
    document = _witnessed(a, b, transport)
    report = _report(a)
    assert report.problems == []
    assert report.cosigned == [{"size": document["size"], "head": document["head"],
                                "at": document["at"], "witnesses": [b.id]}]  # fmt: skip
    cosigned = _tags(b, "node:audit:cosigned")
    assert [(d["node"], d["size"], d["head"]) for d in cosigned] == [
        (a.id, document["size"], document["head"])
    ]
    assert [d["size"] for d in _tags(a, "node:audit:witness-cosigned")] == [document["size"]]
    # These messages concern no request, and both envelopes were delivered.
    for node, kind in ((b, "audit_checkpoint/1"), (a, "audit_cosignature/1")):
        assert _rows(node, InboxRow, "request_id", kind) == [None]
    for node, kind in ((a, "audit_checkpoint/1"), (b, "audit_cosignature/1")):
        assert _rows(node, OutboxRow, "status", kind) == ["delivered"]
    assert report.summary()["checkpoints"]["witness_refusals"] == []


def test_honest_growth_is_cosigned_over_the_exchange_with_its_proof(pair):
    a, b, transport = pair
    first = _witnessed(a, b, transport)
    _write(a.app, 4)
    grown = _send(a, b)
    assert [(p["from"], p["to"]) for p in grown["consistency"]] == [(first["size"], grown["size"])]
    _round_trip(a, b, transport)
    report = _report(a)
    assert report.problems == []
    assert [c["size"] for c in report.cosigned] == [first["size"], grown["size"]]
    assert [d["size"] for d in _tags(b, "node:audit:cosigned")] == [first["size"], grown["size"]]
    assert _tags(b, "node:audit:cosign-refused") == []


def test_a_rewritten_history_sent_over_the_exchange_is_refused_by_the_peer(pair):
    """The operator of A holds the audit key: rewrites an early entry, recomputes every
    hash, signs a fresh journal, appends, and sends B a larger checkpoint. B refuses, B's
    trail says so, and A receives the refusal as an answer (the envelope itself is fine)."""
    a, b, transport = pair
    honest = _witnessed(a, b, transport)
    m = honest["size"]
    _tamper(a.app, "UPDATE audit_events SET why = 'it never happened' WHERE seq = 2")
    _rehash_from(a.app, 2)
    a.app.audit_anchor.journal.unlink()  # a fresh journal, signed with the audit key
    _write(a.app, 3)
    rewritten = _send(a, b)
    assert rewritten["size"] > m and [p["from"] for p in rewritten["consistency"]] == [m]
    _round_trip(a, b, transport)
    [refused] = _tags(b, "node:audit:cosign-refused")
    assert (refused["node"], refused["size"], refused["head"]) == (
        a.id,
        rewritten["size"],
        rewritten["head"],
    )
    assert "history was rewritten" in refused["reason"]
    assert [d["size"] for d in _tags(b, "node:audit:cosigned")] == [m]  # only the honest one
    [answer] = _tags(a, "node:audit:witness-refused")
    assert (answer["witness"], answer["size"], answer["head"]) == (
        b.id,
        rewritten["size"],
        rewritten["head"],
    )
    assert "history was rewritten" in answer["reason"]
    assert _rows(a, OutboxRow, "status", "audit_checkpoint/1") == ["delivered"] * 2
    assert _rows(b, OutboxRow, "status", "audit_cosignature/1") == ["delivered"] * 2
    refusals = _report(a).summary()["checkpoints"]["witness_refusals"]
    assert [(r["witness"], r["size"]) for r in refusals] == [(b.id, rewritten["size"])]
    # The entry contents never travel nor reach the witness's trail.
    assert "it never happened" not in str(_tags(b, "node:audit:cosign-refused"))


def test_a_cosignature_that_does_not_verify_is_recorded_as_a_refusal(pair):
    a, b, transport = pair
    _write(a.app, 2)
    document = _send(a, b)
    _deliver(a, transport)
    with b.app.unit_of_work() as uow:  # B (or someone with its keys) answers with a bad one
        [answer] = uow.session.scalars(
            select(OutboxRow).where(OutboxRow.message_type == "audit_cosignature/1")
        ).all()
        answer.status = "dead"  # the genuine answer never arrives
        bad = {"witness": b.id, "key_id": b.store.ring.current.signing_id,
               "at": document["at"], "signature": "A" * 88}  # fmt: skip
        send_message(uow.session, b.node, peer_id=a.id, kind=AUDIT_COSIGNATURE,
                     body={"cosigned": {**document, "cosignatures": [bad]}}, actor="test",
                     why="test", now=b.clock[0])  # fmt: skip
        uow.commit()
    _deliver(b, transport)
    [refused] = _tags(a, "node:audit:witness-refused")
    assert refused["witness"] == b.id and "no cosignature verifies" in refused["reason"]
    assert _report(a).cosigned == []
    assert _rows(a, InboxRow, "request_id", "audit_cosignature/1") == [None]


def test_a_peer_refuses_a_checkpoint_of_another_node(pair):
    """A node hands over its own checkpoints only: B does not cosign, for A, a document
    that claims to be another node's."""
    a, b, transport = pair
    _write(a.app, 1)
    with a.app.unit_of_work() as uow:
        document = send_checkpoint(uow.session, a.node, a.app.audit_anchor, b.id,
                                   actor="test", now=a.clock[0])[1]  # fmt: skip

    with a.app.unit_of_work() as uow:
        send_message(uow.session, a.node, peer_id=b.id, kind=AUDIT_CHECKPOINT,
                     body={"checkpoint": {**document, "node_id": "FRA-CA"}}, actor="test",
                     why="test", now=a.clock[0])  # fmt: skip
        uow.commit()
    _round_trip(a, b, transport)
    [refused] = _tags(b, "node:audit:cosign-refused")
    assert "not the sender's" in refused["reason"]
    assert "not the sender's" in _tags(a, "node:audit:witness-refused")[0]["reason"]


def test_send_checkpoint_command_queues_it_for_one_peer_or_all(pair, tmp_path):
    """`judicare audit send-checkpoint` only queues (the delivery worker carries it)."""
    a, b, _ = pair
    _write(a.app, 2)
    FileKeyStore(tmp_path / "keys").save(a.store.ring)
    url = a.app.engine.url.render_as_string(hide_password=False)
    base = ["audit", "send-checkpoint", "--keys-dir", str(tmp_path / "keys"), "--db", url]
    for extra in (["--to", b.id], ["--to-all"]):
        result = runner.invoke(cli, [*base, *extra], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert f"queued for {b.id} as message" in result.stdout
    assert _rows(a, OutboxRow, "peer_id", "audit_checkpoint/1") == [b.id, b.id]
    for wrong in ([], ["--to", b.id, "--to-all"]):
        assert runner.invoke(cli, [*base, *wrong]).exit_code == 2
    unknown = runner.invoke(cli, [*base, "--to", "FRA-CA"])
    assert unknown.exit_code != 0 and "no active peer" in unknown.output
