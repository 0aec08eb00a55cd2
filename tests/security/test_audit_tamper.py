"""Adversarial suite for the audit trail (issue 13 §4), on SQLite and PostgreSQL.

The attacker holds the database — the SQLite file, or a PostgreSQL superuser — but not the
node's key directory. Whatever they do to the entries (cut the newest, empty the table,
edit and recompute every hash, reorder), `judicare audit verify` must name it, because the
node signed the head of the trail outside the database after each commit. A forged
checkpoint is refused, and a peer witness refuses to cosign a forked history. The operator
himself, who holds the audit key, cannot rewrite history that a witness cosigned and then
grow it: the witness asks for a consistency proof from the size it cosigned (RFC 9162).
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from judicare.audit import merkle
from judicare.audit.chain import GENESIS, entry_hash
from judicare.audit.checkpoints import Checkpoint, Inconsistent, sign, witness_consistent
from judicare.audit.journal import WitnessState
from judicare.audit.merkle import Frontier, entries_root, entry_leaf
from judicare.audit.models import AuditEventRow
from judicare.audit.service import AuditAction, record
from judicare.audit.trail import (
    CheckpointRefused,
    add_cosigned,
    cosign_document,
    export_checkpoint,
    verify_trail,
)
from judicare.cli import app as cli
from judicare.demo import load_demo
from tests.integration.exchange_nodes import (  # noqa: F401  (fixtures)
    T0,
    _migrated_postgres_template,
    pair,
)

runner = CliRunner()
COLUMNS = ("at", "actor", "action", "tag", "subject_type", "subject_id", "why", "details")


@pytest.fixture
def audited(app):
    """A trail written in many transactions, so many signed checkpoints."""
    load_demo(app)
    _write(app, 12)
    return app


def _write(app, transactions: int, who: str = "clerk") -> None:
    for number in range(transactions):
        with app.unit_of_work() as uow:
            record(uow.session, actor=who, action=AuditAction.CONSULTATION,
                   tag="test:audit:tamper", subject_type="test", subject_id=number,
                   why="adversarial suite", at=app.now())  # fmt: skip
            uow.commit()


def _verify(app) -> tuple[int, dict]:
    url = app.engine.url.render_as_string(hide_password=False)
    result = runner.invoke(cli, ["audit", "verify", "--db", url, "--json"], catch_exceptions=False)
    return result.exit_code, json.loads(result.stdout)


def _messages(report: dict) -> str:
    return "\n".join(p["message"] for p in report["problems"])


def _size(app) -> int:
    with app.engine.connect() as connection:
        return connection.execute(text("SELECT max(seq) FROM audit_events")).scalar_one()


def _attacker(app):
    """The database alone, with none of Judicare's listeners: a raw connection whose
    append-only triggers are dropped (SQLite) or disabled (PostgreSQL superuser)."""
    engine = create_engine(app.engine.url)
    connection = engine.connect()
    if engine.dialect.name == "postgresql":
        connection.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
        # Each monthly partition has its own TRUNCATE guard (migration 0036): off too.
        partitions = connection.execute(text(
            "SELECT inhrelid::regclass::text FROM pg_inherits "
            "WHERE inhparent = 'audit_events'::regclass"
        )).scalars().all()  # fmt: skip
        for partition in partitions:
            connection.execute(text(f'ALTER TABLE "{partition}" DISABLE TRIGGER USER'))
    else:
        connection.execute(text("DROP TRIGGER IF EXISTS audit_events_no_update"))
        connection.execute(text("DROP TRIGGER IF EXISTS audit_events_no_delete"))
    return engine, connection


def _tamper(app, *statements: str) -> None:
    engine, connection = _attacker(app)
    with connection:
        for statement in statements:
            connection.execute(text(statement))
        connection.commit()
    engine.dispose()


def _rehash_from(app, first: int) -> None:
    """Recompute every hash from entry `first` on, as an attacker would after an edit, so
    that the chain alone verifies again."""
    engine, connection = _attacker(app)
    with connection:
        rows = connection.execute(select(AuditEventRow.__table__).order_by("seq")).all()
        previous = GENESIS
        for row in rows:
            if row.seq >= first:
                content = {c: getattr(row, c) for c in COLUMNS}
                new = entry_hash(seq=row.seq, prev_hash=previous, **content)
                connection.execute(
                    text("UPDATE audit_events SET prev_hash = :p, hash = :h WHERE seq = :s"),
                    {"p": previous, "h": new, "s": row.seq},
                )
                previous = new
            else:
                previous = row.hash
        connection.commit()
    engine.dispose()


def test_an_untouched_trail_verifies_against_its_signed_checkpoints(audited):
    code, report = _verify(audited)
    assert code == 0, report
    latest = report["checkpoints"]["latest"]
    assert latest["size"] == _size(audited)
    assert report["checkpoints"]["signed"] >= 12
    assert report["checkpoints"]["entries_after_latest"] == 0


def test_deleting_the_newest_entries_is_named(audited):
    size = _size(audited)
    _tamper(audited, f"DELETE FROM audit_events WHERE seq > {size - 3}")
    code, report = _verify(audited)
    assert code == 1
    assert f"entries {size - 2}–{size} are missing" in _messages(report)
    assert {"seq": size - 2, "kind": "cut"} in [
        {"seq": p["seq"], "kind": p["kind"]} for p in report["problems"]
    ]


def test_deleting_the_last_entry_alone_is_named(audited):
    size = _size(audited)
    _tamper(audited, f"DELETE FROM audit_events WHERE seq = {size}")
    code, report = _verify(audited)
    assert code == 1
    assert f"entry {size} is missing" in _messages(report)


def test_emptying_the_table_is_named_as_truncation(audited):
    _tamper(audited, "DELETE FROM audit_events")
    code, report = _verify(audited)
    assert code == 1
    assert report["entries"] == 0
    assert "the audit trail was truncated" in _messages(report)
    assert "the database has 0" in _messages(report)


def test_an_edit_with_every_hash_recomputed_is_named(audited):
    _tamper(audited, "UPDATE audit_events SET why = 'nothing to see' WHERE seq = 5")
    _rehash_from(audited, 5)
    code, report = _verify(audited)
    assert code == 1
    assert [p["kind"] for p in report["problems"]] == ["rewritten"]
    assert "the chain was rewritten" in _messages(report)


def test_the_last_entry_edited_and_rehashed_is_named(audited):
    size = _size(audited)
    _tamper(audited, f"UPDATE audit_events SET actor = 'someone else' WHERE seq = {size}")
    _rehash_from(audited, size)
    code, report = _verify(audited)
    assert code == 1
    assert f"entry {size} no longer matches" in _messages(report)


def test_reordered_and_rehashed_entries_are_named(audited):
    size = _size(audited)
    a, b = size - 4, size - 3
    columns = ", ".join(COLUMNS)
    _tamper(
        audited,
        f"CREATE TEMPORARY TABLE swap AS SELECT seq, {columns} FROM audit_events "
        f"WHERE seq IN ({a}, {b})",
        f"DELETE FROM audit_events WHERE seq IN ({a}, {b})",
        f"INSERT INTO audit_events (seq, {columns}, prev_hash, hash) "
        f"SELECT {a + b} - seq, {columns}, 'x' || seq, 'y' || seq FROM swap",
    )
    _rehash_from(audited, a)
    code, report = _verify(audited)
    assert code == 1
    assert "the chain was rewritten" in _messages(report)
    assert f"{a}–" in _messages(report) or f"entry {a} " in _messages(report)


def test_a_whole_new_history_rehashed_from_the_first_entry_is_named(audited):
    _tamper(audited, "UPDATE audit_events SET why = 'rewritten' WHERE seq = 1")
    _rehash_from(audited, 1)
    code, report = _verify(audited)
    assert code == 1
    assert "the chain was rewritten: entries 1–" in _messages(report)


@pytest.mark.postgres
def test_truncate_is_refused_on_postgresql(audited):
    if audited.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    with pytest.raises(DBAPIError, match="cannot be truncated"), audited.engine.begin() as c:
        c.execute(text("TRUNCATE audit_events"))
    assert _verify(audited)[0] == 0


@pytest.mark.postgres
def test_truncate_by_a_superuser_who_disables_the_triggers_is_named(audited):
    if audited.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    _tamper(audited, "TRUNCATE audit_events")
    code, report = _verify(audited)
    assert code == 1
    assert "the audit trail was truncated" in _messages(report)


def test_a_forged_checkpoint_is_refused(audited, tmp_path):
    """Someone who can write to the journal but has not the audit key cannot add a
    checkpoint: a line signed by another key is named, and ignored."""
    anchor = audited.audit_anchor
    size = _size(audited)
    forged = sign(_other_key(), origin=anchor.origin, size=size + 5, head="f" * 64,
                  at="2026-11-23T00:00:00.000000Z")  # fmt: skip
    with anchor.journal.open("a", encoding="utf-8") as journal:
        journal.write(json.dumps(forged.as_dict()) + "\n")
    code, report = _verify(audited)
    assert code == 1
    assert [p["kind"] for p in report["problems"]] == ["forged_checkpoint"]
    assert "not signed by this node's audit key" in _messages(report)


def test_a_database_ahead_of_its_last_checkpoint_verifies_and_says_so(audited):
    """A crash between a commit and its checkpoint leaves the journal behind: accepted."""
    with Session(audited.engine) as session:  # a session without the node's anchor
        record(session, actor="clerk", action=AuditAction.CONSULTATION, tag="test:audit:crash",
               subject_type="test", subject_id="x", why="no checkpoint", at=audited.now())  # fmt: skip
        session.commit()
    code, report = _verify(audited)
    assert code == 0, report
    assert report["checkpoints"]["entries_after_latest"] == 1


def test_an_unusable_key_directory_never_loses_the_users_write(app, node_keys_dir):
    node_keys_dir.parent.mkdir(parents=True, exist_ok=True)
    node_keys_dir.write_text("not a directory")
    _write(app, 2)
    with app.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM audit_events")).scalar_one() >= 2
    with app.unit_of_work() as uow:
        report = verify_trail(uow.session, app.audit_anchor)
    assert report.problems == [] and report.latest is None and report.after_latest >= 2


def test_concurrent_writers_leave_the_newest_head_signed(app):
    def write(worker: int) -> None:
        _write(app, 6, who=f"writer-{worker}")

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(write, range(6)))
    with app.unit_of_work() as uow:
        report = verify_trail(uow.session, app.audit_anchor)
    assert report.problems == []
    assert report.latest.size == _size(app) and report.after_latest == 0
    sizes = [line.checkpoint.size for line in app.audit_anchor.lines()]
    assert sizes == sorted(set(sizes))  # written in sequence order, never a smaller head
    # Each writer extended the frontier of the line before, reading from the database the
    # entries other transactions committed in between: every root is the tree's.
    _assert_roots_right(app)


def _hashes(app) -> list[str]:
    with app.engine.connect() as connection:
        return list(
            connection.execute(text("SELECT hash FROM audit_events ORDER BY seq")).scalars()
        )


def _assert_roots_right(app) -> None:
    hashes = _hashes(app)
    raw = [json.loads(line) for line in app.audit_anchor.journal.read_text().splitlines()]
    assert raw and all(line.get("root") for line in raw)
    for line in raw:
        tree = Frontier().extend(entry_leaf(h) for h in hashes[: line["size"]])
        assert line["root"] == entries_root(hashes[: line["size"]])
        assert line["frontier"] == tree.to_hex()


# --- Merkle roots in checkpoints -----------------------------------------------------------


def test_every_checkpoint_signs_the_merkle_root_and_the_journal_keeps_its_frontier(audited):
    _assert_roots_right(audited)
    code, report = _verify(audited)
    assert code == 0, report
    hashes = _hashes(audited)
    assert report["checkpoints"]["latest"]["root"] == entries_root(hashes)


def test_an_old_journal_without_roots_still_verifies_and_gains_roots(app):
    """Checkpoints signed before roots existed stay readable and verify; the next commit
    rebuilds the frontier from the database once and signs a root from then on."""
    _write(app, 4)
    anchor, key = app.audit_anchor, app.audit_anchor.key()
    old = []
    for line in anchor.lines():
        c = line.checkpoint
        old.append(sign(key, origin=c.origin, size=c.size, head=c.head, at=c.at).as_dict())
    anchor.journal.write_text("".join(json.dumps(d) + "\n" for d in old))
    assert all("root" not in d and "frontier" not in d for d in old)
    code, report = _verify(app)
    assert code == 0, report
    assert report["checkpoints"]["latest"]["root"] is None
    _write(app, 2)
    code, report = _verify(app)
    assert code == 0, report
    newest = json.loads(anchor.journal.read_text().splitlines()[-1])
    assert newest["root"] == entries_root(_hashes(app)) == report["checkpoints"]["latest"]["root"]
    assert newest["frontier"] == Frontier().extend(entry_leaf(h) for h in _hashes(app)).to_hex()


def test_a_signed_root_that_the_database_does_not_give_is_named(audited):
    """The head agrees but the signed Merkle root does not: named as a rewrite."""
    anchor, size = audited.audit_anchor, _size(audited)
    latest = anchor.latest()
    wrong = sign(anchor.key(), origin=anchor.origin, size=size, head=latest.head,
                 at=latest.at, root="ab" * 32)  # fmt: skip
    with anchor.journal.open("a", encoding="utf-8") as journal:
        journal.write(json.dumps(wrong.as_dict()) + "\n")
    code, report = _verify(audited)
    assert code == 1
    assert [p["kind"] for p in report["problems"]] == ["rewritten"]
    assert f"Merkle root of entries 1–{size}" in _messages(report)


def test_a_root_the_signature_does_not_cover_is_ignored(audited):
    """A root added to a checkpoint signed without one is not believed: the checkpoint
    counts as one without a root."""
    anchor = audited.audit_anchor
    latest = anchor.latest()
    bare = sign(anchor.key(), origin=anchor.origin, size=latest.size, head=latest.head,
                at=latest.at).as_dict()  # fmt: skip
    with anchor.journal.open("a", encoding="utf-8") as journal:
        journal.write(json.dumps({**bare, "root": "cd" * 32}) + "\n")
    code, report = _verify(audited)
    assert code == 0, report


# --- peer witnesses ------------------------------------------------------------------------


def _other_key():
    from nacl.signing import SigningKey

    return SigningKey.generate()


def test_a_witness_cosigns_and_the_node_verifies_the_cosignature(pair, tmp_path):  # noqa: F811
    a, b, _ = pair
    _write(a.app, 3)
    with a.app.unit_of_work() as uow:
        document = export_checkpoint(uow.session, a.app.audit_anchor, a.store.ring)
    with b.app.unit_of_work() as uow:
        cosigned = cosign_document(uow.session, b.store.ring, WitnessState(tmp_path / "b"),
                                   document, T0)  # fmt: skip
    with a.app.unit_of_work() as uow:
        assert add_cosigned(uow.session, a.app.audit_anchor, a.store.ring, cosigned) == [b.id]
        report = verify_trail(uow.session, a.app.audit_anchor, a.store.ring)
    assert report.problems == []
    assert report.cosigned == [{"size": document["size"], "head": document["head"],
                                "at": document["at"], "witnesses": [b.id]}]  # fmt: skip


def test_a_witness_refuses_a_forked_or_rolled_back_checkpoint(pair, tmp_path):  # noqa: F811
    """The operator holds the audit key, rewrites history and signs it again: the peer that
    cosigned the original refuses the fork, and a rollback."""
    a, b, _ = pair
    _write(a.app, 3)
    witness = WitnessState(tmp_path / "b")
    with a.app.unit_of_work() as uow:
        honest = export_checkpoint(uow.session, a.app.audit_anchor, a.store.ring)
    with b.app.unit_of_work() as uow:
        cosign_document(uow.session, b.store.ring, witness, honest, T0)
    forked = _resigned(a, honest, size=honest["size"], head="e" * 64)
    smaller = _resigned(a, honest, size=honest["size"] - 1, head="d" * 64)
    for document, reason in ((forked, "forked or rewritten"), (smaller, "rolled back")):
        with b.app.unit_of_work() as uow, pytest.raises(CheckpointRefused, match=reason):
            cosign_document(uow.session, b.store.ring, witness, document, T0)


def test_a_witness_refuses_a_checkpoint_not_signed_by_the_node(pair, tmp_path):  # noqa: F811
    a, b, _ = pair
    _write(a.app, 1)
    with a.app.unit_of_work() as uow:
        document = export_checkpoint(uow.session, a.app.audit_anchor, a.store.ring)
    document["size"] += 1  # altered in transit
    with b.app.unit_of_work() as uow, pytest.raises(CheckpointRefused, match="not signed"):
        cosign_document(uow.session, b.store.ring, WitnessState(tmp_path / "b"), document, T0)


def _resigned(node, document: dict, *, size: int, head: str) -> dict:
    """What a dishonest operator with the node's keys can produce for a rewritten trail."""
    from judicare.audit.checkpoints import b64, node_binding

    key = node.app.audit_anchor.key()
    checkpoint = sign(key, origin=document["origin"], size=size, head=head, at=document["at"])
    ring = node.store.ring
    binding = node_binding(checkpoint, ring.identity.node_id, bytes(key.verify_key))
    return {**document, **checkpoint.as_dict(),
            "node_signature": b64(ring.current.signing.sign(binding).signature)}  # fmt: skip


