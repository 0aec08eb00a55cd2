"""Transports: how an envelope's bytes reach a peer's inbox and its receipt comes back.

One method, `post(endpoint, envelope)`, returns `Delivered(receipt)` or `Refused(code,
message, permanent)`, or raises `TransportFailure` when the outcome is unknown (network
down, timeout, server error): the outbox then retries the same bytes later.
`HttpTransport` posts over HTTP(S) with httpx (one kept-alive client); `MockTransport` routes
in process, for tests, and can fail, drop or partition on request.

`HttpTransport.post_batch` posts several envelopes in one request to the peer's batch inbox,
which applies them in one transaction (one commit, one audit-chain append for the group)
and answers each as the single inbox would. Each envelope stays signed, encrypted and
receipted on its own; only the HTTP request and the receiver's commit are shared. A peer
without the batch inbox (HTTP 404 or 405) gets its envelopes one by one.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

import httpx

INBOX_PATH = "/api/v1/exchange/inbox"
ATTACHMENTS_PATH = "/api/v1/exchange/attachments"
INBOX_BATCH_PATH = "/api/v1/exchange/inbox/batch"
ENVELOPE_MEDIA_TYPE = "application/vnd.judicare.envelope"
# A batch is the envelopes one after the other, each preceded by its length (4 bytes, big
# endian); its answer is, for each envelope in the same order, the HTTP status the single
# inbox would have given (2 bytes), the length (4 bytes), then the receipt or the JSON error.
BATCH_MEDIA_TYPE = "application/vnd.judicare.envelope-batch"
MAX_BATCH_ENVELOPES = 64
# Refusals that may succeed later with the same bytes (the receiver is busy or restarting).
TEMPORARY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class Delivered:
    receipt: bytes


@dataclass(frozen=True, slots=True)
class Refused:
    code: str
    message: str
    permanent: bool


class TransportFailure(Exception):
    """The outcome is unknown: the envelope may or may not have arrived."""


class Transport(Protocol):
    def post(self, endpoint: str, envelope: bytes) -> Delivered | Refused: ...

    def upload(
        self, endpoint: str, message_id: str, attachment_id: str, chunks: Iterable[bytes],
        headers: dict,
    ) -> Refused | None:  # fmt: skip
        """Stream one encrypted attachment; None when the peer stored it."""


def upload_outcome(status: int, error: dict | None) -> Refused | None:
    if status in (200, 201, 204):
        return None
    return outcome(status, b"", error)  # a temporary status raises TransportFailure


def outcome(status: int, content: bytes, error: dict | None) -> Delivered | Refused:
    if status == 200:
        return Delivered(content)
    if status in TEMPORARY_STATUSES:
        raise TransportFailure(f"HTTP {status}: {(error or {}).get('message', '')}".strip())
    error = error or {}
    return Refused(error.get("code", f"http_{status}"), error.get("message", ""), True)


def frame(envelopes: list[bytes]) -> bytes:
    return b"".join(len(e).to_bytes(4, "big") + e for e in envelopes)


def unframe(data: bytes) -> list[bytes]:
    """The envelopes of a batch; ValueError if it is not one."""
    items, at = [], 0
    while at < len(data):
        if at + 4 > len(data):
            raise ValueError("a batch ends in the middle of a length")
        size = int.from_bytes(data[at : at + 4], "big")
        if size == 0 or at + 4 + size > len(data):
            raise ValueError(f"envelope {len(items) + 1} of the batch is empty or cut short")
        items.append(data[at + 4 : at + 4 + size])
        at += 4 + size
        if len(items) > MAX_BATCH_ENVELOPES:
            raise ValueError(f"a batch holds at most {MAX_BATCH_ENVELOPES} envelopes")
    if not items:
        raise ValueError("the batch holds no envelope")
    return items


def frame_answers(answers: list[tuple[int, bytes, dict | None]]) -> bytes:
    parts = []
    for status, content, error in answers:
        body = content if error is None else json.dumps({"error": error}).encode()
        parts.append(status.to_bytes(2, "big") + len(body).to_bytes(4, "big") + body)
    return b"".join(parts)


def unframe_answers(data: bytes, count: int) -> list[Delivered | Refused | TransportFailure]:
    """Each envelope's outcome; TransportFailure (raised) if the answer is not one."""
    results: list[Delivered | Refused | TransportFailure] = []
    at = 0
    while at < len(data):
        if at + 6 > len(data):
            raise TransportFailure("the batch answer ends in the middle of an item")
        status = int.from_bytes(data[at : at + 2], "big")
        size = int.from_bytes(data[at + 2 : at + 6], "big")
        body = data[at + 6 : at + 6 + size]
        if len(body) != size:
            raise TransportFailure("the batch answer is cut short")
        at += 6 + size
        error = None
        if status != 200:
            try:
                error = json.loads(body).get("error")
            except (ValueError, AttributeError):
                error = None
        try:
            results.append(outcome(status, body, error))
        except TransportFailure as failure:  # this one may be retried; the others stand
            results.append(failure)
    if len(results) != count:
        raise TransportFailure(f"the batch answer has {len(results)} items for {count} envelopes")
    return results


