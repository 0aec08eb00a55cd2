"""Verifying the whole trail — the chain, then the signed checkpoints, then the checkpoints
cosigned by peer witnesses — and the witness's side: cosigning another node's checkpoint.

The order follows the reference design (reliability_security.md, audit log): the chain
from the first entry, then each checkpoint's signature, then the database's consistency
with every checkpoint. A problem names the entries concerned where it can.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from judicare.audit import checkpoints, merkle
from judicare.audit.chain import Problem, canonical_time, verify
from judicare.audit.checkpoints import Checkpoint, b64, short, unb64
from judicare.audit.journal import AuditAnchor, WitnessState
from judicare.audit.models import AuditEventRow
from judicare.audit.service import hashes_between
from judicare.errors import Conflict, InvalidInput, JudicareError
from judicare.exchange.peers import load_peer


class CheckpointRefused(Conflict):
    """A witness refuses a checkpoint: forged, from an unknown node, or inconsistent."""

    code = "checkpoint_refused"


@dataclass
class TrailReport:
    entries: int
    problems: list[Problem] = field(default_factory=list)
    journal: str | None = None
    signed: int = 0  # authentic signed checkpoints read
    latest: Checkpoint | None = None
    after_latest: int = 0
    cosigned: list[dict] = field(default_factory=list)
    # Refusals of this node's checkpoints by peer witnesses, answered over the exchange
    # (exchange.witness), as the trail records them.
    witness_refusals: list[dict] = field(default_factory=list)

    def summary(self) -> dict:
        """The new fields of `judicare audit verify --json`."""
        latest = self.latest
        return {
            "checkpoints": {
                "journal": self.journal,
                "signed": self.signed,
                "latest": None if latest is None
                else {"size": latest.size, "head": latest.head, "at": latest.at,
                      "root": latest.root or None},
                "entries_after_latest": self.after_latest,
                "cosigned": self.cosigned,
                "witness_refusals": self.witness_refusals,
            },
        }  # fmt: skip


def verify_trail(session: Session, anchor: AuditAnchor | None, ring=None) -> TrailReport:
    """`ring`: this node's keys, needed only to check cosignatures against its peers."""
    # Plain rows, not ORM objects: the check reads each entry once, and building 50,000
    # tracked objects cost more than hashing them (bench/audit_verify.py).
    table = AuditEventRow.__table__
    entries = session.execute(select(table).order_by(table.c.seq)).all()
    report = TrailReport(len(entries), verify(entries))
    report.witness_refusals = [_refusal(entry) for entry in entries
                               if entry.tag == WITNESS_REFUSED]  # fmt: skip
    if anchor is None:
        return report
    hashes = {entry.seq: entry.hash for entry in entries}
    report.journal = str(anchor.journal)
    signed = _signed_checkpoints(anchor, report)
    before = len(report.problems)
    witnessed = _cosigned_checkpoints(session, anchor, ring, report)
    # The cosigned checkpoints' own problems are reported after the signed ones', as before.
    cosigned_problems = report.problems[before:]
    del report.problems[before:]
    roots = merkle_roots(entries, {c.size for c in signed + witnessed if c.root})
    anchored = checkpoints.check(hashes, signed, by="signed checkpoint", roots=roots)
    report.problems += anchored.problems + cosigned_problems
    report.signed, report.latest, report.after_latest = (
        len(signed), anchored.latest, anchored.after_latest
    )  # fmt: skip
    if anchored.latest is None:
        report.after_latest = len(entries)
    report.problems += checkpoints.check(
        hashes, witnessed, by="cosigned checkpoint", roots=roots
    ).problems
    return report


WITNESS_REFUSED = "node:audit:witness-refused"


def _refusal(entry) -> dict:
    details = entry.details if isinstance(entry.details, dict) else {}
    return {"seq": entry.seq, "at": canonical_time(entry.at),
            **{k: details.get(k) for k in ("witness", "size", "head", "reason")}}  # fmt: skip


def merkle_roots(entries, sizes: set[int]) -> dict[int, str]:
    """The Merkle root of entries 1..size for each size asked, in one pass over the entries
    (a frontier extended entry by entry, folded at each size). Stops at the first gap in
    the sequence: the chain check names it, and no root past it can be right."""
    roots: dict[int, str] = {}
    if not sizes:
        return roots
    frontier, last = merkle.Frontier(), max(sizes)
    for entry in entries:
        if entry.seq != frontier.size + 1 or entry.seq > last:
            break
        try:
            frontier.append(merkle.entry_leaf(entry.hash))
        except ValueError:  # not a hash at all: the chain check names the entry
            break
        if entry.seq in sizes:
            roots[entry.seq] = frontier.root().hex()
    return roots


