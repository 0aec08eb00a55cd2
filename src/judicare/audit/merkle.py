"""A Merkle tree over the audit trail, as in Certificate Transparency (RFC 9162 §2.1). Pure.

The leaves are the entries' chain hashes (32 bytes each, in sequence order), never their
contents: a root or a proof holds only digests, so it can be handed to a peer node without
disclosing the personal data the entries describe.

- `root`: the Merkle Tree Hash (MTH) of §2.1.1: SHA-256(0x00 || leaf) for a leaf,
  SHA-256(0x01 || left || right) for an interior node, the left subtree holding the largest
  power of two smaller than the number of leaves; SHA-256("") for the empty tree.
- `consistency_proof` / `verify_consistency`: §2.1.4. A proof from size m to size n shows
  that the tree of n leaves begins with the m leaves of the older tree: whoever holds the
  older root (a witness) learns that history was only appended to, never rewritten.
- `Frontier`: the compact range 1..n — the roots of the perfect subtrees covering the leaves,
  one per set bit of n — extended leaf by leaf and folded into the root in O(log n), so
  the root after each commit costs the new leaves only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

EMPTY_ROOT = hashlib.sha256(b"").digest()
HASH_SIZE = 32


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def entry_leaf(entry_hash: str) -> bytes:
    """The leaf hash of an audit entry: its hex chain hash read as 32 bytes."""
    data = bytes.fromhex(entry_hash)
    if len(data) != HASH_SIZE:
        raise ValueError(f"an entry hash has {HASH_SIZE} bytes, not {len(data)}")
    return leaf_hash(data)


def _split(n: int) -> int:
    """The largest power of two smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def root(leaves: Sequence[bytes]) -> bytes:
    """MTH of leaf hashes (already hashed with `leaf_hash`)."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = _split(len(leaves))
    return node_hash(root(leaves[:k]), root(leaves[k:]))


def consistency_proof(leaves: Sequence[bytes], m: int) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 9162 §2.1.4.1 for the tree of `leaves` (leaf hashes), 0 <= m <= n.
    Empty when m is 0 or n: nothing to prove."""
    n = len(leaves)
    if not 0 <= m <= n:
        raise ValueError(f"no consistency proof from size {m} in a tree of {n} leaves")
    if m in (0, n):
        return []
    return _subproof(m, leaves, True)


def _subproof(m: int, leaves: Sequence[bytes], complete: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if complete else [root(leaves)]
    k = _split(n)
    if m <= k:
        return [*_subproof(m, leaves[:k], complete), root(leaves[k:])]
    return [*_subproof(m - k, leaves[k:], False), root(leaves[:k])]


def verify_consistency(
    m: int, n: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2: whether `proof` shows the tree of size n with `second_root`
    extends the tree of size m with `first_root`."""
    if not 0 <= m <= n or any(len(c) != HASH_SIZE for c in proof):
        return False
    if m == n:
        return not proof and first_root == second_root
    if m == 0:
        return not proof  # the empty tree is a prefix of every tree
    if not proof:
        return False
    path = list(proof)
    if m & (m - 1) == 0:  # an exact power of two: the old root is a node of the new tree
        path.insert(0, first_root)
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == first_root and sr == second_root and sn == 0


@dataclass(slots=True)
class Frontier:
    """The compact range of leaves 1..size: the roots of its perfect subtrees, largest
    first (one per set bit of `size`)."""

    size: int = 0
    hashes: list[bytes] = field(default_factory=list)

    def append(self, leaf: bytes) -> None:
        """Add one leaf hash."""
        self.hashes.append(leaf)
        carry = self.size
        while carry & 1:  # two subtrees of the same height merge into one
            right = self.hashes.pop()
            self.hashes[-1] = node_hash(self.hashes[-1], right)
            carry >>= 1
        self.size += 1

    def extend(self, leaves: Iterable[bytes]) -> Frontier:
        for leaf in leaves:
            self.append(leaf)
        return self

    def root(self) -> bytes:
        if not self.hashes:
            return EMPTY_ROOT
        result = self.hashes[-1]
        for left in reversed(self.hashes[:-1]):
            result = node_hash(left, result)
        return result

    def copy(self) -> Frontier:
        return Frontier(self.size, list(self.hashes))

    def to_hex(self) -> list[str]:
        return [h.hex() for h in self.hashes]

    @classmethod
    def from_hex(cls, size: int, hashes: Sequence[str]) -> Frontier:
        """Raises ValueError unless there is one 32-byte hash per set bit of `size`."""
        if not isinstance(size, int) or size < 0 or not isinstance(hashes, Sequence):
            raise ValueError("a frontier needs a size and a list of hashes")
        decoded = [bytes.fromhex(str(h)) for h in hashes]
        if len(decoded) != size.bit_count() or any(len(h) != HASH_SIZE for h in decoded):
            raise ValueError(f"a frontier of {size} leaves has {size.bit_count()} hashes")
        return cls(size, decoded)


def entries_root(entry_hashes: Iterable[str]) -> str:
    """The hex root of the tree whose leaves are these entry hashes (hex)."""
    return Frontier().extend(entry_leaf(h) for h in entry_hashes).root().hex()
