"""Envelopes and node cards: sealing, signing, verifying, opening. Pure: values in, values
out; no database, no network, no clock (time is an argument).

An envelope is encrypt-then-sign. The payload (message id, sender, recipient, type and
body, in canonical bytes) is sealed for the recipient's X25519 key (libsodium sealed box,
through PyNaCl); the header (type, ids, times, key ids and the ciphertext) is signed with the
sender's Ed25519 key. Because a sealed box does not say who sealed it, the payload repeats
the sender and message id and the receiver checks they match the signed header: an
attacker who re-signs someone else's ciphertext under its own name is caught.

The wire form is `canonical_bytes({"header": ..., "signature": ...})`; its SHA-256 is what
receipts bind, and a retry sends exactly the same bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from nacl.exceptions import BadSignatureError, CryptoError
from nacl.public import PublicKey, SealedBox
from nacl.signing import VerifyKey

from judicare.exchange.canonical import (
    ENVELOPE_FORMAT,
    MessageType,
    canonical_bytes,
    message_type,
    parse_canonical,
)
from judicare.exchange.errors import (
    BadSignature,
    Expired,
    Malformed,
    NotYetValid,
    UnknownSender,
    WrongKey,
    WrongRecipient,
)
from judicare.exchange.keys import KeyRing, key_id

CARD_FORMAT = "judicare.node-card/1"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text, what: str) -> bytes:
    try:
        return base64.b64decode(str(text).encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise Malformed(f"{what} is not valid base64") from None


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def timestamp(moment: datetime) -> str:
    """UTC, microseconds, a trailing Z: one text form per instant."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# The form `timestamp` writes, read without strptime (a fifth of the cost of reading an
# envelope's two times); any other text strptime still decides on, as before.
_TIMESTAMP = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})\.([0-9]{6})Z"
)