def _cosigned_by(b, witness, document) -> dict:
    with b.app.unit_of_work() as uow:
        return cosign_document(uow.session, b.store.ring, witness, document, T0)


def _export(a, prove_from=()) -> dict:
    extra = {"prove_from": prove_from} if prove_from else {}
    with a.app.unit_of_work() as uow:
        return export_checkpoint(uow.session, a.app.audit_anchor, a.store.ring, **extra)


def _keep(a, cosigned: dict) -> None:
    with a.app.unit_of_work() as uow:
        add_cosigned(uow.session, a.app.audit_anchor, a.store.ring, cosigned)


def test_honest_growth_is_cosigned_with_its_consistency_proof(pair, tmp_path):  # noqa: F811
    a, b, _ = pair
    witness = WitnessState(tmp_path / "b")
    _write(a.app, 3)
    first = _export(a)
    assert first["root"] and first["consistency"] == []
    _keep(a, _cosigned_by(b, witness, first))
    _write(a.app, 4)
    grown = _export(a)  # proves from the size b cosigned, known from the kept cosignature
    assert [(p["from"], p["to"]) for p in grown["consistency"]] == [(first["size"], grown["size"])]
    _keep(a, _cosigned_by(b, witness, grown))
    seen = json.loads(witness.path.read_text())[a.id][grown["origin"]]
    assert (seen["size"], seen["root"]) == (grown["size"], grown["root"])
    with a.app.unit_of_work() as uow:
        report = verify_trail(uow.session, a.app.audit_anchor, a.store.ring)
    assert report.problems == [] and [c["size"] for c in report.cosigned] == [
        first["size"],
        grown["size"],
    ]


