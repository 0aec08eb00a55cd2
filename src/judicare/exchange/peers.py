"""The peer directory: which nodes this node trusts, with their keys.

A peer is added from its node card (self-signed) only when the operator confirms the
card's key fingerprint, read out through another channel; the entry is then signed by this
node, and every later use checks that signature, so a row altered in the database is not
trusted. A peer that rotates its keys announces a card signed by a key we already trust.
"""

from __future__ import annotations

import functools
from datetime import datetime

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from judicare.audit.service import AuditAction, record
from judicare.exchange.canonical import canonical_bytes, parse_canonical
from judicare.exchange.envelopes import PeerKeys, b64, card_keys, card_vouched_by, unb64
from judicare.exchange.errors import (
    BadSignature,
    FingerprintMismatch,
    PeerExists,
    UnknownPeer,
)
from judicare.exchange.keys import KeyRing, fingerprint, normalise_fingerprint
from judicare.exchange.models import PeerRow
from judicare.states import resolve_state


def _entry(row: PeerRow) -> bytes:
    return canonical_bytes(
        {
            "node_id": row.node_id, "state": row.state, "authority": row.authority,
            "endpoint": row.endpoint, "card": row.card,
            "confirmed_fingerprint": row.confirmed_fingerprint, "active": bool(row.active),
        }
    )  # fmt: skip


@functools.lru_cache(maxsize=256)
def _endorsed_keys(public: bytes, entry: bytes, endorsement: str) -> PeerKeys | None:
    """The keys of a peer entry if `endorsement` is our signature over these exact entry
    bytes, else None. A pure function of its arguments, so each peer entry is verified once
    per process and version, not once per envelope and receipt (an altered entry is other
    bytes, verified afresh). The keys are read from the card inside the endorsed bytes, so
    the card's own signature is checked once per version too, and what is returned is
    exactly what we endorsed."""
    try:
        VerifyKey(public).verify(entry, unb64(endorsement, "the peer endorsement"))
    except BadSignatureError:
        return None
    return card_keys(parse_canonical(entry, "peer entry")["card"])


def _endorse(ring: KeyRing, row: PeerRow) -> None:
    row.endorsement = b64(ring.current.signing.sign(_entry(row)).signature)
    row.endorsement_key = ring.current.signing_id


def _check_endorsement(ring: KeyRing, row: PeerRow) -> PeerKeys:
    """The entry's keys, once its endorsement by this node checks out."""
    for generation in ring.generations:
        if generation.signing_id == row.endorsement_key:
            keys = _endorsed_keys(generation.signing_public, _entry(row), row.endorsement)
            if keys is not None:
                return keys
            break
    raise BadSignature(
        f"the directory entry of peer {row.node_id!r} is not signed by this node: it was "
        "altered outside Judicare; remove it and add the peer again"
    )


def add_peer(
    session: Session,
    ring: KeyRing,
    card: dict,
    confirmed: str,
    *,
    now: datetime,
    actor: str,
    endpoint: str | None = None,
) -> PeerRow:
    keys = card_keys(card)
    body = card["body"]
    actual = fingerprint(keys.signing[body["current"]["signing"]])
    if normalise_fingerprint(confirmed) != normalise_fingerprint(actual):
        raise FingerprintMismatch(
            f"the card of {keys.node_id!r} has fingerprint {actual}, not the one confirmed "
            f"({confirmed}): do not add this peer; check the card with its authority"
        )
    if keys.node_id == ring.identity.node_id:
        raise PeerExists("this is this node's own card")
    row = session.get(PeerRow, keys.node_id)
    if row is not None and row.active:
        raise PeerExists(
            f"peer {keys.node_id!r} is already in the directory: remove it first to replace it"
        )
    if row is None:
        row = PeerRow(node_id=keys.node_id, added_at=now)
        session.add(row)
    row.state = resolve_state(body["state"]).alpha3
    row.authority = body["authority"]
    row.endpoint = endpoint or body["endpoint"]
    row.card = card
    row.confirmed_fingerprint = normalise_fingerprint(actual)
    row.active = True
    row.updated_at = now
    _endorse(ring, row)
    session.flush()
    _audit(session, actor, row, "add", now, {"fingerprint": actual, "endpoint": row.endpoint})
    return row


def remove_peer(session: Session, ring: KeyRing, node_id: str, *, now: datetime, actor: str):
    """The entry stays (inactive), so that its receipts remain verifiable evidence."""
    row = session.get(PeerRow, node_id)
    if row is None or not row.active:
        raise UnknownPeer(f"no active peer {node_id!r}: see `judicare node peers list`")
    row.active = False
    row.updated_at = now
    _endorse(ring, row)
    session.flush()
    _audit(session, actor, row, "remove", now, {})


def list_peers(session: Session) -> list[dict]:
    rows = session.scalars(select(PeerRow).order_by(PeerRow.node_id)).all()
    return [
        {
            "node_id": r.node_id, "state": r.state, "authority": r.authority,
            "endpoint": r.endpoint, "fingerprint": fingerprint(
                card_keys(r.card).signing[r.card["body"]["current"]["signing"]]),
            "active": r.active,
        }
        for r in rows
    ]  # fmt: skip


def load_peer(session: Session, ring: KeyRing, node_id: str) -> tuple[PeerRow, PeerKeys] | None:
    """An active, endorsed peer and its keys; None if the node is not a peer."""
    row = session.get(PeerRow, node_id)
    if row is None or not row.active:
        return None
    keys = _check_endorsement(ring, row)
    # Held for the session's life, so that the next message of the same transaction finds
    # the row in the identity map (read again after a commit, which expires it).
    session.info.setdefault(_HELD, {})[node_id] = row
    return row, keys


_HELD = "judicare.exchange.peers"


def accept_rotation(
    session: Session, ring: KeyRing, row: PeerRow, trusted: PeerKeys, card: dict, now: datetime
) -> PeerKeys | None:
    """A newer card from a peer, if one of its keys we trust vouches for it."""
    if not card_vouched_by(card, trusted, row.card["body"]["current"]["signing"]):
        return None
    # Take the row's lock and look again: a concurrent delivery may have just accepted it,
    # or accepted another rotation, whose current key must then be the one that vouches.
    session.refresh(row, with_for_update=True)
    if row.card["body"].get("current") == card["body"].get("current"):
        return card_keys(row.card)
    trusted = card_keys(row.card)
    if not card_vouched_by(card, trusted, row.card["body"]["current"]["signing"]):
        return None
    keys = card_keys(card)
    # Keep every key ever trusted, so that older evidence still verifies.
    if not set(trusted.signing) <= set(keys.signing):
        return None
    row.card = card
    row.updated_at = now
    _endorse(ring, row)
    session.flush()
    _audit(
        session, f"node:{row.node_id}", row, "rotate", now,
        {"signing_key": card["body"]["current"]["signing"]},
    )  # fmt: skip
    return keys


def _audit(session, actor, row: PeerRow, verb: str, now: datetime, details: dict) -> None:
    record(
        session, actor=actor, action=AuditAction.ALTERATION, tag=f"node:peer:{verb}",
        subject_type="peer", subject_id=row.node_id, why="peer directory", at=now,
        details=details,
    )  # fmt: skip
