"""Large attachments travel in chunks: an evidence bag of gigabytes, above the
`max_upload_bytes` one upload may carry, goes over the exchange in pieces that each stay
far below it, resumably.

The attachment is encrypted as every attachment is (`attachments.encrypt`: libsodium's
secretstream XChaCha20-Poly1305, a fresh random key, 64 KiB records, the last tagged
final), and its sealed envelope entry carries, beside the usual size, SHA-256, key and
ciphertext digest, `"transfer": "chunked/1"`, the number of chunks (`chunks`) and the
plaintext per chunk (`chunk_bytes`, a multiple of 64 KiB). A chunk is a run of whole
records (the first also holds the stream's header), so each is encrypted and authenticated
on its own, and the stream as a whole detects a chunk reordered, substituted, dropped or
added (each record's tag, and the final tag, bind it to its place).

Before the envelope, the delivery worker asks the receiver which chunks it already holds
(`GET .../attachments/{message}/{attachment}/chunks`) and posts the missing ones, one
request each (`PUT .../chunks/{index}`), each signed over the message, attachment, index,
count, its own SHA-256 and the whole ciphertext's digest and size.

The chunk size is negotiated: the receiver's answer about what it holds also says the most
plaintext per chunk it takes (`chunk_bytes`, its own `exchange_chunk_bytes` under its upload
limit, and `max_chunk_bytes`, the longest chunk body it reads), and the sender cuts the
ciphertext with min(its own setting, the receiver's), asking again about what is held when
that cut differs from the one it sealed. The sealed entry's `chunks` and `chunk_bytes` are
the sender's plan; the receiver reassembles whatever cut arrived (all its chunks signed with
one count, the first one full-length naming the size of the others) and checks it against
the sealed ciphertext's SHA-256 and size, as before. A chunk longer than the receiver's
limit is refused unread (413, naming the limit). Chunks of another cut of the same
attachment from the same sender (the receiver lowered its limit mid-transfer) are removed,
audited, when the first chunk of the new cut arrives.

The receiver checks each chunk's signature, streams the chunk into its file store (never
more than one chunk's worth, never the whole in memory) and refuses it if it is longer than
a chunk may be or if its SHA-256 is not the one signed (altered in transit): every chunk of
that message it holds is then removed, and the message is a dead letter at its sender. An
interrupted transfer resumes from what the receiver reports.

When the envelope arrives the receiver reads the chunks in order from the file store,
checks the whole ciphertext's SHA-256 as it streams it into the decryption, and stores the
plaintext; only then is the answer applied and the bag validated in full
(`evidence.receipt`). A message refused for good, after its signature checked out, takes
its chunks with it (`discard`); so does one applied, once its transaction is committed.
Each removal is audited first (`node:chunks:remove`, with the SHA-256 of every chunk).
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

from nacl.exceptions import CryptoError
from nacl.signing import VerifyKey
from sqlalchemy import delete, func, select
from sqlalchemy.exc import OperationalError

from judicare.audit.service import AuditAction, record
from judicare.exchange.attachments import (
    CHUNK,
    HEADERBYTES,
    RECORD,
    ciphertext_limit,
    decrypt,
    store_checked,
)
from judicare.exchange.canonical import canonical_bytes
from judicare.exchange.envelopes import PeerKeys, b64, unb64
from judicare.exchange.errors import (
    AttachmentMismatch,
    AttachmentMissing,
    AttachmentTooLarge,
    BadSignature,
    ChunkCutChanged,
    Malformed,
    Rejected,
    Replayed,
    TooLarge,
    UnknownSender,
)
from judicare.exchange.keys import KeyRing
from judicare.exchange.models import ChunkRow, InboxRow
from judicare.exchange.peers import load_peer
from judicare.exchange.transport import ChunksHeld
from judicare.files.store import TooLarge as FileTooLarge

log = logging.getLogger("judicare.exchange")

TRANSFER = "chunked/1"
CHUNK_FORMAT = "judicare-chunk/1"
STATUS_FORMAT = "judicare-chunk-status/1"
MAX_SIGNATURES = 8  # key generations a chunk is signed with, newest first
_ID = re.compile(r"[A-Za-z0-9-]{1,64}")
_SHA256 = re.compile(r"[0-9a-f]{64}")


# --- the layout: which bytes of the ciphertext each chunk holds --------------------------------


def chunk_plaintext(settings) -> int:
    """The plaintext per chunk: `exchange_chunk_bytes`, but never more than the upload
    limit allows (whole 64 KiB records, at least one)."""
    under_limit = max(CHUNK, settings.max_upload_bytes // CHUNK * CHUNK)
    return min(settings.exchange_chunk_bytes, under_limit)


def chunk_limit(settings) -> int:
    """The longest chunk body this node reads: the stream's header and the records of one
    chunk's plaintext."""
    return ciphertext_limit(chunk_plaintext(settings))