def test_an_operator_who_rewrites_history_and_grows_it_is_refused(pair, tmp_path):  # noqa: F811
    """The attack a witness could not see before Merkle roots: the operator, who holds the
    audit key, rewrites an early entry, recomputes every hash, throws the journal away and
    signs a fresh one, appends entries, and hands the witness a larger checkpoint."""
    a, b, _ = pair
    witness = WitnessState(tmp_path / "b")
    _write(a.app, 3)
    honest = _export(a)
    _keep(a, _cosigned_by(b, witness, honest))
    m = honest["size"]
    _tamper(a.app, "UPDATE audit_events SET why = 'it never happened' WHERE seq = 2")
    _rehash_from(a.app, 2)
    a.app.audit_anchor.journal.unlink()  # a fresh journal, signed with the audit key
    _write(a.app, 3)
    with a.app.unit_of_work() as uow:
        assert verify_trail(uow.session, a.app.audit_anchor).problems == []  # self-consistent
    rewritten = _export(a)  # with a proof from m, computed over the rewritten entries
    assert rewritten["size"] > m
    refused = f"the log at size {rewritten['size']} does not extend the one cosigned at size {m}"
    with pytest.raises(CheckpointRefused, match=f"{refused}: history was rewritten"):
        _cosigned_by(b, witness, rewritten)
    assert [p["from"] for p in rewritten["consistency"]] == [m]
    # Without a proof (the operator drops what the node kept of the cosignature): refused.
    bare = {**rewritten, "consistency": []}
    with pytest.raises(CheckpointRefused, match=f"no consistency proof from size {m}"):
        _cosigned_by(b, witness, bare)
    # A proof forged to fit is no better: any path the operator makes fails the old root.
    forged = {**rewritten, "consistency": [{"from": m, "to": rewritten["size"],
                                            "proof": ["00" * 32] * 3}]}  # fmt: skip
    with pytest.raises(CheckpointRefused, match="history was rewritten"):
        _cosigned_by(b, witness, forged)
    assert json.loads(witness.path.read_text())[a.id][honest["origin"]]["size"] == m


