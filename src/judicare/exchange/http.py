"""The exchange's HTTP face: the inbox peers post envelopes to, and this node's card.

The inbox needs no API token: an envelope authenticates itself by its signature. Until
that signature has checked out the inbox reads at most `exchange_max_envelope_bytes`
(far below the upload limit: documents travel beside the envelope) and writes nothing in
the name of the sender claimed. A refused envelope is answered with a stable code and
recorded in a transaction of its own (the one that tried to apply it rolled back): in the
signing peer's name if its signature checked out, otherwise counted in nobody's name
(`exchange.refusals`, which a flood cannot use to bury the audit trail).

With `JUDICARE_EXCHANGE_DELIVER_IN_SERVER=true` the server also runs the delivery worker,
so one process is one whole node.
"""

from __future__ import annotations

import logging
import threading
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.requests import ClientDisconnect

from judicare.api.deps import AppDep
from judicare.api.errors import error_body
from judicare.app import App
from judicare.exchange import chunk_routes, chunked
from judicare.exchange.correspondence import install_status_notices
from judicare.exchange.errors import (
    ConcurrentFirstUse,
    EvidenceBagRefused,
    ExchangeError,
    Malformed,
    Rejected,
    TooLarge,
)
from judicare.exchange.inbox_batch import handle_batch
from judicare.exchange.keys import FileKeyStore, KeyStore
from judicare.exchange.refusals import count_refusal
from judicare.exchange.service import (
    Node,
    make_card_now,
    receive,
    receive_attachment,
    record_rejection,
    record_upload_rejection,
    system_principal,
)
from judicare.exchange.transport import (
    BATCH_MEDIA_TYPE,
    ENVELOPE_MEDIA_TYPE,
    INBOX_PATH,
    frame_answers,
    unframe,
)
from judicare.files import removal

log = logging.getLogger("judicare.exchange")


def node_for(app: App, key_store: KeyStore | None = None) -> Node:
    return Node(
        key_store=key_store or FileKeyStore(app.settings.effective_node_keys_dir),
        settings=app.settings,
        file_store=app.file_store,
        clock=app.clock,
        basis=app.basis.get,
    )


def handle_envelope(app: App, node: Node, raw: bytes) -> tuple[int, bytes, dict | None]:
    """Receive one envelope: (HTTP status, receipt bytes, error). Retries a transaction that
    lost a race with a concurrent copy of the same message, which then finds the first."""
    for _ in range(5):
        try:
            with app.unit_of_work() as uow:
                received = receive(uow.session, node, raw, now=node.clock.now())
                uow.commit()
                if not received.duplicate:  # a chunked attachment's chunks are done with
                    chunked.after_envelope(app, node, raw, applied=received.message_id,
                                           refused=None)  # fmt: skip
                if node.principal is None and not received.duplicate:
                    node.principal = system_principal_of(app, node)
                return 200, received.receipt, None
        except (IntegrityError, ConcurrentFirstUse):
            continue
        except Rejected as rejected:
            _record_refusal(app, node, "envelope", rejected, raw=raw)
            log.warning("refused an envelope: %s: %s", rejected.code, rejected.message)
            if isinstance(rejected, EvidenceBagRefused) and rejected.blobs:
                _remove_refused_bag(app, node, rejected)
            chunked.after_envelope(app, node, raw, applied=None, refused=rejected)
            return rejected.http_status, b"", error_body(rejected.code, rejected.message)["error"]
        except ExchangeError as error:
            return error.http_status, b"", error_body(error.code, error.message)["error"]
        except OperationalError:
            log.exception("database unavailable while receiving")
            break
    return 503, b"", {"code": "busy", "message": "try again later"}


def _remove_refused_bag(app: App, node: Node, refused: EvidenceBagRefused) -> None:
    """A refused bag's bytes do not stay in the file store (`files.removal`: audited, and
    kept while another row references them, as when the same bytes arrived before)."""
    try:
        removal.remove(
            app, refused.blobs, actor="exchange inbox", why=refused.message[:2000],
            now=node.clock.now(), subject=("node", "files"),
        )  # fmt: skip
    except (OSError, OperationalError):
        log.exception("could not remove what a refused evidence bag left in the file store")


def _record_refusal(
    app: App, node: Node, channel: str, error: Rejected, *, raw: bytes = b"", message_id=""
) -> None:
    """Record a refusal in a transaction of its own: one by one in the signer's name when
    the signature checked out (`error.sender`), otherwise counted (`exchange.refusals`).
    Retries a count that lost a race to open the same window's row."""
    for _ in range(5):
        try:
            with app.unit_of_work() as uow:
                now = node.clock.now()
                if error.sender is not None and channel == "envelope":
                    record_rejection(uow.session, raw, error, now)
                elif error.sender is not None:
                    record_upload_rejection(uow.session, message_id, error, now)
                else:
                    window = node.settings.exchange_refusal_window_seconds
                    count_refusal(uow.session, channel=channel, code=error.code, now=now,
                                  window_seconds=window)  # fmt: skip
                uow.commit()
                return
        except IntegrityError:
            continue
    log.error("could not record the refusal of an %s: %s", channel, error.code)


