"""Attachments travel beside the envelope, not inside it.

The sealed envelope carries, per document, its id, names, plaintext size and SHA-256, a
fresh random key and the SHA-256 of its ciphertext. The bytes themselves are encrypted with
libsodium's streaming AEAD (`crypto_secretstream_xchacha20poly1305`) in 64 KiB chunks, kept
in the sender's file store, and uploaded before the envelope (`PUT .../attachments/{message
id}/{attachment id}`, signed by the sender over message id, attachment id and ciphertext
digest). The receiver streams the upload into its own file store under the size limit,
never holding a whole file; when the envelope is applied it decrypts chunk by chunk into
the file store and checks size and SHA-256 against what the sender signed.

Content addressing makes a retry harmless: the same ciphertext lands under the same key.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Iterable, Iterator

from nacl.bindings import (
    crypto_secretstream_xchacha20poly1305_ABYTES as ABYTES,
)
from nacl.bindings import (
    crypto_secretstream_xchacha20poly1305_HEADERBYTES as HEADERBYTES,
)
from nacl.bindings import (
    crypto_secretstream_xchacha20poly1305_init_pull,
    crypto_secretstream_xchacha20poly1305_init_push,
    crypto_secretstream_xchacha20poly1305_pull,
    crypto_secretstream_xchacha20poly1305_push,
    crypto_secretstream_xchacha20poly1305_state,
)
from nacl.bindings import (
    crypto_secretstream_xchacha20poly1305_TAG_FINAL as TAG_FINAL,
)
from nacl.bindings import (
    crypto_secretstream_xchacha20poly1305_TAG_MESSAGE as TAG_MESSAGE,
)
from nacl.exceptions import CryptoError
from nacl.signing import VerifyKey

from judicare.exchange.canonical import canonical_bytes
from judicare.exchange.envelopes import PeerKeys, b64, unb64
from judicare.exchange.errors import AttachmentMismatch, BadSignature, Malformed, TooLarge
from judicare.exchange.keys import KeyRing
from judicare.files.store import TooLarge as FileTooLarge

CHUNK = 1 << 16
RECORD = CHUNK + ABYTES
UPLOAD_FORMAT = "judicare-attachment/1"


def ciphertext_limit(plaintext_limit: int) -> int:
    """The ciphertext size of a plaintext of exactly the limit (header, and a tag per
    chunk): a larger upload is a larger plaintext, refused while it streams."""
    records = max(1, -(-plaintext_limit // CHUNK))
    return HEADERBYTES + plaintext_limit + records * ABYTES


def _fixed(chunks: Iterable[bytes], size: int) -> Iterator[bytes]:
    """The same bytes in pieces of exactly `size` (the last one shorter)."""
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        while len(buffer) >= size:
            yield bytes(buffer[:size])
            del buffer[:size]
    if buffer:
        yield bytes(buffer)


def encrypt(chunks: Iterable[bytes], key: bytes) -> Iterator[bytes]:
    """Header, then one record per 64 KiB of plaintext, the last tagged final (so a
    truncated stream is detected)."""
    state = crypto_secretstream_xchacha20poly1305_state()
    yield crypto_secretstream_xchacha20poly1305_init_push(state, key)
    pending = None
    for chunk in _fixed(chunks, CHUNK):
        if pending is not None:
            yield crypto_secretstream_xchacha20poly1305_push(state, pending, tag=TAG_MESSAGE)
        pending = chunk
    yield crypto_secretstream_xchacha20poly1305_push(state, pending or b"", tag=TAG_FINAL)


def decrypt(chunks: Iterable[bytes], key: bytes, what: str) -> Iterator[bytes]:
    """The plaintext, record by record; a changed, reordered, cut or extended record
    raises `AttachmentMismatch`."""
    pieces = _fixed(chunks, RECORD)
    first = next(pieces, b"")
    if len(first) < HEADERBYTES:
        raise AttachmentMismatch(f"{what}: the encrypted stream is too short")
    state = crypto_secretstream_xchacha20poly1305_state()
    crypto_secretstream_xchacha20poly1305_init_pull(state, first[:HEADERBYTES], key)
    records = _fixed(_rest(first[HEADERBYTES:], pieces), RECORD)
    final = False
    for record in records:
        if final:
            raise AttachmentMismatch(f"{what}: data follows the final chunk")
        try:
            plain, tag = crypto_secretstream_xchacha20poly1305_pull(state, record)
        except (CryptoError, ValueError):
            raise AttachmentMismatch(
                f"{what}: a chunk fails authentication (altered in transit or in storage)"
            ) from None
        final = tag == TAG_FINAL
        yield plain
    if not final:
        raise AttachmentMismatch(f"{what}: the encrypted stream was cut short")


def store_checked(
    store, plaintext: Iterable[bytes], limit: int, what: str, declared_size: int, declared_sha: str
) -> tuple[str, int, str]:
    """Stream a decrypted attachment into the file store and check it against the size and
    SHA-256 the sender signed: the file store's key, size and SHA-256."""
    try:
        key, size, sha = store.put(plaintext, limit)
    except FileTooLarge as exc:
        raise TooLarge(f"{what}: {exc.message}") from None
    if size != declared_size or sha != declared_sha:
        raise AttachmentMismatch(
            f"{what} has {size} bytes and SHA-256 {sha}, but the sender signed "
            f"{declared_size} bytes and {declared_sha}"
        )
    return key, size, sha