class HttpTransport:
    def __init__(self, timeout: float = 10.0, client: httpx.Client | None = None) -> None:
        self.client = client or httpx.Client(
            timeout=timeout, limits=httpx.Limits(max_connections=32), trust_env=False
        )
        self.without_batch: set[str] = set()  # peers that have no batch inbox

    def post(self, endpoint: str, envelope: bytes) -> Delivered | Refused:
        url = endpoint.rstrip("/") + INBOX_PATH
        try:
            response = self.client.post(
                url, content=envelope, headers={"content-type": ENVELOPE_MEDIA_TYPE}
            )
        except httpx.HTTPError as exc:
            raise TransportFailure(f"{type(exc).__name__} posting to {url}: {exc}") from None
        error = None
        if response.status_code != 200:
            try:
                error = response.json().get("error")
            except ValueError:
                error = None
        return outcome(response.status_code, response.content, error)

    def post_batch(
        self, endpoint: str, envelopes: list[bytes]
    ) -> list[Delivered | Refused | TransportFailure] | None:
        """Each envelope's outcome, in order; None if the peer has no batch inbox or did not
        take this batch as one (then post them one by one); raises TransportFailure when
        the outcome of the whole batch is unknown."""
        if endpoint in self.without_batch:
            return None
        url = endpoint.rstrip("/") + INBOX_BATCH_PATH
        try:
            response = self.client.post(
                url, content=frame(envelopes), headers={"content-type": BATCH_MEDIA_TYPE}
            )
        except httpx.HTTPError as exc:
            raise TransportFailure(f"{type(exc).__name__} posting to {url}: {exc}") from None
        if response.status_code in TEMPORARY_STATUSES:
            raise TransportFailure(f"HTTP {response.status_code} from {url}")
        if response.status_code in (404, 405):  # an older node: single posts from now on
            self.without_batch.add(endpoint)
        if response.status_code != 200:
            return None
        return unframe_answers(response.content, len(envelopes))

    def upload(
        self, endpoint: str, message_id: str, attachment_id: str, chunks: Iterable[bytes],
        headers: dict,
    ) -> Refused | None:  # fmt: skip
        url = f"{endpoint.rstrip('/')}{ATTACHMENTS_PATH}/{message_id}/{attachment_id}"
        headers = {**headers, "content-type": "application/octet-stream"}
        try:
            response = self.client.put(url, content=iter(chunks), headers=headers)
        except httpx.HTTPError as exc:
            raise TransportFailure(f"{type(exc).__name__} uploading to {url}: {exc}") from None
        error = None
        if response.status_code >= 300:
            try:
                error = response.json().get("error")
            except ValueError:
                error = None
        return upload_outcome(response.status_code, error)

    def close(self) -> None:
        self.client.close()

    # --- chunked transfer of large attachments (exchange.chunked) ---

    def chunk_status(self, endpoint: str, message_id: str, attachment_id: str, headers: dict):
        """What the peer holds of the attachment and takes per chunk (`ChunksHeld`), or its
        `Refused`."""
        url = f"{endpoint.rstrip('/')}{ATTACHMENTS_PATH}/{message_id}/{attachment_id}/chunks"
        try:
            response = self.client.get(url, headers=headers)
        except httpx.HTTPError as exc:
            raise TransportFailure(f"{type(exc).__name__} asking {url}: {exc}") from None
        return chunk_status_outcome(response.status_code, _json(response))

    def put_chunk(
        self, endpoint: str, message_id: str, attachment_id: str, index: int,
        chunks: Iterable[bytes], headers: dict,
    ) -> Refused | None:  # fmt: skip
        url = (f"{endpoint.rstrip('/')}{ATTACHMENTS_PATH}/{message_id}/{attachment_id}"
               f"/chunks/{index}")  # fmt: skip
        headers = {**headers, "content-type": "application/octet-stream"}
        try:
            response = self.client.put(url, content=iter(chunks), headers=headers)
        except httpx.HTTPError as exc:
            raise TransportFailure(f"{type(exc).__name__} uploading to {url}: {exc}") from None
        error = (_json(response) or {}).get("error") if response.status_code >= 300 else None
        return upload_outcome(response.status_code, error)


def _json(response) -> dict | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


@dataclass(frozen=True)
class ChunksHeld:
    """The receiver's answer about an attachment's chunks: the indexes it holds (of the cut
    the question named) and the most plaintext per chunk it takes (`chunk_bytes`; None from
    a node that does not say, the sender's own setting then stands)."""

    held: frozenset[int]
    chunk_bytes: int | None = None


def chunk_status_outcome(status: int, body: dict | None):
    if status == 200 and body is not None and isinstance(body.get("held"), list):
        limit = body.get("chunk_bytes")
        return ChunksHeld(
            frozenset(int(i) for i in body["held"] if isinstance(i, int)),
            limit if isinstance(limit, int) and not isinstance(limit, bool) else None,
        )
    refused = upload_outcome(status if status != 200 else 502, (body or {}).get("error"))
    return refused or Refused(f"http_{status}", "no answer about the chunks held", True)