def handle_attachment(
    app: App, node: Node, message_id: str, attachment_id: str, chunks, headers: dict
) -> tuple[int, dict | None]:
    """Receive one streamed attachment upload: (HTTP status, error)."""
    headers = {k.lower(): v for k, v in headers.items()}
    try:
        with app.unit_of_work() as uow:
            receive_attachment(uow.session, node, message_id, attachment_id, headers, chunks)
        return 204, None
    except Rejected as rejected:
        _record_refusal(app, node, "attachment", rejected, message_id=message_id)
        log.warning("refused an attachment: %s: %s", rejected.code, rejected.message)
        return rejected.http_status, error_body(rejected.code, rejected.message)["error"]
    except ExchangeError as error:
        return error.http_status, error_body(error.code, error.message)["error"]
    except OperationalError:
        log.exception("database unavailable while receiving an attachment")
        return 503, {"code": "busy", "message": "try again later"}


def system_principal_of(app: App, node: Node):
    """The inbox user, read after a commit (so never one a rolled-back transaction made)."""
    with app.unit_of_work() as uow:
        return system_principal(uow.session, node.ring().identity)


def get_node(request: Request) -> Node:
    """This server's node (`install_node`); the web pages send through the same one."""
    return request.app.state.exchange_node


NodeDep = Annotated[Node, Depends(get_node)]
# Node-to-node protocol, not the user API: left out of the OpenAPI document.
router = APIRouter(prefix="/api/v1/exchange", tags=["exchange"], include_in_schema=False)


@router.post("/inbox", summary="Receive a signed envelope")
async def inbox(request: Request, app: AppDep, node: NodeDep) -> Response:
    limit = node.settings.exchange_max_envelope_bytes
    error = TooLarge(
        f"the envelope is larger than the {limit} bytes this node reads: documents "
        "travel beside it, as attachments"
    )
    declared = request.headers.get("content-length", "")
    too_large = declared.isdigit() and int(declared) > limit  # then refused unread
    chunks, size = [], 0
    if not too_large:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:  # stop reading at the first chunk past the cap
                too_large = True
                break
            chunks.append(chunk)
    if too_large:
        await run_in_threadpool(_record_refusal, app, node, "envelope", error)
        return JSONResponse(error_body(error.code, error.message), status_code=413)
    status, content, refused = await run_in_threadpool(handle_envelope, app, node, b"".join(chunks))
    if refused is not None:
        return JSONResponse({"error": refused}, status_code=status)
    return Response(content=content, media_type=ENVELOPE_MEDIA_TYPE)


@router.post("/inbox/batch", summary="Receive several signed envelopes in one transaction")
async def inbox_batch(request: Request, app: AppDep, node: NodeDep) -> Response:
    """`transport.BATCH_MEDIA_TYPE` in and out; read under the single inbox's size cap."""
    limit, data = node.settings.exchange_max_envelope_bytes, bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > limit:
            error = TooLarge(f"the batch is larger than the {limit} bytes this node reads")
            await run_in_threadpool(_record_refusal, app, node, "envelope", error)
            return JSONResponse(error_body(error.code, error.message), status_code=413)
    try:
        envelopes = unframe(bytes(data))
    except ValueError as exc:
        error = Malformed(f"not a batch of envelopes: {exc}")
        await run_in_threadpool(_record_refusal, app, node, "envelope", error)
        return JSONResponse(error_body(error.code, error.message), status_code=400)
    answers = await run_in_threadpool(handle_batch, app, node, envelopes, handle_envelope)
    return Response(content=frame_answers(answers), media_type=BATCH_MEDIA_TYPE)


@router.put("/attachments/{message_id}/{attachment_id}")
async def attachment(
    message_id: str, attachment_id: str, request: Request, app: AppDep, node: NodeDep
) -> Response:
    try:
        status, error = await run_in_threadpool(
            handle_attachment, app, node, message_id, attachment_id,
            chunk_routes.pulled_in_thread(request),
            dict(request.headers),
        )  # fmt: skip
    except ClientDisconnect:  # the sender went away mid-upload: nothing was kept
        log.info("upload of %s/%s cut short by the sender", message_id, attachment_id)
        return Response(status_code=400)
    if error is not None:
        return JSONResponse({"error": error}, status_code=status)
    return Response(status_code=204)


@router.get("/card", summary="This node's signed card (identity and public keys)")
def card(node: NodeDep) -> dict:
    return make_card_now(node)


def install_node(api: FastAPI, app: App, key_store: KeyStore | None = None) -> Node:
    """Make this server a node: its `Node` in `api.state.exchange_node`, the protocol's
    routes, the status notices to peers, and (if configured) the delivery worker."""
    node = node_for(app, key_store)
    api.state.exchange_node = node
    api.include_router(router)
    api.include_router(chunk_routes.router)
    install_status_notices(app, node)
    if app.settings.exchange_deliver_in_server:
        _run_worker_with_server(api, app, node)
    return node


def _run_worker_with_server(api: FastAPI, app: App, node: Node) -> None:
    from judicare.exchange.delivery import Deliverer
    from judicare.exchange.transport import HttpTransport

    previous = api.router.lifespan_context

    @asynccontextmanager
    async def lifespan(asgi_app):
        stop = threading.Event()
        transport = HttpTransport(app.settings.exchange_timeout_seconds)
        deliverer = Deliverer(app, node, transport)
        thread = threading.Thread(target=deliverer.run, args=(stop,), daemon=True)
        thread.start()
        try:
            async with previous(asgi_app) as state:
                yield state
        finally:
            stop.set()
            thread.join(timeout=30)
            deliverer.close()
            transport.close()

    api.router.lifespan_context = lifespan


__all__ = [
    "INBOX_PATH", "NodeDep", "get_node", "handle_attachment", "handle_envelope", "install_node",
    "node_for", "router",
]  # fmt: skip
