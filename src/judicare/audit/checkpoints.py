"""Signed checkpoints of the audit trail, checked against the database. Pure: no files.

The hash chain alone proves nothing to someone who can rewrite the whole table: they can
delete the newest entries, or edit an entry and recompute every hash after it. So after
each commit that appends entries, the node signs a *checkpoint* — the size of the trail and
the hash of its last entry — with a key kept outside the database, in the manner of the
signed tree heads of Certificate Transparency (RFC 9162 §4.10) and the C2SP `tlog-checkpoint`
notes of Trillian, Sigstore Rekor and their witnesses. A checkpoint covering entry *n* fixes
entries 1..*n*: since each hash covers the previous one, the database must hold exactly that
hash at *n*. A checkpoint also signs the Merkle root of the entries' hashes 1..*n*
(audit.merkle), so that a peer can check, from hashes alone, that a larger trail extends
one it saw. Peer nodes can *cosign* a checkpoint after checking it is consistent with the
ones they cosigned before — for a larger one, with a consistency proof from the size they
cosigned — so that even the node's operator, who holds the key, cannot rewrite history
without a peer refusing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from judicare.audit import merkle
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
    `head`, at time `at` (the app's clock, canonical UTC text), and `root`, the Merkle root
    of the entries' hashes 1..size (audit.merkle). Checkpoints signed before roots existed
    have none (`root` is ""): their signed note is unchanged and still verifies."""

    origin: str
    size: int
    head: str
    at: str
    key_id: str = ""
    signature: str = ""
    root: str = ""

    def text(self) -> bytes:
        """The signed bytes: a short note, one value a line, like a C2SP checkpoint; the
        root, when there is one, as a last line of its own."""
        note = f"{FORMAT}\n{self.origin}\n{self.size}\n{self.head}\n{self.at}\n"
        if self.root:
            note += f"root {self.root}\n"
        return note.encode()

    def as_dict(self) -> dict:
        document = {
            "format": FORMAT, "origin": self.origin, "size": self.size, "head": self.head,
            "at": self.at, "key_id": self.key_id, "signature": self.signature,
        }  # fmt: skip
        if self.root:
            document["root"] = self.root
        return document

    @classmethod
    def from_dict(cls, data: Mapping) -> Checkpoint:
        """Raises ValueError if a field is missing or has the wrong type."""
        if not isinstance(data, Mapping) or data.get("format") != FORMAT:
            raise ValueError(f"not a checkpoint (format must be {FORMAT})")
        try:
            checkpoint = cls(
                origin=str(data["origin"]), size=data["size"], head=str(data["head"]),
                at=str(data["at"]), key_id=str(data["key_id"]), signature=str(data["signature"]),
                root=str(data.get("root") or ""),
            )  # fmt: skip
        except KeyError as exc:
            raise ValueError(f"the checkpoint has no {exc.args[0]!r}") from None
        if not isinstance(checkpoint.size, int) or isinstance(checkpoint.size, bool):
            raise ValueError("the checkpoint's size is not a whole number")
        if checkpoint.size < 0 or "\n" in checkpoint.origin + checkpoint.head + checkpoint.at:
            raise ValueError("the checkpoint has a negative size or a value with a line break")
        if checkpoint.root and not _is_digest(checkpoint.root):
            raise ValueError("the checkpoint's root is not a SHA-256 digest in hex")
        return checkpoint


def _is_digest(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)


def key_id(public: bytes) -> str:

    return hashlib.sha256(public).hexdigest()[:32]


def sign(
    key: SigningKey, *, origin: str, size: int, head: str, at: str, root: str = ""
) -> Checkpoint:
    unsigned = Checkpoint(origin, size, head, at, root=root)
    public = bytes(key.verify_key)
    signature = b64(key.sign(unsigned.text()).signature)
    return Checkpoint(origin, size, head, at, key_id(public), signature, root)


def signed_by(checkpoint: Checkpoint, public: bytes) -> bool:
    signature = unb64(checkpoint.signature)
    if checkpoint.key_id != key_id(public) or signature is None:
        return False
    return _valid(public, checkpoint.text(), signature)


def authentic(checkpoint: Checkpoint, public: bytes) -> Checkpoint | None:
    """The checkpoint as signed by `public`, or None. A `root` field that the signature
    does not cover (a document built from a checkpoint signed without one) is dropped:
    the checkpoint then counts as one without a root, never as one with that root."""
    if signed_by(checkpoint, public):
        return checkpoint
    if checkpoint.root:
        rootless = replace(checkpoint, root="")
        if signed_by(rootless, public):
            return rootless
    return None


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


