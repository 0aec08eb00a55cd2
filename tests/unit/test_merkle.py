"""The audit trail's Merkle tree (RFC 9162 §2.1): the published RFC 6962 reference vectors,
then properties over random trees."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from judicare.audit import merkle
from judicare.audit.merkle import (
    EMPTY_ROOT,
    Frontier,
    consistency_proof,
    entries_root,
    entry_leaf,
    leaf_hash,
    root,
    verify_consistency,
)

# The reference leaves and roots of RFC 6962 implementations (as published, e.g., in the
# transparency-dev/merkle test data): ROOTS[n] is the root of the first n leaves.
DATA = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
        "606162636465666768696a6b6c6d6e6f"]  # fmt: skip
LEAVES = [leaf_hash(bytes.fromhex(d)) for d in DATA]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CONSISTENCY = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip


def _leaves(n: int, salt: int = 0) -> list[bytes]:
    return [leaf_hash(hashlib.sha256(f"{salt}:{i}".encode()).digest()) for i in range(n)]


@pytest.mark.parametrize("n", range(len(ROOTS)))
def test_the_reference_roots(n):
    assert root(LEAVES[:n]).hex() == ROOTS[n]
    assert Frontier().extend(LEAVES[:n]).root().hex() == ROOTS[n]


def test_the_empty_tree_is_the_hash_of_nothing():
    assert EMPTY_ROOT.hex() == ROOTS[0] == entries_root([])


@pytest.mark.parametrize(("m", "n", "proof"), CONSISTENCY)
def test_the_reference_consistency_proofs(m, n, proof):
    assert [h.hex() for h in consistency_proof(LEAVES[:n], m)] == proof
    first, second = bytes.fromhex(ROOTS[m]), bytes.fromhex(ROOTS[n])
    assert verify_consistency(m, n, first, second, [bytes.fromhex(h) for h in proof])


@pytest.mark.parametrize(("m", "n", "proof"), [c for c in CONSISTENCY if c[2]])
def test_corrupted_reference_proofs_fail(m, n, proof):
    """As the reference verifiers probe: wrong sizes, roots, extra or missing hashes."""
    path = [bytes.fromhex(h) for h in proof]
    first, second = bytes.fromhex(ROOTS[m]), bytes.fromhex(ROOTS[n])
    some = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")
    probes = [
        (m - 1, n, first, second, path), (m + 1, n, first, second, path),
        (m ^ 2, n, first, second, path), (m, n * 2, first, second, path),
        (m, n // 2, first, second, path), (m, n, some, second, path),
        (m, n, first, some, path), (m, n, second, first, path), (m, n, first, second, []),
        (m, n, first, second, [*path, first]), (m, n, first, second, [*path, second]),
        (m, n, first, second, [first, *path]), (m, n, first, second, [second, *path]),
        (m, n, first, second, [path[0], *path]), (m, n, first, second, path[:-1]),
        (m, n, first, second, [*path, b""]),
    ]  # fmt: skip
    for i in range(len(path)):
        flipped = list(path)
        flipped[i] = bytes([flipped[i][0] ^ 16]) + flipped[i][1:]
        probes.append((m, n, first, second, flipped))
    for probe in probes:
        if probe[:2] == (m, n) or 0 < probe[0] < probe[1]:
            assert not verify_consistency(*probe), probe


def test_trivial_sizes():
    a, b = b"\x01" * 32, b"\x02" * 32
    assert not verify_consistency(0, 0, a, b, [])  # same size, two roots
    assert verify_consistency(0, 0, a, a, [])
    assert verify_consistency(0, 5, a, b, [])  # nothing to prove from the empty tree
    assert verify_consistency(3, 3, a, a, [])
    assert not verify_consistency(3, 3, a, b, [])
    assert not verify_consistency(3, 3, a, a, [a])
    assert not verify_consistency(0, 1, a, b, [a])
    assert not verify_consistency(2, 1, a, b, [])
    assert not verify_consistency(1, 2, a, b, [])
    with pytest.raises(ValueError):
        consistency_proof(_leaves(3), 4)


def test_entry_leaves_are_the_32_bytes_of_the_hash():
    entry = "ab" * 32
    assert entry_leaf(entry) == hashlib.sha256(b"\x00" + bytes.fromhex(entry)).digest()
    with pytest.raises(ValueError):
        entry_leaf("ab" * 31)


def test_a_frontier_has_one_hash_per_set_bit_and_round_trips():
    for n in range(70):
        frontier = Frontier().extend(_leaves(n))
        assert len(frontier.hashes) == n.bit_count() <= n.bit_length()
        again = Frontier.from_hex(n, frontier.to_hex())
        assert again == frontier and again.root() == root(_leaves(n))
    with pytest.raises(ValueError):
        Frontier.from_hex(3, ["00" * 32])
    with pytest.raises(ValueError):
        Frontier.from_hex(1, ["00" * 31])


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 300), st.data())
def test_every_consistency_proof_verifies_and_any_change_breaks_it(n, data):
    m = data.draw(st.integers(1, n), label="m")
    leaves = _leaves(n)
    first, second = root(leaves[:m]), root(leaves)
    proof = consistency_proof(leaves, m)
    assert verify_consistency(m, n, first, second, proof)
    assert len(proof) <= 2 * n.bit_length()
    # A rewritten leaf among the first m: the old root no longer matches the new tree.
    i = data.draw(st.integers(0, m - 1), label="rewritten leaf")
    rewritten = list(leaves)
    rewritten[i] = leaf_hash(b"rewritten")
    assert not verify_consistency(m, n, first, root(rewritten), consistency_proof(rewritten, m))
    if proof:
        j = data.draw(st.integers(0, len(proof) - 1), label="proof hash")
        bad = list(proof)
        bad[j] = bytes([bad[j][0] ^ 1]) + bad[j][1:]
        assert not verify_consistency(m, n, first, second, bad)
        assert not verify_consistency(m, n, first, second, proof[:-1])
    if m < n:
        assert not verify_consistency(m, n, first, second, [*proof, second])


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 600), st.integers(0, 600))
def test_a_frontier_extended_in_two_steps_gives_the_full_root(m, extra):
    leaves = _leaves(m + extra, salt=7)
    frontier = Frontier().extend(leaves[:m])
    stored = Frontier.from_hex(m, frontier.to_hex())
    assert stored.extend(leaves[m:]).root() == root(leaves)
    assert merkle.Frontier().extend(leaves).root() == root(leaves)