def test_a_proof_for_the_wrong_size_is_refused(pair, tmp_path):  # noqa: F811
    a, b, _ = pair
    witness = WitnessState(tmp_path / "b")
    _write(a.app, 3)
    first = _export(a)
    _cosigned_by(b, witness, first)  # not kept by a: a does not know b's size
    m = first["size"]
    _write(a.app, 3)
    other = _export(a, prove_from=[m - 1])
    assert [p["from"] for p in other["consistency"]] == [m - 1]
    with pytest.raises(CheckpointRefused, match=f"export with --prove-from {m}"):
        _cosigned_by(b, witness, other)
    relabelled = {**other, "consistency": [{**other["consistency"][0], "from": m}]}
    with pytest.raises(CheckpointRefused, match=f"does not extend the one cosigned at size {m}"):
        _cosigned_by(b, witness, relabelled)
    right = _export(a, prove_from=[m])
    assert _cosigned_by(b, witness, right)["cosignatures"]


def test_witness_consistency_rules():
    seen = {"size": 10, "head": "a" * 64, "at": "t"}
    same = Checkpoint("o", 10, "a" * 64, "t2")
    witness_consistent(same, seen)
    witness_consistent(Checkpoint("o", 11, "b" * 64, "t2"), seen)
    with pytest.raises(Inconsistent, match="forked"):
        witness_consistent(Checkpoint("o", 10, "b" * 64, "t2"), seen)
    with pytest.raises(Inconsistent, match="rolled back"):
        witness_consistent(Checkpoint("o", 9, "a" * 64, "t2"), seen)
    # With the root it cosigned, a witness needs a consistency proof to go further.
    leaves = [entry_leaf(f"{i:064x}") for i in range(14)]
    root10, root14 = (merkle.root(leaves[:n]).hex() for n in (10, 14))
    rooted = {**seen, "root": root10}
    grown = Checkpoint("o", 14, "b" * 64, "t2", root=root14)
    proof = merkle.consistency_proof(leaves, 10)
    witness_consistent(grown, rooted, {10: proof})
    with pytest.raises(Inconsistent, match="no consistency proof from size 10"):
        witness_consistent(grown, rooted, {9: merkle.consistency_proof(leaves, 9)})
    with pytest.raises(Inconsistent, match="does not extend the one cosigned at size 10"):
        witness_consistent(grown, rooted, {10: proof[:-1]})
    with pytest.raises(Inconsistent, match="has no Merkle root"):
        witness_consistent(Checkpoint("o", 14, "b" * 64, "t2"), rooted, {10: proof})
    with pytest.raises(Inconsistent, match="forked"):
        witness_consistent(Checkpoint("o", 10, "a" * 64, "t2", root="0" * 64), rooted)


