"""File stores read and write in chunks: the exchange never holds a whole document."""

from __future__ import annotations

import hashlib

import pytest

from judicare.files.store import LocalFileStore, MemoryFileStore


@pytest.mark.parametrize("kind", ["memory", "local"])
def test_open_chunks_gives_back_the_stored_bytes_in_bounded_pieces(kind, tmp_path):
    store = MemoryFileStore() if kind == "memory" else LocalFileStore(tmp_path)
    content = bytes(range(256)) * 1000
    key, size, sha = store.put(iter([content[:1000], content[1000:]]), 1 << 20)
    pieces = list(store.open_chunks(key, 4096))
    assert b"".join(pieces) == content and size == len(content)
    assert max(len(p) for p in pieces) == 4096
    assert hashlib.sha256(b"".join(pieces)).hexdigest() == sha


# --- the attachment stream cipher ------------------------------------------------------------

import os  # noqa: E402

from judicare.exchange.attachments import (  # noqa: E402
    CHUNK,
    _signed_bytes,
    ciphertext_limit,
    decrypt,
    encrypt,
)
from judicare.exchange.errors import AttachmentMismatch  # noqa: E402

KEY = bytes(range(32))


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 5])
def test_a_stream_decrypts_whatever_the_piece_boundaries(size):
    content = os.urandom(size)
    cipher = b"".join(encrypt(iter([content[:7], content[7:]]), KEY))
    assert len(cipher) == ciphertext_limit(size)
    pieces = [cipher[i : i + 1000] for i in range(0, len(cipher), 1000)]
    assert b"".join(decrypt(iter(pieces), KEY, "a")) == content


def _cipher(size: int = 2 * CHUNK + 10) -> bytes:
    return b"".join(encrypt(iter([b"s" * size]), KEY))


@pytest.mark.parametrize(
    "change, why",
    [
        (lambda c: c[:30] + bytes([c[30] ^ 1]) + c[31:], "fails authentication"),
        (lambda c: c[: len(c) - 100], "fails authentication"),
        (lambda c: c[: 24 + CHUNK + 17], "cut short"),
        (lambda c: c + c[24 : 24 + CHUNK + 17], "fails authentication"),
        (lambda c: c[:10], "too short"),
    ],
    ids=["flipped", "truncated-record", "dropped-records", "appended", "no-header"],
)
def test_a_changed_cut_or_extended_stream_is_refused(change, why):
    with pytest.raises(AttachmentMismatch, match=why):
        b"".join(decrypt(iter([change(_cipher())]), KEY, "a"))


def test_a_stream_under_another_key_is_refused():
    with pytest.raises(AttachmentMismatch):
        b"".join(decrypt(iter([_cipher()]), bytes(32), "a"))


def test_golden_upload_signature_bytes():
    assert _signed_bytes("BEL-CA", "m", "a", "s") == (
        b'{"attachment_id":"a","ciphertext_sha256":"s","format":"judicare-attachment/1",'
        b'"message_id":"m","sender":"BEL-CA"}'
    )


def test_an_upload_right_after_a_rotation_verifies_with_the_key_the_peer_knows():
    """The peer learns the new keys from the envelope, which follows the upload: the upload
    is signed by every generation, so the old key the peer trusts still verifies it."""
    from datetime import UTC, datetime

    from judicare.exchange.attachments import check_upload, upload_headers
    from judicare.exchange.envelopes import PeerKeys
    from judicare.exchange.errors import BadSignature
    from judicare.exchange.keys import NodeIdentity, new_ring

    now = datetime(2026, 11, 23, tzinfo=UTC)
    ring = new_ring(NodeIdentity("BEL-CA", "BEL", "Central Authority", "http://x"), now)
    known = PeerKeys("BEL-CA", {ring.current.signing_id: ring.current.signing_public}, {}, "")
    rotated = ring.rotated(now)
    headers = upload_headers(rotated, "m-1", "a-1", "ab" * 32)
    assert check_upload(known, headers, "m-1", "a-1") == "ab" * 32
    stranger = new_ring(NodeIdentity("BEL-CA", "BEL", "Impostor", "http://y"), now)
    with pytest.raises(BadSignature):
        check_upload(known, upload_headers(stranger, "m-1", "a-1", "ab" * 32), "m-1", "a-1")
    forged = {**headers, "x-judicare-ciphertext-sha256": "cd" * 32}
    with pytest.raises(BadSignature):
        check_upload(known, forged, "m-1", "a-1")