def negotiated(own: int, receivers: int | None) -> int:
    """The plaintext per chunk of a transfer: the sender's plan, or less when the receiver
    takes less (whole 64 KiB records, at least one)."""
    if receivers is None:
        return own
    return max(CHUNK, min(own, receivers) // CHUNK * CHUNK)


def layout(ciphertext_size: int, plaintext_per_chunk: int) -> list[tuple[int, int]]:
    """(offset, length) of each chunk of a ciphertext: the first holds the header and
    `plaintext_per_chunk / 64 KiB` records, the others that many records, the last the rest."""
    if plaintext_per_chunk < CHUNK or plaintext_per_chunk % CHUNK:
        raise ValueError(f"a chunk holds whole 64 KiB records, not {plaintext_per_chunk} bytes")
    span = plaintext_per_chunk // CHUNK * RECORD
    parts, offset = [], 0
    while offset < ciphertext_size or not parts:
        length = span + (HEADERBYTES if offset == 0 else 0)
        parts.append((offset, min(length, ciphertext_size - offset)))
        offset += length
    return parts


def is_chunked(item: Any) -> bool:
    return isinstance(item, dict) and item.get("transfer") == TRANSFER


def plan(entry: dict, upload: dict, settings) -> None:
    """Mark an encrypted attachment for chunked transfer when it is larger than one chunk
    (in place: the sealed entry gains the transfer, the count and the plaintext per chunk;
    the outbox's upload entry what the worker needs to cut it)."""
    per_chunk = chunk_plaintext(settings)
    if entry["size"] <= per_chunk:
        return
    count = len(layout(entry["ciphertext_size"], per_chunk))
    entry.update(transfer=TRANSFER, chunks=count, chunk_bytes=per_chunk)
    upload.update(transfer=TRANSFER, chunks=count, chunk_bytes=per_chunk,
                  size=entry["ciphertext_size"])  # fmt: skip


# --- signatures ---------------------------------------------------------------------------------


def _signed(fields: dict) -> bytes:
    return canonical_bytes(fields)


def _chunk_fields(sender, message_id, attachment_id, index, count, sha, cipher_sha, cipher_size):
    return {
        "format": CHUNK_FORMAT, "sender": sender, "message_id": message_id,
        "attachment_id": attachment_id, "index": index, "count": count, "sha256": sha,
        "ciphertext_sha256": cipher_sha, "ciphertext_size": cipher_size,
    }  # fmt: skip


def _status_fields(sender, message_id, attachment_id):
    return {"format": STATUS_FORMAT, "sender": sender, "message_id": message_id,
            "attachment_id": attachment_id}  # fmt: skip


def _sign(ring: KeyRing, data: bytes, extra: dict) -> dict:
    # Every key generation, newest first, as uploads are: a peer that has not yet seen this
    # node's latest card (it rides in the envelope, which comes last) knows an older key.
    generations = tuple(reversed(ring.generations))[:MAX_SIGNATURES]
    return {
        **extra,
        "x-judicare-sender": ring.identity.node_id,
        "x-judicare-signing-key": ",".join(g.signing_id for g in generations),
        "x-judicare-signature": ",".join(b64(g.signing.sign(data).signature) for g in generations),
    }


def chunk_headers(ring: KeyRing, message_id: str, item: dict, index: int, sha: str) -> dict:
    fields = _chunk_fields(ring.identity.node_id, message_id, item["id"], index, item["chunks"],
                           sha, item["sha256"], item["size"])  # fmt: skip
    return _sign(ring, _signed(fields), {
        "x-judicare-chunk-count": str(item["chunks"]), "x-judicare-chunk-sha256": sha,
        "x-judicare-ciphertext-sha256": item["sha256"],
        "x-judicare-ciphertext-size": str(item["size"]),
    })  # fmt: skip


def status_headers(ring: KeyRing, message_id: str, attachment_id: str, count: int) -> dict:
    """Signed over the ids; the count only shapes the answer to its own sender (a message
    already applied: all of them), so it needs no signature."""
    fields = _status_fields(ring.identity.node_id, message_id, attachment_id)
    return _sign(ring, _signed(fields), {"x-judicare-chunk-count": str(count)})


def _verify(keys: PeerKeys, headers: dict, data: bytes, what: str) -> None:
    key_ids = str(headers.get("x-judicare-signing-key", "")).split(",")[:MAX_SIGNATURES]
    signatures = str(headers.get("x-judicare-signature", "")).split(",")[:MAX_SIGNATURES]
    known = [(keys.signing[k], s) for k, s in zip(key_ids, signatures, strict=False)
             if k in keys.signing]  # fmt: skip
    if not known:
        raise BadSignature(f"{what} is not signed with a key of node {keys.node_id!r}")
    public, signature = known[0]
    try:
        VerifyKey(public).verify(data, unb64(signature, "a chunk signature"))
    except (CryptoError, ValueError):
        raise BadSignature(
            f"{what}: the signature does not match (node {keys.node_id!r})"
        ) from None


# --- sending ------------------------------------------------------------------------------------


def _part(file_store, key: str, offset: int, length: int) -> Iterator[bytes]:
    """The bytes [offset, offset + length) of a stored file, 64 KiB at a time."""
    with file_store.open(key) as handle:
        handle.seek(offset)
        left = length
        while left > 0:
            piece = handle.read(min(CHUNK, left))
            if not piece:
                raise OSError(f"{key} is shorter than its chunk layout says")
            left -= len(piece)
            yield piece


def upload(transport, node, endpoint: str, message_id: str, item: dict):
    """Send the chunks the receiver does not hold yet; a `Refused` when it refuses one (or
    the question), None when it holds them all. A `TransportFailure` propagates: the next
    attempt asks again and sends only what is missing."""
    ring = node.ring()

    def ask(count: int):
        headers = status_headers(ring, message_id, item["id"], count)
        return transport.chunk_status(endpoint, message_id, item["id"], headers)

    answer = ask(item["chunks"])
    if not isinstance(answer, ChunksHeld):
        return answer  # refused
    per_chunk = negotiated(item["chunk_bytes"], answer.chunk_bytes)
    parts = layout(item["size"], per_chunk)
    cut = {**item, "chunks": len(parts), "chunk_bytes": per_chunk}
    if per_chunk != item["chunk_bytes"]:
        log.info("attachment %s of %s: %d chunks of %d bytes (the receiver takes at most %s)",
                 item["id"], message_id, len(parts), per_chunk, answer.chunk_bytes)  # fmt: skip
        if len(parts) != item["chunks"]:
            answer = ask(len(parts))  # what it holds of this cut
            if not isinstance(answer, ChunksHeld):
                return answer
    store, key = node.file_store, item["storage_key"]
    for index, (offset, length) in enumerate(parts):
        if index in answer.held:
            continue
        digest = hashlib.sha256()
        for piece in _part(store, key, offset, length):
            digest.update(piece)
        headers = chunk_headers(ring, message_id, cut, index, digest.hexdigest())
        refused = transport.put_chunk(
            endpoint, message_id, item["id"], index, _part(store, key, offset, length), headers
        )
        if refused is not None:
            return refused
    return None


# --- receiving a chunk --------------------------------------------------------------------------


def _sender_keys(session, node, headers: dict) -> PeerKeys:
    found = load_peer(session, node.ring(), str(headers.get("x-judicare-sender")))
    if found is None:
        raise UnknownSender(f"node {headers.get('x-judicare-sender')!r} is not a peer")
    return found[1]


def _ids(message_id: str, attachment_id: str) -> None:
    if not (_ID.fullmatch(message_id) and _ID.fullmatch(attachment_id)):
        raise Malformed("message and attachment ids are letters, digits and hyphens")


def held_chunks(session, node, message_id: str, attachment_id: str, headers: dict) -> list[int]:
    """The indexes of the chunks of this attachment this node holds, for their sender only
    and of the cut the question names (its count); all of them once the message was applied
    (a retry after a lost receipt sends none)."""
    _ids(message_id, attachment_id)
    keys = _sender_keys(session, node, headers)
    _verify(keys, headers, _signed(_status_fields(keys.node_id, message_id, attachment_id)),
            "the question about chunks")  # fmt: skip
    count = str(headers.get("x-judicare-chunk-count", ""))
    applied = session.get(InboxRow, message_id)
    if applied is not None and applied.sender == keys.node_id:
        most = ciphertext_limit(node.settings.max_evidence_bytes) // RECORD + 1
        return list(range(min(int(count), most))) if count.isdigit() else []
    query = select(ChunkRow.idx).where(
        ChunkRow.message_id == message_id, ChunkRow.attachment_id == attachment_id,
        ChunkRow.sender == keys.node_id)  # fmt: skip
    if count.isdigit():  # the chunks of another cut are no use to this one
        query = query.where(ChunkRow.count == int(count))
    return list(session.scalars(query.order_by(ChunkRow.idx)))


def _declared(headers: dict) -> tuple[int, str, str, int]:
    try:
        count = int(headers["x-judicare-chunk-count"])
        sha = str(headers["x-judicare-chunk-sha256"])
        cipher_sha = str(headers["x-judicare-ciphertext-sha256"])
        cipher_size = int(headers["x-judicare-ciphertext-size"])
    except KeyError as exc:
        raise Malformed(f"the chunk lacks the header {exc.args[0]}") from None
    except ValueError:
        raise Malformed("a chunk's count and ciphertext size are whole numbers") from None
    if not (_SHA256.fullmatch(sha) and _SHA256.fullmatch(cipher_sha)):
        raise Malformed("a chunk's digests are SHA-256 in lower-case hexadecimal")
    return count, sha, cipher_sha, cipher_size


def receive_chunk(
    session, node, message_id: str, attachment_id: str, index: int, headers: dict,
    chunks: Iterable[bytes], *, now: datetime,
) -> None:  # fmt: skip
    """Check a chunk's signature, then stream it into the file store (at most one chunk's
    length) and record it. A chunk already held is not stored again."""
    _ids(message_id, attachment_id)
    keys = _sender_keys(session, node, headers)
    count, sha, cipher_sha, cipher_size = _declared(headers)
    fields = _chunk_fields(keys.node_id, message_id, attachment_id, index, count, sha,
                           cipher_sha, cipher_size)  # fmt: skip
    _verify(keys, headers, _signed(fields), f"chunk {index} of attachment {attachment_id}")
    try:
        _store_chunk(session, node, keys.node_id, message_id, attachment_id, index,
                     (count, sha, cipher_sha, cipher_size), chunks, now)  # fmt: skip
    except Rejected as refused:
        refused.sender = keys.node_id  # the chunk's signature checked out
        raise


def _store_chunk(session, node, sender, message_id, attachment_id, index, declared, chunks, now):
    count, sha, cipher_sha, cipher_size = declared
    what = f"chunk {index} of attachment {attachment_id} of message {message_id}"
    limit = ciphertext_limit(node.settings.max_evidence_bytes)
    if cipher_size > limit:
        raise AttachmentTooLarge(
            f"attachment {attachment_id} of message {message_id} has {cipher_size} encrypted "
            f"bytes, over this node's limit for evidence ({node.settings.max_evidence_bytes})"
        )
    if not 0 <= index < count or count > cipher_size // RECORD + 1:
        raise Malformed(f"{what}: not a chunk of an attachment of {count} chunks")
    if session.get(InboxRow, message_id) is not None:
        return  # the message was applied already: a late retry of its upload
    other_cut = session.scalar(select(func.count()).select_from(ChunkRow).where(
        ChunkRow.message_id == message_id, ChunkRow.attachment_id == attachment_id,
        ChunkRow.sender == sender, ChunkRow.count != count))  # fmt: skip
    if other_cut:
        raise ChunkCutChanged(
            f"{what}: this node holds {other_cut} chunks of the attachment cut otherwise "
            f"(not in {count}): they are removed, and the new cut taken"
        )
    earlier = session.scalar(select(ChunkRow).where(
        ChunkRow.message_id == message_id, ChunkRow.attachment_id == attachment_id,
        ChunkRow.idx == index))  # fmt: skip
    if earlier is not None:
        if earlier.sender != sender or earlier.sha256 != sha:
            raise Replayed(f"{what} was already received with other content")
        if node.file_store.exists(earlier.storage_key):
            return
    try:
        key, size, got = node.file_store.put(chunks, chunk_limit(node.settings))
    except FileTooLarge:
        raise AttachmentTooLarge(
            f"{what} is longer than the {chunk_limit(node.settings)} bytes a chunk may have "
            "on this node (JUDICARE_EXCHANGE_CHUNK_BYTES)"
        ) from None
    if got != sha:
        error = AttachmentMismatch(
            f"{what} arrived with SHA-256 {got}, not the {sha} its sender signed (altered in "
            "transit): refused, and every chunk of the message removed"
        )
        error.blobs = [key]  # type: ignore[attr-defined]
        raise error
    if earlier is None:
        session.add(ChunkRow(
            sender=sender, message_id=message_id, attachment_id=attachment_id, idx=index,
            count=count, ciphertext_sha256=cipher_sha, sha256=sha, size=size,
            storage_key=key, received_at=now,
        ))  # fmt: skip
    session.flush()


# --- opening a chunked attachment when its envelope arrives -------------------------------------


def open_attachment(session, node, message_id: str, sender: str, index: int, item: dict,
                    limit: int) -> tuple[str, int, str, str, str]:  # fmt: skip
    """Read the chunks in order from the file store, check the whole ciphertext's SHA-256
    and size against the sealed entry as they stream, decrypt, store the plaintext under
    `limit` and check its size and SHA-256: (key, size, sha256, filename, media type)."""
    try:
        attachment_id = str(item["id"])
        declared_size, declared_sha = int(item["size"]), str(item["sha256"])
        filename, media_type = str(item["filename"])[:255], str(item["media_type"])[:120]
        secret = unb64(item["key"], "an attachment key")
        cipher_sha, cipher_size = str(item["ciphertext_sha256"]), int(item["ciphertext_size"])
        count, per_chunk = int(item["chunks"]), int(item["chunk_bytes"])
        layout(cipher_size, per_chunk)  # the sender's plan is a layout
    except (KeyError, TypeError, ValueError, Malformed):
        raise Malformed(f"attachment {index} lacks its chunked transfer's manifest") from None
    what = f"attachment {index} ({filename})"
    if declared_size > limit:
        raise TooLarge(f"{what} has {declared_size} bytes, over this node's limit of {limit}")
    rows = session.scalars(select(ChunkRow).where(
        ChunkRow.message_id == message_id, ChunkRow.attachment_id == attachment_id,
        ChunkRow.sender == sender).order_by(ChunkRow.idx)).all()  # fmt: skip
    held = [r for r in rows if node.file_store.exists(r.storage_key)]
    if held and held[0].count != count:  # cut finer than planned: the receiver takes less
        count, per_chunk = held[0].count, _cut_of(held[0], cipher_size, what)
    expected = layout(cipher_size, per_chunk)
    if len(expected) != count:
        raise AttachmentMismatch(f"{what}: {count} chunks cannot hold {cipher_size} bytes")
    if [r.idx for r in held] != list(range(count)):
        raise AttachmentMissing(
            f"{what}: {len(held)} of its {count} chunks have arrived: upload the rest, then retry"
        )
    for row, (_, length) in zip(held, expected, strict=True):
        if row.ciphertext_sha256 != cipher_sha or row.size != length or row.count != count:
            raise AttachmentMismatch(
                f"{what}: chunk {row.idx} was uploaded for another ciphertext or length than "
                "the envelope names"
            )
    store = node.file_store

    def ciphertext() -> Iterator[bytes]:
        digest, size = hashlib.sha256(), 0
        for row in held:
            for piece in store.open_chunks(row.storage_key, CHUNK):
                digest.update(piece)
                size += len(piece)
                yield piece
        if digest.hexdigest() != cipher_sha or size != cipher_size:
            raise AttachmentMismatch(  # raised before the last record is let through
                f"{what}: its chunks add up to {size} bytes with SHA-256 {digest.hexdigest()}, "
                f"not the {cipher_size} bytes and {cipher_sha} the sender sealed"
            )

    plaintext = _checked_last(decrypt(ciphertext(), secret, what))
    key, size, sha = store_checked(store, plaintext, limit, what, declared_size, declared_sha)
    return key, size, sha, filename, media_type


def _cut_of(first: ChunkRow, cipher_size: int, what: str) -> int:
    """The plaintext per chunk of a transfer, from its first chunk: the stream's header and
    whole records (the whole ciphertext when it is the only one)."""
    if first.count == 1:
        return max(CHUNK, -(-cipher_size // RECORD) * CHUNK)
    records, rest = divmod(first.size - HEADERBYTES, RECORD)
    if records < 1 or rest:
        raise AttachmentMismatch(f"{what}: its first chunk is not whole records ({first.size})")
    return records * CHUNK


def _checked_last(plain: Iterator[bytes]) -> Iterator[bytes]:
    """The plaintext held back by one record, so that a check made when the ciphertext ends
    (its digest) fails before the file store has been given the last record."""
    pending = None
    for piece in plain:
        if pending is not None:
            yield pending
        pending = piece
    if pending is not None:
        yield pending


# --- removing a message's chunks ----------------------------------------------------------------


def discard(app, message_id: str, *, sender: str | None, why: str, now: datetime,
            attachment_id: str | None = None) -> int:  # fmt: skip
    """Remove the chunks of a message (all, or those of `sender`, of one attachment if
    `attachment_id`): the rows and one audit
    entry naming every chunk's SHA-256, committed first, then the bytes (kept while anything
    else references them, `files.removal.references`). Returns the number of chunks."""
    from judicare.files.removal import references

    with app.unit_of_work() as uow:
        query = select(ChunkRow).where(ChunkRow.message_id == message_id)
        if sender is not None:
            query = query.where(ChunkRow.sender == sender)
        if attachment_id is not None:
            query = query.where(ChunkRow.attachment_id == attachment_id)
        rows = uow.session.scalars(query.order_by(ChunkRow.attachment_id, ChunkRow.idx)).all()
        if not rows:
            return 0
        keys = [r.storage_key for r in rows]
        record(
            uow.session, actor="exchange inbox", action=AuditAction.ERASURE,
            tag="node:chunks:remove", subject_type="message", subject_id=message_id[:120],
            why=why[:2000], at=now,
            details={"chunks": len(rows), "bytes": sum(r.size for r in rows),
                     "sha256": [r.sha256 for r in rows]},
        )  # fmt: skip
        uow.session.execute(delete(ChunkRow).where(ChunkRow.id.in_([r.id for r in rows])))
        uow.session.flush()
        kept = {k for k in keys if references(uow.session, k)}
        uow.commit()
    for key in keys:
        if key not in kept:
            app.file_store.remove(key)
    return len(rows)


def stale_before(settings, now: datetime) -> datetime:
    """Chunks received before this can no longer be used: their envelope was sealed before
    them and is refused once it is older than the longest window (and the skew allowed)."""
    return now - timedelta(
        seconds=settings.exchange_max_window_seconds + settings.exchange_clock_skew_seconds
    )


def prune_stale(app, settings, now: datetime) -> int:
    """Remove the chunks of messages whose envelope can no longer arrive (the sender gave up
    or the transfer was abandoned), as `discard` does, audited. Returns how many."""
    with app.unit_of_work() as uow:
        stale = uow.session.execute(
            select(ChunkRow.message_id, ChunkRow.sender)
            .group_by(ChunkRow.message_id, ChunkRow.sender)
            .having(func.max(ChunkRow.received_at) < stale_before(settings, now))
        ).all()
    return sum(
        discard(app, message_id, sender=sender, now=now,
                why="abandoned: its envelope is past the longest window and can no longer arrive")
        for message_id, sender in stale
    )  # fmt: skip


def remove_refused_chunk(app, keys: list[str], *, why: str, now: datetime) -> None:
    """The bytes of a chunk refused on arrival (stored before its digest could be known)."""
    from judicare.files import removal

    removal.remove(app, keys, actor="exchange inbox", why=why[:2000], now=now,
                   subject=("node", "files"))  # fmt: skip


# --- after a refusal or an application -----------------------------------------------------


def after_chunk_refusal(app, node, message_id: str, rejected: Rejected) -> None:
    """A chunk refused for good, once its signature checked out: nothing of the message
    stays (the refused chunk's bytes, and every chunk of it held)."""
    if rejected.sender is None or not rejected.permanent:
        return
    now = node.clock.now()
    try:
        blobs = getattr(rejected, "blobs", None)
        if blobs:
            remove_refused_chunk(app, list(blobs), why=rejected.message, now=now)
        discard(app, message_id, sender=rejected.sender, why=rejected.message, now=now)
    except (OSError, OperationalError):
        log.exception("could not remove the chunks of a refused message")


def after_envelope(app, node, raw: bytes, *, applied: str | None, refused: Rejected | None):
    """The chunks of a message go once it is applied (its plaintext is stored) or refused
    for good after its signature checked out; a temporary refusal (a chunk still missing)
    keeps them for the retry."""
    now = node.clock.now()
    try:
        if applied is not None:
            discard(app, applied, sender=None, why="applied: the attachment was reassembled",
                    now=now)  # fmt: skip
        elif refused is not None and refused.sender is not None and refused.permanent:
            from judicare.exchange.envelopes import parse

            message_id = str(parse(raw)[0].get("message_id", ""))
            if message_id:
                discard(app, message_id, sender=refused.sender, why=refused.message, now=now)
    except (OSError, OperationalError, Rejected):
        log.exception("could not remove the chunks of a message")
