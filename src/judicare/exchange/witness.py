"""Audit witnessing over the node exchange (issue 13 §4): a node hands its latest signed
audit checkpoint to a peer, the peer cosigns it as a witness (or refuses it: a fork, a
rollback, a larger trail without a consistency proof that verifies) and answers, and the
node keeps the cosigned checkpoint, so that `judicare audit verify` checks against it.

The same checks as the file-based `judicare audit cosign` / `add-cosigned`
(audit.trail): only the transport is new. These messages concern no request. Only the
checkpoint's size, head, origin and hashes travel and are audited, never entry contents.
A refusal is an answer, not a failed envelope: the envelope was fine, its checkpoint was
not.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from judicare.audit.journal import AuditAnchor, WitnessState
from judicare.audit.service import ANCHOR, AuditAction, record
from judicare.audit.trail import CheckpointRefused, add_cosigned, cosign_document, export_checkpoint
from judicare.errors import InvalidInput
from judicare.exchange.canonical import AUDIT_CHECKPOINT, AUDIT_COSIGNATURE
from judicare.exchange.errors import Malformed

_REASON = 500  # characters of a refusal's reason kept in the trail


def send_checkpoint(
    session: Session, node, anchor: AuditAnchor, peer_id: str, *, actor: str, now: datetime
):
    """Queue the latest signed checkpoint (with consistency proofs from the sizes witnesses
    last cosigned, as `judicare audit checkpoint` exports it) for a peer witness, in the
    caller's transaction. Returns (outbox row, document)."""
    from judicare.exchange.service import send_message

    document = export_checkpoint(session, anchor, node.ring())
    row = send_message(
        session, node, peer_id=peer_id, kind=AUDIT_CHECKPOINT, body={"checkpoint": document},
        actor=actor, why="audit checkpoint handed to a peer witness", now=now,
    )  # fmt: skip
    return row, document


def _claims(document) -> dict:
    """What a checkpoint says of itself, for the trail: origin, size and head only."""
    if not isinstance(document, dict):
        return {"origin": None, "size": None, "head": None}
    size = document.get("size")
    return {
        "origin": str(document.get("origin", ""))[:300] or None,
        "size": size if isinstance(size, int) and not isinstance(size, bool) else None,
        "head": str(document.get("head", ""))[:64] or None,
    }


def apply_checkpoint(session: Session, node, verified, body: dict, inbox, now) -> dict:
    """As a witness: cosign the sender's checkpoint or refuse it, audit the outcome, and
    queue the answer to the sender in this transaction."""
    from judicare.exchange.service import send_message

    ring = node.ring()
    document = body.get("checkpoint")
    claims = _claims(document)
    inbox.body_summary = {"checkpoint": claims}
    reason, cosigned = None, None
    if not isinstance(document, dict):
        reason = "not a checkpoint handed to witnesses: body.checkpoint is not an object"
    elif str(document.get("node_id")) != verified.sender:
        reason = (
            f"the checkpoint is node {str(document.get('node_id'))[:80]!r}'s, not the "
            f"sender's ({verified.sender}): a node hands over its own checkpoints"
        )
    else:
        state = WitnessState(node.settings.effective_node_keys_dir / "audit")
        try:
            cosigned = cosign_document(session, ring, state, document, now)
        except (CheckpointRefused, InvalidInput) as exc:
            reason = exc.message
    why = f"audit checkpoint received from node {verified.sender} as message {verified.message_id}"
    details = {**claims, "node": verified.sender, "message_id": verified.message_id}
    if reason is None:
        tag, answer = "node:audit:cosigned", {"cosigned": cosigned}
        outcome = {"cosigned": True, "size": claims["size"]}
    else:
        details["reason"] = reason[:_REASON]
        tag = "node:audit:cosign-refused"
        answer = {"refused": reason[:_REASON], "size": claims["size"], "head": claims["head"]}
        outcome = {"cosigned": False, "refused": reason[:_REASON]}
    record(
        session, actor=f"node:{verified.sender}", action=AuditAction.COLLECTION, tag=tag,
        subject_type="message", subject_id=verified.message_id, why=why, at=now,
        details=details,
    )  # fmt: skip
    send_message(
        session, node, peer_id=verified.sender, kind=AUDIT_COSIGNATURE, body=answer,
        actor=f"exchange.{ring.identity.node_id}", why=f"witness answer: {why}", now=now,
        conversation_id=inbox.conversation_id,
    )  # fmt: skip
    return outcome


def apply_answer(session: Session, node, verified, body: dict, inbox, now) -> dict:
    """At the origin: keep a checkpoint the sender cosigned (only the sender's own
    cosignature counts), or record its refusal. A cosignature that does not verify is
    recorded as a refusal; the envelope is still received."""
    if "cosigned" in body:
        document = body["cosigned"]
        claims = _claims(document)
        reason = None
        anchor = session.info.get(ANCHOR)
        if not isinstance(document, dict):
            reason = "body.cosigned is not a checkpoint object"
        elif anchor is None:
            reason = "this node keeps no signed audit checkpoints"
        else:
            own = [
                item for item in document.get("cosignatures") or []
                if isinstance(item, dict) and item.get("witness") == verified.sender
            ]  # fmt: skip
            try:
                add_cosigned(session, anchor, node.ring(), {**document, "cosignatures": own})
            except (CheckpointRefused, InvalidInput) as exc:
                reason = exc.message
        if reason is not None:
            reason = f"the cosigned checkpoint was not kept: {reason}"
    elif "refused" in body:
        claims = _claims(body)
        claims.pop("origin")
        reason = f"the witness refused: {body['refused']!s}"
    else:
        raise Malformed("an audit_cosignature message needs body.cosigned or body.refused")
    inbox.body_summary = {"checkpoint": claims, "kept": reason is None}
    details = {**claims, "witness": verified.sender, "message_id": verified.message_id}
    if reason is None:
        tag = "node:audit:witness-cosigned"
    else:
        tag, details["reason"] = "node:audit:witness-refused", reason[:_REASON]
    record(
        session, actor=f"node:{verified.sender}", action=AuditAction.COLLECTION, tag=tag,
        subject_type="message", subject_id=verified.message_id, at=now,
        why=f"witness answer received from node {verified.sender}", details=details,
    )  # fmt: skip
    return {"kept": reason is None}
