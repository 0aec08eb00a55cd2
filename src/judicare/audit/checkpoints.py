"""Signed checkpoints of the audit trail, checked against the database. Pure: no files.

The hash chain alone proves nothing to someone who can rewrite the whole table: they can
delete the newest entries, or edit an entry and recompute every hash after it. So after
each commit that appends entries, the node signs a *checkpoint* — the size of the trail and
the hash of its last entry — with a key kept outside the database, in the manner of the
signed tree heads of Certificate Transparency (RFC 9162 §4.10) and the C2SP `tlog-checkpoint`
notes of Trillian, Sigstore Rekor and their witnesses. A checkpoint covering entry *n* fixes
entries 1..*n*: since each hash covers the previous one, the database must hold exactly that
hash at *n*. Peer nodes can *cosign* a checkpoint after checking it is consistent with the
ones they cosigned before, so that even the node's operator, who holds the key, cannot
rewrite history without a peer refusing.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from judicare.audit.chain import Problem

FORMAT = "judicare-audit-checkpoint/v1"
COSIGNATURE_FORMAT = "judicare-audit-cosignature/v1"
NODE_BINDING_FORMAT = "judicare-audit-key-of-node/v1"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: object) -> bytes | None:
    try:
        return base64.b64decode(str(text).encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        return None


def short(digest: str) -> str:
    return f"{digest[:16]}…"


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """What the node signs: this trail (`origin`) held `size` entries, the last with hash
    `head`, at time `at` (the app's clock, canonical UTC text)."""

    origin: str
    size: int
    head: str
    at: str
    key_id: str = ""
    signature: str = ""

    def text(self) -> bytes:
        """The signed bytes: a short note, one value a line, like a C2SP checkpoint."""
        return f"{FORMAT}\n{self.origin}\n{self.size}\n{self.head}\n{self.at}\n".encode()

    def as_dict(self) -> dict:
        return {
            "format": FORMAT, "origin": self.origin, "size": self.size, "head": self.head,
            "at": self.at, "key_id": self.key_id, "signature": self.signature,
        }  # fmt: skip

    @classmethod
    def from_dict(cls, data: Mapping) -> Checkpoint:
        """Raises ValueError if a field is missing or has the wrong type."""
        if not isinstance(data, Mapping) or data.get("format") != FORMAT:
            raise ValueError(f"not a checkpoint (format must be {FORMAT})")
        try:
            checkpoint = cls(
                origin=str(data["origin"]), size=data["size"], head=str(data["head"]),
                at=str(data["at"]), key_id=str(data["key_id"]), signature=str(data["signature"]),
            )  # fmt: skip
        except KeyError as exc:
            raise ValueError(f"the checkpoint has no {exc.args[0]!r}") from None
        if not isinstance(checkpoint.size, int) or isinstance(checkpoint.size, bool):
            raise ValueError("the checkpoint's size is not a whole number")
        if checkpoint.size < 0 or "\n" in checkpoint.origin + checkpoint.head + checkpoint.at:
            raise ValueError("the checkpoint has a negative size or a value with a line break")
        return checkpoint


def key_id(public: bytes) -> str:
    import hashlib

    return hashlib.sha256(public).hexdigest()[:32]


def sign(key: SigningKey, *, origin: str, size: int, head: str, at: str) -> Checkpoint:
    unsigned = Checkpoint(origin, size, head, at)
    public = bytes(key.verify_key)
    return Checkpoint(
        origin, size, head, at, key_id(public), b64(key.sign(unsigned.text()).signature)
    )


def signed_by(checkpoint: Checkpoint, public: bytes) -> bool:
    signature = unb64(checkpoint.signature)
    if checkpoint.key_id != key_id(public) or signature is None:
        return False
    return _valid(public, checkpoint.text(), signature)


def _valid(public: bytes, message: bytes, signature: bytes) -> bool:
    try:
        VerifyKey(public).verify(message, signature)
        return True
    except (BadSignatureError, ValueError, TypeError):
        return False


# --- checking the database against checkpoints -------------------------------------------


@dataclass(frozen=True, slots=True)
class Anchored:
    """What a list of checkpoints says about the trail in the database."""

    problems: list[Problem] = field(default_factory=list)
    latest: Checkpoint | None = None
    after_latest: int = 0  # entries appended since the latest checkpoint (not yet anchored)


def check(hashes: Mapping[int, str], checkpoints: Sequence[Checkpoint], *, by: str) -> Anchored:
    """Compare the stored hash of each entry (`hashes`: seq -> hash) with checkpoints
    already known to be authentic. `by` names who signed them, for the messages.

    The database may be ahead of the latest checkpoint (a crash between a commit and its
    checkpoint, or a checkpoint not written), never behind it, and at each checkpoint's
    size it must hold exactly the checkpoint's head."""
    last_seq = max(hashes, default=0)
    useful = sorted({(c.size, c.head): c for c in checkpoints if c.size > 0}.values(),
                    key=lambda c: c.size)  # fmt: skip
    if not useful:
        return Anchored(after_latest=len(hashes))
    latest = useful[-1]
    problems: list[Problem] = []
    if latest.size > last_seq:
        problems.append(_cut(latest, last_seq, len(hashes), by))
    agreed, disagreeing = [], []
    for checkpoint in useful:
        stored = hashes.get(checkpoint.size)
        if stored is None:
            continue  # beyond the end (reported above) or a gap the chain check names
        if stored == checkpoint.head:
            agreed.append(checkpoint.size)
        else:
            disagreeing.append(checkpoint)
    if disagreeing:
        problems.append(_rewritten(disagreeing, agreed, hashes, by))
    after = sum(1 for seq in hashes if seq > latest.size)
    return Anchored(problems, latest, after)


def _cut(latest: Checkpoint, last_seq: int, count: int, by: str) -> Problem:
    covers = f"the {by} of {latest.at} covers {latest.size} entries with head {short(latest.head)}"
    if count == 0:
        return Problem(
            1, "truncated", f"the audit trail was truncated: {covers}, the database has 0"
        )
    first = last_seq + 1
    missing = f"entry {first} is" if first == latest.size else f"entries {first}–{latest.size} are"
    return Problem(
        first, "cut", f"{missing} missing: {covers}, the database ends at entry {last_seq}"
    )


def _rewritten(disagreeing: list[Checkpoint], agreed: list[int], hashes, by: str) -> Problem:
    """The first checkpoint that disagrees, and the last that agrees before it, bound where
    history was changed."""
    first = min(disagreeing, key=lambda c: c.size)
    below = max((size for size in agreed if size < first.size), default=0)
    if below + 1 == first.size:
        where = f"entry {first.size} no longer matches"
    else:
        where = f"entries {below + 1}–{first.size} no longer match"
    more = f" ({len(disagreeing)} {by}s disagree with the database)" if len(disagreeing) > 1 else ""
    return Problem(
        below + 1,
        "rewritten",
        f"the chain was rewritten: {where} the {by} of {first.at}, whose head "
        f"for entry {first.size} is {short(first.head)} but the database has "
        f"{short(hashes[first.size])} (entries altered, reordered, removed or rehashed){more}",
    )


# --- peer witnesses ----------------------------------------------------------------------


def node_binding(checkpoint: Checkpoint, node_id: str, audit_public: bytes) -> bytes:
    """What the node's own signing key signs when it hands a checkpoint to a witness: that
    this audit key and this checkpoint are node `node_id`'s."""
    return (
        f"{NODE_BINDING_FORMAT}\nnode {node_id}\naudit-key {b64(audit_public)}\n".encode()
        + checkpoint.text()
    )


def cosigned_text(checkpoint: Checkpoint, node_id: str, witness_id: str, at: str) -> bytes:
    return (
        f"{COSIGNATURE_FORMAT}\nnode {node_id}\nwitness {witness_id}\ncosigned {at}\n".encode()
        + checkpoint.text()
    )


@dataclass(frozen=True, slots=True)
class Cosignature:
    witness: str  # the witness node's id
    key_id: str
    at: str
    signature: str

    def as_dict(self) -> dict:
        return {"witness": self.witness, "key_id": self.key_id, "at": self.at,
                "signature": self.signature}  # fmt: skip


def cosign(
    key: SigningKey, checkpoint: Checkpoint, *, node_id: str, witness_id: str, at: str
) -> Cosignature:
    signature = key.sign(cosigned_text(checkpoint, node_id, witness_id, at)).signature
    return Cosignature(witness_id, key_id(bytes(key.verify_key)), at, b64(signature))


def cosignature_valid(
    cosignature: Cosignature, checkpoint: Checkpoint, node_id: str, witness_keys: Mapping
) -> bool:
    """`witness_keys`: key id -> public key of the witness, from this node's peer registry."""
    public = witness_keys.get(cosignature.key_id)
    signature = unb64(cosignature.signature)
    if public is None or signature is None:
        return False
    text = cosigned_text(checkpoint, node_id, cosignature.witness, cosignature.at)
    return _valid(public, text, signature)


class Inconsistent(ValueError):
    """A witness refuses to cosign: the checkpoint contradicts one it cosigned before."""


def witness_consistent(checkpoint: Checkpoint, seen: Mapping | None) -> None:
    """A witness never cosigns two different heads for the same size of one trail (a fork),
    nor a trail smaller than one it cosigned (a rollback). `seen` is the last checkpoint it
    cosigned for this trail: {"size", "head", "at"}."""
    if not seen:
        return
    if checkpoint.size < seen["size"]:
        raise Inconsistent(
            f"this checkpoint covers {checkpoint.size} entries, but a checkpoint of "
            f"{seen['size']} entries (head {short(seen['head'])}, {seen['at']}) was cosigned "
            "before: the trail was rolled back or cut"
        )
    if checkpoint.size == seen["size"] and checkpoint.head != seen["head"]:
        raise Inconsistent(
            f"this checkpoint gives head {short(checkpoint.head)} for {checkpoint.size} "
            f"entries, but head {short(seen['head'])} was cosigned for the same size "
            f"({seen['at']}): the trail was forked or rewritten"
        )


def parse_lines(lines: Iterable[tuple[int, str]]) -> Iterable[tuple[int, Checkpoint | str]]:
    """Each journal line as a checkpoint, or the reason it cannot be read."""
    import json

    for number, line in lines:
        try:
            yield number, Checkpoint.from_dict(json.loads(line))
        except (ValueError, TypeError) as exc:
            yield number, str(exc)
