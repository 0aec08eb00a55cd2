"""The HTTP face of chunked transfer (`exchange.chunked`): which chunks of an attachment
this node holds (`GET /api/v1/exchange/attachments/{message}/{attachment}/chunks`) and one
chunk's upload (`PUT .../chunks/{index}`), read as a stream and never past a chunk's
length. Like the inbox, these routes need no API token: each request is signed by the
sending node, and nothing is written before that signature checks out."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Annotated, Any

from anyio import from_thread
from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.requests import ClientDisconnect

from judicare.api.deps import AppDep
from judicare.api.errors import error_body
from judicare.exchange import chunked
from judicare.exchange.chunked import (
    after_chunk_refusal,
    chunk_limit,
    chunk_plaintext,
    held_chunks,
    receive_chunk,
)
from judicare.exchange.errors import AttachmentTooLarge, ChunkCutChanged, ExchangeError, Rejected

log = logging.getLogger("judicare.exchange")


PRUNE_EVERY = 3600.0  # seconds between two looks for abandoned chunks, per process
_pruned: dict[int, float] = {}


def _prune_now_and_then(app, node) -> None:
    """Abandoned chunks go when a transfer starts, at most once an hour (`prune_stale`)."""
    now = node.clock.now()
    last = _pruned.get(id(app))
    if last is not None and now.timestamp() - last < PRUNE_EVERY:
        return
    _pruned[id(app)] = now.timestamp()
    try:
        chunked.prune_stale(app, node.settings, now)
    except (OSError, OperationalError):
        log.exception("could not remove abandoned chunks")


def handle_status(app, node, message_id, attachment_id, headers) -> tuple[int, dict]:
    """Which chunks of an attachment this node holds, and how large a chunk it takes (the
    sender cuts to min(its own setting, `chunk_bytes`)): (HTTP status, body)."""
    headers = {k.lower(): v for k, v in headers.items()}
    _prune_now_and_then(app, node)
    try:
        with app.unit_of_work() as uow:
            held = held_chunks(uow.session, node, message_id, attachment_id, headers)
    except ExchangeError as error:
        return error.http_status, error_body(error.code, error.message)
    except OperationalError:
        log.exception("database unavailable while answering about chunks")
        return 503, error_body("busy", "try again later")
    return 200, {"held": held, "max_chunk_bytes": chunk_limit(node.settings),
                 "chunk_bytes": chunk_plaintext(node.settings)}  # fmt: skip


def handle_chunk(app, node, message_id, attachment_id, index, chunks, headers) -> tuple[int, Any]:
    """Receive one chunk: (HTTP status, error)."""
    from judicare.exchange.http import _record_refusal

    headers = {k.lower(): v for k, v in headers.items()}
    for _ in range(3):
        try:
            with app.unit_of_work() as uow:
                receive_chunk(uow.session, node, message_id, attachment_id, index, headers,
                              chunks, now=node.clock.now())  # fmt: skip
                uow.commit()
            return 204, None
        except IntegrityError:  # the same chunk, posted twice at once: the other one won
            continue
        except ChunkCutChanged as recut:  # signed by its sender: the older cut goes
            try:
                chunked.discard(app, message_id, sender=recut.sender, attachment_id=attachment_id,
                                why=recut.message, now=node.clock.now())  # fmt: skip
            except (OSError, OperationalError):
                log.exception("could not remove the chunks of an older cut")
                break
            continue
        except Rejected as rejected:
            _record_refusal(app, node, "attachment", rejected, message_id=message_id)
            log.warning("refused a chunk: %s: %s", rejected.code, rejected.message)
            after_chunk_refusal(app, node, message_id, rejected)
            return rejected.http_status, error_body(rejected.code, rejected.message)["error"]
        except ExchangeError as error:
            return error.http_status, error_body(error.code, error.message)["error"]
        except OperationalError:
            log.exception("database unavailable while receiving a chunk")
            break
    return 503, {"code": "busy", "message": "try again later"}


def too_long(settings) -> AttachmentTooLarge:
    """The refusal of a chunk longer than this node reads, naming its limit."""
    return AttachmentTooLarge(
        f"a chunk has at most {chunk_limit(settings)} bytes on this node (the encryption of "
        f"{chunk_plaintext(settings)} bytes, JUDICARE_EXCHANGE_CHUNK_BYTES): cut the "
        "attachment to the chunk_bytes this node's answer about chunks held gives"
    )


def _node(request: Request):
    return request.app.state.exchange_node


NodeDep = Annotated[Any, Depends(_node)]
router = APIRouter(prefix="/api/v1/exchange", tags=["exchange"], include_in_schema=False)
CHUNKS_PATH = "/api/v1/exchange/attachments/{message_id}/{attachment_id}/chunks"


def pulled_in_thread(request: Request) -> Iterator[bytes]:
    """The request's body, pulled from the event loop one piece at a time by the worker
    thread that consumes it (never held whole in memory)."""
    stream = request.stream().__aiter__()

    def pieces() -> Iterator[bytes]:
        while True:
            try:
                yield from_thread.run(stream.__anext__)
            except StopAsyncIteration:
                return

    return pieces()


@router.get("/attachments/{message_id}/{attachment_id}/chunks")
async def chunk_status(message_id: str, attachment_id: str, request: Request, app: AppDep,
                       node: NodeDep) -> Response:  # fmt: skip
    status, body = await run_in_threadpool(
        handle_status, app, node, message_id, attachment_id, dict(request.headers)
    )
    return JSONResponse(body, status_code=status)


@router.put("/attachments/{message_id}/{attachment_id}/chunks/{index}")
async def chunk(message_id: str, attachment_id: str, index: int, request: Request,
                app: AppDep, node: NodeDep) -> Response:  # fmt: skip
    declared = request.headers.get("content-length", "")
    limit = chunk_limit(node.settings)
    if declared.isdigit() and int(declared) > limit:  # refused unread
        error = too_long(node.settings)
        return JSONResponse(error_body(error.code, error.message), status_code=413)
    try:
        status, error = await run_in_threadpool(
            handle_chunk, app, node, message_id, attachment_id, index, pulled_in_thread(request),
            dict(request.headers),
        )  # fmt: skip
    except ClientDisconnect:  # cut short: nothing was kept, the sender asks and resumes
        log.info("chunk %s of %s/%s cut short by the sender", index, message_id, attachment_id)
        return Response(status_code=400)
    if error is not None:
        return JSONResponse({"error": error}, status_code=status)
    return Response(status_code=204)