def _signed_checkpoints(anchor: AuditAnchor, report: TrailReport) -> list[Checkpoint]:
    lines = anchor.lines()
    if not lines:
        return []

    def problem(kind: str, message: str) -> None:
        report.problems.append(Problem(0, kind, message))

    key = anchor.key(create=False)
    if key is None:
        problem(
            "checkpoint_key_missing",
            f"the audit key {anchor.directory / 'checkpoint.key'} is missing: the "
            f"{len(lines)} checkpoints in {anchor.journal} cannot be checked; restore the "
            "key directory from its backup",
        )
        return []
    public = bytes(key.verify_key)
    valid = []
    for line in lines:
        checkpoint = line.checkpoint
        where = f"line {line.number} of the checkpoint journal {anchor.journal}"
        if checkpoint is None:
            problem("forged_checkpoint", f"{where} cannot be read: {line.error}")
        elif (signed := checkpoints.authentic(checkpoint, public)) is None:
            claims = f"{checkpoint.size} entries with head {short(checkpoint.head)}"
            problem(
                "forged_checkpoint",
                f"{where} is not signed by this node's audit key (forged or damaged): "
                f"it claims {claims}",
            )
        elif checkpoint.origin != anchor.origin:
            problem(
                "foreign_checkpoint",
                f"{where} is for the trail {checkpoint.origin}, not {anchor.origin}: "
                "the journal was copied from another database",
            )
        else:
            valid.append(signed)
    return valid


def _cosigned_checkpoints(session, anchor, ring, report: TrailReport) -> list[Checkpoint]:
    """Checkpoints returned by witnesses with at least one valid cosignature."""
    documents = anchor.cosigned_documents()
    if not documents or ring is None:
        return []  # without the node's keys the peer directory cannot be trusted
    key = anchor.key(create=False)
    public = bytes(key.verify_key) if key else b""
    result = []
    for number, document in documents:
        where = f"line {number} of {anchor.cosigned}"
        try:
            checkpoint = Checkpoint.from_dict(document or {})
        except ValueError as exc:
            report.problems.append(Problem(0, "bad_cosignature", f"{where}: {exc}"))
            continue
        signed = checkpoints.authentic(checkpoint, public)
        if signed is None:
            report.problems.append(Problem(0, "bad_cosignature", (
                f"{where} holds a checkpoint not signed by this node's audit key")))  # fmt: skip
            continue
        checkpoint = signed
        witnesses, bad = _valid_witnesses(session, ring, checkpoint, document)
        for witness in bad:
            report.problems.append(Problem(0, "bad_cosignature", (
                f"{where}: the cosignature of {witness!r} does not verify against its key "
                "in the peer directory")))  # fmt: skip
        if witnesses:
            result.append(checkpoint)
            report.cosigned.append({"size": checkpoint.size, "head": checkpoint.head,
                                    "at": checkpoint.at, "witnesses": witnesses})  # fmt: skip
    return result


def _valid_witnesses(session, ring, checkpoint: Checkpoint, document: dict):

    node_id = str(document.get("node_id", ""))
    good, bad = [], []
    for item in document.get("cosignatures") or []:
        try:
            cosignature = checkpoints.Cosignature(
                str(item["witness"]), str(item["key_id"]), str(item["at"]), str(item["signature"])
            )
        except (KeyError, TypeError):
            bad.append(str(item))
            continue
        try:
            peer = load_peer(session, ring, cosignature.witness)
        except JudicareError:  # a peer entry altered in the database: not trusted
            peer = None
        keys = peer[1].signing if peer else {}
        if checkpoints.cosignature_valid(cosignature, checkpoint, node_id, keys):
            good.append(cosignature.witness)
        else:
            bad.append(cosignature.witness)
    return good, bad


# --- handing a checkpoint to witnesses, and witnessing -----------------------------------


def export_checkpoint(
    session: Session, anchor: AuditAnchor, ring=None, prove_from: Iterable[int] = ()
) -> dict:
    """The latest signed checkpoint, signing the current head first if the database is
    ahead of the journal (only if the whole trail verifies), with the node's own signature
    binding the audit key to the node when the node has its keys.

    With it go consistency proofs (RFC 9162 §2.1.4) to its size from each size a witness
    last cosigned (from the cosigned checkpoints kept) and from each size in `prove_from`:
    a witness that cosigned size m needs the proof from m to cosign a larger checkpoint.
    Only hashes travel, never the entries."""
    report = verify_trail(session, anchor)
    if report.problems:
        raise JudicareError(
            f"the audit trail does not verify ({len(report.problems)} problem(s)): run "
            "`judicare audit verify`; no checkpoint is signed for a tampered trail"
        )
    head = session.scalars(select(AuditEventRow).order_by(AuditEventRow.seq.desc()).limit(1))
    last = head.first()
    read = partial(hashes_between, session)
    if last is not None and (report.latest is None or last.seq > report.latest.size):
        anchor.append(last.seq, last.hash, read=read)
    elif last is not None and not report.latest.root:  # an old journal: sign its root once
        anchor.append(last.seq, last.hash, read=read, rootless_again=True)
    latest = anchor.latest()
    if latest is None:
        raise InvalidInput("the audit trail is empty: there is no checkpoint to sign yet")
    asked = set(prove_from)
    too_large = sorted(m for m in asked if not 0 < m <= latest.size)
    if too_large:
        raise InvalidInput(
            f"--prove-from {too_large[0]}: a proof is from a size between 1 and "
            f"{latest.size}, the size of the latest checkpoint"
        )
    sizes = asked | {m for m in _witnessed_sizes(anchor) if 0 < m <= latest.size}
    proofs = _consistency(session, latest.size, sizes) if latest.root else []
    public = bytes(anchor.key().verify_key)
    document = {**latest.as_dict(), "public_key": b64(public)}
    if ring is not None:
        node_id = ring.identity.node_id
        binding = checkpoints.node_binding(latest, node_id, public)
        document |= {
            "node_id": node_id,
            "node_key_id": ring.current.signing_id,
            "node_signature": b64(ring.current.signing.sign(binding).signature),
        }
    return document | {"cosignatures": [], "consistency": proofs}