# --- the commands ------------------------------------------------------------------------


def test_checkpoint_command_prints_the_signed_head_and_verify_reports_it(audited, tmp_path):
    url = audited.engine.url.render_as_string(hide_password=False)
    printed = runner.invoke(cli, ["audit", "checkpoint", "--db", url], catch_exceptions=False)
    assert printed.exit_code == 0, printed.output
    document = json.loads(printed.stdout)
    assert document["size"] == _size(audited) and document["cosignatures"] == []
    human = runner.invoke(cli, ["audit", "verify", "--db", url], catch_exceptions=False)
    assert human.exit_code == 0
    assert "The audit trail is intact" in human.stdout
    assert f"covers {_size(audited)} entries" in human.stdout
    (tmp_path / "checkpoint.json").write_text(printed.stdout)
    # This node has no node keys yet: it can neither witness nor keep cosignatures.
    for command in ("cosign", "add-cosigned"):
        refused = runner.invoke(cli, ["audit", command, str(tmp_path / "checkpoint.json"),
                                      "--db", url])  # fmt: skip
        assert refused.exit_code == 5 and "judicare node init" in refused.output


def test_checkpoint_command_proves_from_the_sizes_asked(audited):
    url = audited.engine.url.render_as_string(hide_password=False)
    size = _size(audited)
    printed = runner.invoke(cli, ["audit", "checkpoint", "--db", url, "--prove-from", "2",
                                  "--prove-from", "7"], catch_exceptions=False)  # fmt: skip
    assert printed.exit_code == 0, printed.output
    document = json.loads(printed.stdout)
    hashes = _hashes(audited)
    assert document["root"] == entries_root(hashes)
    leaves = [entry_leaf(h) for h in hashes]
    for proof, m in zip(document["consistency"], (2, 7), strict=True):
        assert (proof["from"], proof["to"]) == (m, size)
        path = [bytes.fromhex(h) for h in proof["proof"]]
        assert merkle.verify_consistency(
            m, size, merkle.root(leaves[:m]), bytes.fromhex(document["root"]), path
        )
    too_far = runner.invoke(cli, ["audit", "checkpoint", "--db", url,
                                  "--prove-from", str(size + 1)])  # fmt: skip
    assert too_far.exit_code == 2 and "--prove-from" in too_far.output


def test_checkpoint_command_refuses_to_sign_a_tampered_trail(audited):
    size = _size(audited)
    _tamper(audited, f"DELETE FROM audit_events WHERE seq = {size}")
    url = audited.engine.url.render_as_string(hide_password=False)
    refused = runner.invoke(cli, ["audit", "checkpoint", "--db", url])
    assert refused.exit_code == 1 and "does not verify" in refused.output
    assert audited.audit_anchor.latest().size == size  # nothing new signed