def check(
    hashes: Mapping[int, str],
    checkpoints: Sequence[Checkpoint],
    *,
    by: str,
    roots: Mapping[int, str] | None = None,
) -> Anchored:
    """Compare the stored hash of each entry (`hashes`: seq -> hash) with checkpoints
    already known to be authentic. `by` names who signed them, for the messages. `roots`:
    size -> the Merkle root recomputed from the database, for the checkpoints with a root.

    The database may be ahead of the latest checkpoint (a crash between a commit and its
    checkpoint, or a checkpoint not written), never behind it, and at each checkpoint's
    size it must hold exactly the checkpoint's head."""
    last_seq = max(hashes, default=0)
    roots = roots or {}
    useful = sorted({(c.size, c.head, c.root): c for c in checkpoints if c.size > 0}.values(),
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
        recomputed = roots.get(checkpoint.size)
        if stored == checkpoint.head and not (
            checkpoint.root and recomputed and recomputed != checkpoint.root
        ):
            agreed.append(checkpoint.size)
        else:
            disagreeing.append(checkpoint)
    if disagreeing:
        problems.append(_rewritten(disagreeing, agreed, hashes, roots, by))
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


def _rewritten(disagreeing: list[Checkpoint], agreed: list[int], hashes, roots, by: str) -> Problem:
    """The first checkpoint that disagrees, and the last that agrees before it, bound where
    history was changed."""
    first = min(disagreeing, key=lambda c: c.size)
    below = max((size for size in agreed if size < first.size), default=0)
    if below + 1 == first.size:
        where = f"entry {first.size} no longer matches"
    else:
        where = f"entries {below + 1}–{first.size} no longer match"
    more = f" ({len(disagreeing)} {by}s disagree with the database)" if len(disagreeing) > 1 else ""
    if hashes[first.size] == first.head:  # the head agrees, the Merkle root does not
        differs = (
            f"whose Merkle root of entries 1–{first.size} is {short(first.root)} but the "
            f"database gives {short(roots[first.size])}"
        )
    else:
        differs = (
            f"whose head for entry {first.size} is {short(first.head)} but the database has "
            f"{short(hashes[first.size])}"
        )
    return Problem(
        below + 1,
        "rewritten",
        f"the chain was rewritten: {where} the {by} of {first.at}, {differs} "
        f"(entries altered, reordered, removed or rehashed){more}",
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


def witness_consistent(
    checkpoint: Checkpoint,
    seen: Mapping | None,
    proofs: Mapping[int, Sequence[bytes]] | None = None,
) -> None:
    """A witness never cosigns two different heads for the same size of one trail (a fork),
    nor a trail smaller than one it cosigned (a rollback), nor a larger trail that does not
    extend the one it cosigned: when it kept the Merkle root it cosigned at size m, a
    checkpoint of size n > m must come with a consistency proof from m (RFC 9162 §2.1.4)
    that verifies against that root. `seen` is the last checkpoint it cosigned for this
    trail: {"size", "head", "at", "root"} (no root if cosigned before roots existed);
    `proofs`: size m -> the consistency proof from m to this checkpoint's size."""
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
    m, n, root_m = seen["size"], checkpoint.size, seen.get("root") or ""
    if n == m and root_m and checkpoint.root and checkpoint.root != root_m:
        raise Inconsistent(
            f"this checkpoint gives Merkle root {short(checkpoint.root)} for {n} entries, but "
            f"root {short(root_m)} was cosigned for the same size ({seen['at']}): the trail "
            "was forked or rewritten"
        )
    if n == m or not root_m:
        return  # nothing to prove, or cosigned before roots: nothing to check against
    if not checkpoint.root:
        raise Inconsistent(
            f"this checkpoint of {n} entries has no Merkle root, but the one cosigned at size "
            f"{m} had one: without it, the log at size {n} cannot be shown to extend it"
        )
    proof = (proofs or {}).get(m)
    if proof is None:
        raise Inconsistent(f"no consistency proof from size {m}: export with --prove-from {m}")
    if not merkle.verify_consistency(
        m, n, bytes.fromhex(root_m), bytes.fromhex(checkpoint.root), proof
    ):
        raise Inconsistent(
            f"the log at size {n} does not extend the one cosigned at size {m}: history was "
            f"rewritten (the consistency proof from size {m} fails against the root cosigned "
            f"then, {short(root_m)})"
        )


def proofs_of(document: Mapping, size: int) -> dict[int, list[bytes]]:
    """The consistency proofs to `size` a checkpoint document carries, by size proven
    from: {"consistency": [{"from": m, "to": n, "proof": [hex, ...]}, ...]}. Malformed
    items are left out (the witness then finds no proof, and refuses)."""
    result = {}
    for item in document.get("consistency") or []:
        try:
            if int(item["to"]) != size:
                continue
            result[int(item["from"])] = [bytes.fromhex(str(h)) for h in item["proof"]]
        except (KeyError, TypeError, ValueError):
            continue
    return result


def parse_lines(lines: Iterable[tuple[int, str]]) -> Iterable[tuple[int, Checkpoint | str]]:
    """Each journal line as a checkpoint, or the reason it cannot be read."""
    for number, line in lines:
        try:
            yield number, Checkpoint.from_dict(json.loads(line))
        except (ValueError, TypeError) as exc:
            yield number, str(exc)