def parse_timestamp(text, what: str) -> datetime:
    try:
        found = _TIMESTAMP.fullmatch(text) if isinstance(text, str) else None
        if found is not None:
            return datetime(*map(int, found.groups()), tzinfo=UTC)
        return datetime.strptime(str(text), "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError:
        raise Malformed(
            f"{what} {text!r} is not a UTC timestamp like 2026-11-23T10:00:00.000000Z"
        ) from None


# --- what a node knows about a peer -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class PeerKeys:
    """A peer's public keys: every signing key ever trusted (for verification) and its
    encryption keys, `encryption_current` being the one to seal new messages for."""

    node_id: str
    signing: dict[str, bytes]
    encryption: dict[str, bytes]
    encryption_current: str


# --- node cards ----------------------------------------------------------------------------


def card_body(ring: KeyRing, issued_at: datetime) -> dict:
    identity = ring.identity
    return {
        "format": CARD_FORMAT,
        "node_id": identity.node_id,
        "state": identity.state,
        "authority": identity.authority,
        "endpoint": identity.endpoint,
        "signing_keys": [
            {"id": g.signing_id, "public": b64(g.signing_public)} for g in ring.generations
        ],
        "encryption_keys": [
            {"id": g.encryption_id, "public": b64(g.encryption_public)} for g in ring.generations
        ],
        "current": {"signing": ring.current.signing_id, "encryption": ring.current.encryption_id},
        "issued_at": timestamp(issued_at),
    }


def make_card(ring: KeyRing, issued_at: datetime) -> dict:
    """The node's self-description, signed by every signing key it has had: the current
    key proves possession, the older ones vouch for the rotation to peers who knew them."""
    body = card_body(ring, issued_at)
    data = canonical_bytes(body)
    signatures = {g.signing_id: b64(g.signing.sign(data).signature) for g in ring.generations}
    return {"body": body, "signatures": signatures}


def card_keys(card: dict) -> PeerKeys:
    """Check a card's shape and its current key's signature; return its keys."""
    try:
        body = card["body"]
        if not isinstance(card["signatures"], dict):
            raise Malformed("the node card's signatures must be an object")
        if body.get("format") != CARD_FORMAT:
            raise Malformed(f"not a node card (format must be {CARD_FORMAT})")
        signing = {k["id"]: unb64(k["public"], "a signing key") for k in body["signing_keys"]}
        encryption = {
            k["id"]: unb64(k["public"], "an encryption key") for k in body["encryption_keys"]
        }
        current_signing = body["current"]["signing"]
        current_encryption = body["current"]["encryption"]
    except (KeyError, TypeError, AttributeError):
        raise Malformed("the node card lacks body, signatures or key lists") from None
    for name, public in [*signing.items(), *encryption.items()]:
        if key_id(public) != name:
            raise Malformed(f"the card names key {name} but its bytes hash otherwise")
    if current_signing not in signing or current_encryption not in encryption:
        raise Malformed("the card's current keys are not among its keys")
    _check_card_signature(card, current_signing, signing[current_signing])
    return PeerKeys(body["node_id"], signing, encryption, current_encryption)


def card_vouched_by(card: dict, trusted: PeerKeys, current: str) -> bool:
    """Whether the peer's current signing key, as we know it, signed this card (key
    continuity). A retired key never vouches: a node rotates its keys precisely when an
    old one may be in other hands, and that key must not be able to name its successor."""
    if card.get("body", {}).get("node_id") != trusted.node_id:
        return False
    public = trusted.signing.get(current)
    if public is None or current not in card.get("signatures", {}):
        return False
    try:
        _check_card_signature(card, current, public)
    except BadSignature:
        return False
    return True


def live_signing_keys(keys: PeerKeys, card_body: dict, *, within_grace: bool) -> PeerKeys:
    """The keys that may sign a new message from the peer: its current signing key and,
    within the grace after its latest rotation, the one current just before (for what was
    on the way). Keys retired earlier never sign anything new; all stay on file, so that
    older evidence still verifies."""
    current = card_body["current"]["signing"]
    order = [k["id"] for k in card_body["signing_keys"]]
    live = {current}
    if within_grace and current in order and order.index(current) > 0:
        live.add(order[order.index(current) - 1])
    signing = {k: v for k, v in keys.signing.items() if k in live}
    return PeerKeys(keys.node_id, signing, keys.encryption, keys.encryption_current)


def _check_card_signature(card: dict, name: str, public: bytes) -> None:
    signature = unb64(card["signatures"].get(name, ""), "a card signature")
    try:
        VerifyKey(public).verify(canonical_bytes(card["body"]), signature)
    except (BadSignatureError, ValueError):
        raise BadSignature(f"the node card is not signed by its key {name}") from None


# --- envelopes -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Verified:
    """An envelope whose signature checked out; the payload is still sealed."""

    header: dict
    type: MessageType
    sha256: str
    created_at: datetime
    expires_at: datetime

    @property
    def message_id(self) -> str:
        return self.header["message_id"]

    @property
    def sender(self) -> str:
        return self.header["sender"]


def plaintext_bytes(header_fields: dict, body: dict) -> bytes:
    return canonical_bytes(
        {
            "message_id": header_fields["message_id"],
            "sender": header_fields["sender"],
            "recipient": header_fields["recipient"],
            "type": header_fields["type"],
            "type_version": header_fields["type_version"],
            "body": body,
        }
    )


def seal(
    ring: KeyRing,
    recipient: PeerKeys,
    kind: MessageType,
    body: dict,
    *,
    message_id: str,
    conversation_id: str,
    now: datetime,
    lifetime: timedelta,
    card: dict | None = None,
) -> bytes:
    """The envelope's bytes: payload sealed for the recipient, header signed by us."""
    kind.check_body(body)
    header = {
        "format": ENVELOPE_FORMAT,
        "type": kind.tag,
        "type_version": kind.version,
        "message_id": message_id,
        "conversation_id": conversation_id,
        "sender": ring.identity.node_id,
        "recipient": recipient.node_id,
        "signing_key": ring.current.signing_id,
        "encryption_key": recipient.encryption_current,
        "created_at": timestamp(now),
        "expires_at": timestamp(now + lifetime),
    }
    public = PublicKey(recipient.encryption[recipient.encryption_current])
    header["ciphertext"] = b64(SealedBox(public).encrypt(plaintext_bytes(header, body)))
    if card is not None:
        header["card"] = card
    return sign_header(ring, header)


def sign_header(ring: KeyRing, header: dict) -> bytes:
    """`canonical_bytes({"header": header, "signature": ...})`, put together from the
    header's canonical bytes as signed rather than serialising the header twice: keys sorted
    put "header" first, and base64 text needs no escaping (golden-bytes tests pin it)."""
    signed = canonical_bytes(header)
    signature = b64(ring.current.signing.sign(signed).signature)
    return b'{"header":' + signed + b',"signature":"' + signature.encode("ascii") + b'"}'


def parse(raw: bytes) -> tuple[dict, bytes]:
    """The header and signature of an envelope, shape-checked (no key needed)."""
    header, signature = _parse(raw)
    return header, unb64(signature, "the signature")


def parse_signed(raw: bytes) -> tuple[dict, bytes, bytes]:
    """As `parse`, with the bytes the signature covers (`verify`'s `signed`): the header's
    canonical bytes, cut from the envelope rather than serialised again. `_parse` found
    `raw` to be the canonical form of {"header": ..., "signature": ...}, whose keys sorted
    put the header first, and base64 text needs no escaping, so those bytes lie between
    the two known ends."""
    header, text = _parse(raw)
    signature = unb64(text, "the signature")
    head, tail = b'{"header":', b',"signature":"' + str(text).encode("ascii") + b'"}'
    if isinstance(text, str) and raw.startswith(head) and raw.endswith(tail):
        return header, signature, raw[len(head) : len(raw) - len(tail)]
    return header, signature, canonical_bytes(header)  # not expected: serialise it


def _parse(raw: bytes) -> tuple[dict, object]:
    outer = parse_canonical(raw, "envelope")
    if set(outer) != {"header", "signature"} or not isinstance(outer["header"], dict):
        raise Malformed("an envelope is an object with exactly a header and a signature")
    header = outer["header"]
    needed = {"format", "type", "type_version", "message_id", "conversation_id", "sender",
              "recipient", "signing_key", "encryption_key", "created_at", "expires_at",
              "ciphertext"}  # fmt: skip
    missing = sorted(needed - set(header))
    extra = sorted(set(header) - needed - {"card"})
    if missing or extra:
        raise Malformed(
            f"envelope header: missing {missing or 'nothing'}, unknown {extra or 'none'}"
        )
    if header["format"] != ENVELOPE_FORMAT:
        raise Malformed(f"envelope format {header['format']!r}: this node reads format 1")
    for name, longest in _HEADER_TEXT.items():
        value = header[name]
        if not isinstance(value, str) or not 0 < len(value) <= longest:
            raise Malformed(f"envelope header {name} must be text of 1 to {longest} characters")
    for name in ("message_id", "conversation_id"):
        if not _ID.fullmatch(header[name]):
            raise Malformed(f"envelope header {name} may hold only letters, digits and '-'")
    if not isinstance(header["type_version"], int) or isinstance(header["type_version"], bool):
        raise Malformed("envelope header type_version must be an integer")
    if "card" in header and not isinstance(header["card"], dict):
        raise Malformed("envelope header card must be an object")
    return header, outer["signature"]


# Bounds of the header's text fields (the columns that store them are no wider).
_HEADER_TEXT = {
    "type": 40, "message_id": 36, "conversation_id": 36, "sender": 64, "recipient": 64,
    "signing_key": 64, "encryption_key": 64, "created_at": 40, "expires_at": 40,
    "ciphertext": 200_000_000,
}  # fmt: skip
_ID = re.compile(r"[A-Za-z0-9-]+")


def verify(
    raw: bytes, header: dict, signature: bytes, me: str, peer: PeerKeys | None,
    signed: bytes | None = None,
) -> Verified:  # fmt: skip
    """Check recipient, sender and signature. Time is checked separately (`check_window`),
    after duplicate detection, so that a retry of a delivered message still gets its
    receipt once the window has passed. `signed`: the header's canonical bytes as
    `parse_signed` cut them from `raw` (else they are serialised from `header`)."""
    kind = message_type(str(header["type"]), header["type_version"])
    if header["recipient"] != me:
        raise WrongRecipient(f"this envelope is for node {header['recipient']!r}, not {me!r}")
    if peer is None:
        raise UnknownSender(
            f"node {header['sender']!r} is not in this node's peer directory: add it with "
            "`judicare node peers add`"
        )
    public = peer.signing.get(header["signing_key"])
    if public is None:
        raise BadSignature(
            f"node {peer.node_id!r} signed with key {header['signing_key']}, which this node "
            "does not know for it (a wrong key, or a rotation not yet announced)"
        )
    try:
        VerifyKey(public).verify(canonical_bytes(header) if signed is None else signed, signature)
    except (BadSignatureError, ValueError):
        raise BadSignature(
            f"the signature does not match the envelope from {peer.node_id!r}: it was altered "
            "in transit or signed with another key"
        ) from None
    return Verified(
        header, kind, sha256_hex(raw),
        parse_timestamp(header["created_at"], "created_at"),
        parse_timestamp(header["expires_at"], "expires_at"),
    )  # fmt: skip


def check_window(verified: Verified, now: datetime, skew: timedelta, longest: timedelta) -> None:
    """The replay window: a message is accepted only between its creation (allowing for clock
    skew) and its expiry, and no window may be longer than this node allows, so that the
    duplicate store, which outlives every window, catches any replay inside one."""
    if verified.created_at > now + skew:
        raise NotYetValid(
            f"the envelope was created at {verified.header['created_at']}, in the future "
            f"by more than {int(skew.total_seconds())} s: check the sender's clock"
        )
    if now > verified.expires_at:
        raise Expired(
            f"the envelope expired at {verified.header['expires_at']} (now {timestamp(now)}): "
            "the sender must send a new message"
        )
    if verified.expires_at - verified.created_at > longest:
        raise Expired(
            f"the envelope's window is longer than the {int(longest.total_seconds())} s "
            "this node accepts"
        )


def open_payload(verified: Verified, ring: KeyRing) -> dict:
    """Decrypt with our key named in the header; check the payload repeats the header."""
    header = verified.header
    private = ring.encryption_key(header["encryption_key"])
    if private is None:
        raise WrongKey(
            f"the envelope is encrypted for key {header['encryption_key']}, which is not one "
            f"of node {ring.identity.node_id!r}'s keys: the sender has a wrong or stale key"
        )
    try:
        plain = SealedBox(private).decrypt(unb64(header["ciphertext"], "the ciphertext"))
    except CryptoError:
        raise WrongKey("the payload does not decrypt with this node's key") from None
    inner = parse_canonical(plain, "payload")
    for name in ("message_id", "sender", "recipient", "type", "type_version"):
        if inner.get(name) != header[name]:
            raise BadSignature(
                f"the sealed payload's {name} differs from the signed header: the ciphertext "
                "was taken from another envelope"
            )
    body = inner.get("body")
    if not isinstance(body, dict):
        raise Malformed("the payload has no body object")
    verified.type.check_body(body)
    return body


def receipt_body(verified: Verified, received_at: datetime, outcome: dict) -> dict:
    return {
        "message_id": verified.message_id,
        "envelope_sha256": verified.sha256,
        "received_at": timestamp(received_at),
        "outcome": outcome,
    }


def check_receipt(body: dict, message_id: str, envelope_sha256: str) -> None:
    """A receipt is evidence only for the exact bytes we sent."""
    if body.get("message_id") != message_id or body.get("envelope_sha256") != envelope_sha256:
        raise BadSignature(
            f"the receipt is for message {body.get('message_id')} with digest "
            f"{body.get('envelope_sha256')}, not for {message_id} as sent"
        )