Handler = Callable[[bytes], tuple[int, bytes, dict | None]]
ChunkHandler = Callable[[str, str, int, Iterable[bytes], dict], tuple[int, dict | None]]
StatusHandler = Callable[[str, str, dict], tuple[int, dict | None]]
UploadHandler = Callable[[str, str, Iterable[bytes], dict], tuple[int, dict | None]]


def _cut(chunks: Iterable[bytes], after: int) -> Iterator[bytes]:
    for index, chunk in enumerate(chunks):
        if index >= after:
            raise TransportFailure("injected crash in the middle of an upload")
        yield chunk


@dataclass
class MockTransport:
    """In-process delivery to handlers by endpoint, with faults for tests: `fail_next` makes
    the next n posts to an endpoint fail before arriving, `lose_receipts` makes them arrive
    but lose the answer, and `partitioned` endpoints are unreachable; `cut_uploads` breaks
    the next n uploads to an endpoint after their first chunk (a crash mid-upload)."""

    handlers: dict[str, Handler] = field(default_factory=dict)
    fail_next: dict[str, int] = field(default_factory=dict)
    lose_receipts: dict[str, int] = field(default_factory=dict)
    partitioned: set[str] = field(default_factory=set)
    uploads: dict[str, UploadHandler] = field(default_factory=dict)
    cut_uploads: dict[str, int] = field(default_factory=dict)
    uploaded: list[tuple[str, str, str]] = field(default_factory=list)
    sent: list[tuple[str, bytes]] = field(default_factory=list)
    # chunked transfer (exchange.chunked): `cut_chunks` fails the chunk posts to an endpoint
    # after the next n have arrived (a connection lost mid-transfer)
    chunk_handlers: dict[str, tuple[StatusHandler, ChunkHandler]] = field(default_factory=dict)
    cut_chunks: dict[str, int] = field(default_factory=dict)
    chunks_put: list[tuple[str, str, str, int]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def route_chunks(self, endpoint: str, status: StatusHandler, put: ChunkHandler) -> None:
        self.chunk_handlers[endpoint] = (status, put)

    def chunk_status(self, endpoint: str, message_id: str, attachment_id: str, headers: dict):
        if endpoint in self.partitioned or endpoint not in self.chunk_handlers:
            raise TransportFailure(f"{endpoint} is unreachable")
        status, body = self.chunk_handlers[endpoint][0](message_id, attachment_id, headers)
        return chunk_status_outcome(status, body)

    def put_chunk(
        self, endpoint: str, message_id: str, attachment_id: str, index: int,
        chunks: Iterable[bytes], headers: dict,
    ) -> Refused | None:  # fmt: skip
        with self._lock:
            if endpoint in self.partitioned or endpoint not in self.chunk_handlers:
                raise TransportFailure(f"{endpoint} is unreachable")
            if endpoint in self.cut_chunks:
                if self.cut_chunks[endpoint] <= 0:
                    del self.cut_chunks[endpoint]
                    raise TransportFailure(f"injected loss of the connection to {endpoint}")
                self.cut_chunks[endpoint] -= 1
            self.chunks_put.append((endpoint, message_id, attachment_id, index))
        status, error = self.chunk_handlers[endpoint][1](
            message_id, attachment_id, index, chunks, headers
        )
        return upload_outcome(status, error)

    def route(self, endpoint: str, handler: Handler, uploads: UploadHandler | None = None) -> None:
        self.handlers[endpoint] = handler
        if uploads is not None:
            self.uploads[endpoint] = uploads

    def upload(
        self, endpoint: str, message_id: str, attachment_id: str, chunks: Iterable[bytes],
        headers: dict,
    ) -> Refused | None:  # fmt: skip
        with self._lock:
            self.uploaded.append((endpoint, message_id, attachment_id))
            if endpoint in self.partitioned or endpoint not in self.uploads:
                raise TransportFailure(f"{endpoint} is unreachable")
            if self.cut_uploads.get(endpoint, 0) > 0:
                self.cut_uploads[endpoint] -= 1
                chunks = _cut(chunks, 1)
        status, error = self.uploads[endpoint](message_id, attachment_id, chunks, headers)
        return upload_outcome(status, error)

    def post(self, endpoint: str, envelope: bytes) -> Delivered | Refused:
        with self._lock:
            self.sent.append((endpoint, envelope))
            if endpoint in self.partitioned or endpoint not in self.handlers:
                raise TransportFailure(f"{endpoint} is unreachable")
            if self.fail_next.get(endpoint, 0) > 0:
                self.fail_next[endpoint] -= 1
                raise TransportFailure(f"injected failure posting to {endpoint}")
            lose = self.lose_receipts.get(endpoint, 0) > 0
            if lose:
                self.lose_receipts[endpoint] -= 1
        status, content, error = self.handlers[endpoint](envelope)
        if lose:
            raise TransportFailure(f"injected loss of the answer from {endpoint}")
        return outcome(status, content, error)