def _rest(head: bytes, tail: Iterator[bytes]) -> Iterator[bytes]:
    if head:
        yield head
    yield from tail


def prepare(file_store, document, limit: int) -> tuple[dict, dict]:
    """Encrypt one stored document into the file store, reading it in chunks.
    Returns (what the sealed payload says about it, what the outbox keeps to upload it)."""
    key = secrets.token_bytes(32)
    digest, size = hashlib.sha256(), 0

    def checked() -> Iterator[bytes]:
        nonlocal size
        for chunk in file_store.open_chunks(document.storage_key, CHUNK):
            digest.update(chunk)
            size += len(chunk)
            yield chunk

    cipher_key, cipher_size, cipher_sha = file_store.put(
        encrypt(checked(), key), ciphertext_limit(limit)
    )
    if digest.hexdigest() != document.sha256 or size != document.size:
        raise AttachmentMismatch(f"document {document.id} no longer matches its SHA-256")
    attachment_id = str(uuid.uuid4())
    entry = {
        "id": attachment_id, "filename": document.filename, "media_type": document.media_type,
        "size": size, "sha256": document.sha256, "key": b64(key),
        "ciphertext_sha256": cipher_sha, "ciphertext_size": cipher_size,
    }  # fmt: skip
    upload = {"id": attachment_id, "storage_key": cipher_key, "sha256": cipher_sha}
    return entry, upload


# --- the upload's signature -----------------------------------------------------------------


def _signed_bytes(sender: str, message_id: str, attachment_id: str, cipher_sha: str) -> bytes:
    return canonical_bytes(
        {
            "format": UPLOAD_FORMAT, "sender": sender, "message_id": message_id,
            "attachment_id": attachment_id, "ciphertext_sha256": cipher_sha,
        }
    )  # fmt: skip


MAX_UPLOAD_SIGNATURES = 8  # key generations an upload is signed with, newest first


def upload_headers(ring: KeyRing, message_id: str, attachment_id: str, cipher_sha: str) -> dict:
    sender = ring.identity.node_id
    data = _signed_bytes(sender, message_id, attachment_id, cipher_sha)
    # Signed by every key generation, newest first: a peer that has not yet seen this
    # node's latest card (it rides in the envelope, which follows the upload) still knows
    # an older key, so an upload right after a rotation is not refused.
    generations = tuple(reversed(ring.generations))[:MAX_UPLOAD_SIGNATURES]
    return {
        "x-judicare-sender": sender,
        "x-judicare-ciphertext-sha256": cipher_sha,
        "x-judicare-signing-key": ",".join(g.signing_id for g in generations),
        "x-judicare-signature": ",".join(b64(g.signing.sign(data).signature) for g in generations),
    }


def check_upload(keys: PeerKeys, headers: dict, message_id: str, attachment_id: str) -> str:
    """The ciphertext digest the sender vouches for; raises when the signature fails."""
    try:
        sender = headers["x-judicare-sender"]
        cipher_sha = headers["x-judicare-ciphertext-sha256"]
        key_ids = str(headers["x-judicare-signing-key"]).split(",")[:MAX_UPLOAD_SIGNATURES]
        signatures = str(headers["x-judicare-signature"]).split(",")[:MAX_UPLOAD_SIGNATURES]
    except KeyError as exc:
        raise Malformed(f"the attachment upload lacks the header {exc.args[0]}") from None
    known = [(keys.signing[k], s) for k, s in zip(key_ids, signatures, strict=False)
             if k in keys.signing]  # fmt: skip
    public = known[0][0] if known else None
    signature = unb64(known[0][1], "the upload signature") if known else b""
    if public is None or sender != keys.node_id:
        raise BadSignature(f"the upload is not signed with a key of node {keys.node_id!r}")
    try:
        VerifyKey(public).verify(
            _signed_bytes(sender, message_id, attachment_id, cipher_sha), signature
        )
    except (CryptoError, ValueError):
        raise BadSignature(
            f"the upload's signature does not match (node {keys.node_id!r}, "
            f"message {message_id}, attachment {attachment_id})"
        ) from None
    return cipher_sha
