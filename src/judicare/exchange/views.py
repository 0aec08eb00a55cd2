"""The user API of the exchange (thin routes): send a request to the other state's node,
answer one received, ask for information, and read a request's correspondence. The
node-to-node protocol itself (inbox, uploads, card) is in `http`."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import FastAPI, Path

from judicare.app import App
from judicare.exchange import correspondence
from judicare.exchange.errors import NodeNotInitialised, NodeNotSetUp
from judicare.exchange.models import OutboxRow
from judicare.exchange.schemas import MAX_ID, AnswerIn, InformationIn, SendIn
from judicare.exchange.service import Node, send_request

RequestId = Annotated[int, Path(ge=1, le=MAX_ID)]


@contextmanager
def node_ready() -> Iterator[None]:
    """Sending needs this node's keys; without them the officer gets a 409 saying so."""
    try:
        yield
    except NodeNotInitialised as exc:
        raise NodeNotSetUp(exc.message) from None


def queued(row: OutboxRow) -> dict:
    return {
        "message_id": row.message_id, "conversation_id": row.conversation_id,
        "peer": row.peer_id, "type": row.message_type.partition("/")[0], "status": row.status,
    }  # fmt: skip


def install_request_exchange(api: FastAPI, app: App, node: Node, *, Who, Why, Work) -> None:
    tags = ["exchange"]

    @api.post("/api/v1/requests/{request_id}/exchange/send", tags=tags, status_code=202)
    def send(request_id: RequestId, body: SendIn, who: Who, why: Why, uow: Work) -> dict:
        """Queue an outgoing request (or a supplementary request) for the peer's node."""
        with node_ready():
            row = send_request(
                uow.session, node, who, request_id, body.to, now=app.now(), why=why,
                supplements=body.supplements,
            )  # fmt: skip
        uow.commit()
        return queued(row)

    @api.post("/api/v1/requests/{request_id}/exchange/answer", tags=tags, status_code=202)
    def answer(request_id: RequestId, body: AnswerIn, who: Who, why: Why, uow: Work) -> dict:
        """Answer a request that arrived through the exchange, with documents of its file."""
        with node_ready():
            row = correspondence.send_answer(
                uow.session, node, who, request_id, body.text,
                document_ids=tuple(body.document_ids), now=app.now(), why=why,
            )  # fmt: skip
        uow.commit()
        return queued(row)

    @api.post(
        "/api/v1/requests/{request_id}/exchange/request-for-information",
        tags=tags, status_code=202,
    )  # fmt: skip
    def ask(request_id: RequestId, body: InformationIn, who: Who, why: Why, uow: Work) -> dict:
        """Ask the requesting state for further information about a request received."""
        with node_ready():
            row = correspondence.ask_for_information(
                uow.session, node, who, request_id, body.text, now=app.now(), why=why
            )
        uow.commit()
        return queued(row)

    @api.get("/api/v1/requests/{request_id}/exchange", tags=tags)
    def messages(request_id: RequestId, who: Who, why: Why, uow: Work) -> dict:
        """The request's correspondence with the other node, oldest first."""
        result = correspondence.correspondence(uow.session, who, request_id, now=app.now(), why=why)
        uow.commit()
        return result