def _witnessed_sizes(anchor: AuditAnchor) -> set[int]:
    """The size each witness last cosigned, from the cosigned checkpoints this node kept."""
    last: dict[str, int] = {}
    for _number, document in anchor.cosigned_documents():
        if not isinstance(document, dict) or document.get("origin") != anchor.origin:
            continue
        size = document.get("size")
        if not isinstance(size, int) or isinstance(size, bool):
            continue
        for item in document.get("cosignatures") or []:
            witness = str(item.get("witness")) if isinstance(item, dict) else ""
            last[witness] = max(last.get(witness, 0), size)
    return set(last.values())


def _consistency(session: Session, size: int, sizes: set[int]) -> list[dict]:
    if not sizes:
        return []
    leaves = [merkle.entry_leaf(h) for h in hashes_between(session, 1, size)]
    return [
        {"from": m, "to": size,
         "proof": [h.hex() for h in merkle.consistency_proof(leaves, m)]}
        for m in sorted(sizes)
    ]  # fmt: skip


def cosign_document(
    session: Session, ring, state: WitnessState, document: dict, now: datetime
) -> dict:
    """As a witness: check another node's checkpoint (its node signature against the peer
    directory, its audit signature, and consistency with what this node cosigned before for
    that trail), record it, and return it with this node's cosignature added."""
    try:
        checkpoint = Checkpoint.from_dict(document)
        node_id = str(document["node_id"])
        node_key_id = str(document["node_key_id"])
        audit_public = unb64(document["public_key"])
        node_signature = unb64(document["node_signature"])
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(f"not a checkpoint handed to witnesses: {exc}") from None
    checkpoint = checkpoints.authentic(checkpoint, audit_public or b"") or checkpoint
    peer = load_peer(session, ring, node_id)
    if peer is None:
        raise CheckpointRefused(f"node {node_id!r} is not in the peer directory")
    node_key = peer[1].signing.get(node_key_id)
    binding = checkpoints.node_binding(checkpoint, node_id, audit_public or b"")
    if (node_key is None or node_signature is None or audit_public is None
            or not checkpoints._valid(node_key, binding, node_signature)):  # fmt: skip
        raise CheckpointRefused(f"the checkpoint is not signed by node {node_id!r}'s key")
    if not checkpoints.signed_by(checkpoint, audit_public):
        raise CheckpointRefused("the checkpoint's signature does not match its audit key")
    with state.update() as witnessed:
        trails = witnessed.setdefault(node_id, {})
        proofs = checkpoints.proofs_of(document, checkpoint.size)
        try:
            checkpoints.witness_consistent(checkpoint, trails.get(checkpoint.origin), proofs)
        except checkpoints.Inconsistent as exc:
            refused = f"refused to cosign node {node_id!r}'s checkpoint: {exc}"
            raise CheckpointRefused(refused) from None
        trails[checkpoint.origin] = {"size": checkpoint.size, "head": checkpoint.head,
                                     "at": checkpoint.at, "root": checkpoint.root}  # fmt: skip
    cosignature = checkpoints.cosign(
        ring.current.signing, checkpoint, node_id=node_id,
        witness_id=ring.identity.node_id, at=canonical_time(now),
    )  # fmt: skip
    return {**document, "cosignatures": [*document.get("cosignatures", []),
                                         cosignature.as_dict()]}  # fmt: skip


def add_cosigned(session: Session, anchor: AuditAnchor, ring, document: dict) -> list[str]:
    """Keep a checkpoint cosigned by witnesses; returns the witnesses whose cosignature
    verifies. Refuses a document that is not this trail's or has no valid cosignature."""
    try:
        checkpoint = Checkpoint.from_dict(document)
    except ValueError as exc:
        raise InvalidInput(f"not a cosigned checkpoint: {exc}") from None
    key = anchor.key(create=False)
    signed = checkpoints.authentic(checkpoint, bytes(key.verify_key)) if key else None
    if signed is None:
        raise CheckpointRefused("this checkpoint is not signed by this node's audit key")
    checkpoint = signed
    if checkpoint.origin != anchor.origin:
        raise CheckpointRefused(f"this checkpoint is for {checkpoint.origin}, not this trail")
    good, _bad = _valid_witnesses(session, ring, checkpoint, document)
    if not good:
        raise CheckpointRefused("no cosignature verifies against the peer directory")
    anchor.add_cosigned(document)
    return good
