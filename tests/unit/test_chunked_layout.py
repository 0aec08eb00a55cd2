"""The layout of a chunked attachment (`exchange.chunked`): every ciphertext byte in exactly
one chunk, each chunk whole secretstream records within the chunk limit; and the stream
itself refuses chunks dropped, swapped or repeated."""

from __future__ import annotations

import itertools
import os
import secrets

import pytest

from judicare.exchange import chunked
from judicare.exchange.attachments import CHUNK, HEADERBYTES, RECORD, decrypt, encrypt
from judicare.exchange.errors import AttachmentMismatch
from judicare.settings import Settings


@pytest.mark.parametrize("plain", [0, 1, CHUNK - 1, CHUNK, 2 * CHUNK, 5 * CHUNK + 7, 9 * CHUNK])
def test_the_chunks_cover_the_ciphertext_once_in_whole_records(plain):
    per_chunk = 2 * CHUNK
    records = max(1, -(-plain // CHUNK))
    size = HEADERBYTES + plain + records * (RECORD - CHUNK)
    parts = chunked.layout(size, per_chunk)
    assert parts[0][0] == 0 and sum(length for _, length in parts) == size
    for (offset, length), (following, _) in itertools.pairwise(parts):
        assert offset + length == following
    for index, (_, length) in enumerate(parts[:-1]):
        assert length == 2 * RECORD + (HEADERBYTES if index == 0 else 0)
    assert all(length <= chunked.ciphertext_limit(per_chunk) for _, length in parts)


def test_a_chunk_holds_whole_records_of_plaintext():
    with pytest.raises(ValueError, match="whole 64 KiB records"):
        chunked.layout(1000, CHUNK + 1)


def test_the_plaintext_per_chunk_never_exceeds_the_upload_limit():
    settings = Settings(environment="test", max_upload_bytes=256_000,
                        exchange_chunk_bytes=8 * 1024 * 1024)  # fmt: skip
    assert chunked.chunk_plaintext(settings) == 3 * CHUNK
    assert chunked.chunk_limit(settings) <= 256_000
    small = Settings(environment="test", max_upload_bytes=1_000)
    assert chunked.chunk_plaintext(small) == CHUNK  # at least one record


def _chunks(plain: bytes, key: bytes, per_chunk: int) -> list[bytes]:
    cipher = b"".join(encrypt([plain], key))
    return [cipher[o : o + n] for o, n in chunked.layout(len(cipher), per_chunk)]


@pytest.mark.parametrize(
    ("tamper", "said"),
    [
        (lambda c: c[:-1], "cut short"),
        (lambda c: [c[0], c[2], c[1], *c[3:]], "fails authentication"),
        (lambda c: [*c[:2], c[1], *c[2:]], "fails authentication"),
        (lambda c: [*c, c[-1]], "after the final|follows the final|fails authentication"),
    ],
    ids=["dropped", "swapped", "repeated", "appended"],
)
def test_chunks_dropped_swapped_or_repeated_are_refused(tamper, said):
    key = secrets.token_bytes(32)
    plain = os.urandom(5 * CHUNK + 100)
    chunks = _chunks(plain, key, CHUNK)
    assert b"".join(decrypt(chunks, key, "bag")) == plain
    with pytest.raises(AttachmentMismatch, match=said):
        b"".join(decrypt(tamper(chunks), key, "bag"))


@pytest.mark.parametrize(
    ("own", "receivers", "cut"),
    [
        (8 * CHUNK, None, 8 * CHUNK),  # a receiver that does not say: the sender's plan
        (8 * CHUNK, 2 * CHUNK, 2 * CHUNK),  # the receiver takes less
        (2 * CHUNK, 8 * CHUNK, 2 * CHUNK),  # the receiver would take more: the plan stands
        (8 * CHUNK, 3 * CHUNK + 5, 3 * CHUNK),  # whole records only
        (8 * CHUNK, 1000, CHUNK),  # at least one record
    ],
)
def test_the_chunk_size_is_the_smaller_of_the_two(own, receivers, cut):
    assert chunked.negotiated(own, receivers) == cut


def test_the_answer_about_chunks_held_carries_the_receivers_chunk_size():
    from judicare.exchange.transport import ChunksHeld, Refused, chunk_status_outcome

    body = {"held": [0, 2], "max_chunk_bytes": 131_112, "chunk_bytes": 2 * CHUNK}
    assert chunk_status_outcome(200, body) == ChunksHeld(frozenset({0, 2}), 2 * CHUNK)
    assert chunk_status_outcome(200, {"held": []}) == ChunksHeld(frozenset(), None)
    assert chunk_status_outcome(200, {"held": [], "chunk_bytes": True}).chunk_bytes is None
    refused = chunk_status_outcome(403, {"error": {"code": "bad_signature", "message": "no"}})
    assert isinstance(refused, Refused) and refused.code == "bad_signature"
