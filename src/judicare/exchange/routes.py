"""The officers' exchange operations (thin routes): send a request to the other state's
node, answer one received, ask for information, and read a request's correspondence. The
node-to-node protocol itself (inbox, uploads, card) is in `http`."""

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import APIRouter

from judicare.api.deps import AppDep, RequestId, Who, Why, Work
from judicare.api.models import SIGNED_IN_ERRORS, Answer, errors
from judicare.exchange import correspondence
from judicare.exchange.errors import NodeNotInitialised, NodeNotSetUp
from judicare.exchange.http import NodeDep
from judicare.exchange.models import OutboxRow
from judicare.exchange.schemas import AnswerIn, InformationIn, SendIn
from judicare.exchange.service import send_request

router = APIRouter(
    prefix="/api/v1/requests/{request_id}/exchange",
    tags=["exchange"],
    responses=SIGNED_IN_ERRORS | errors(409),
)


class QueuedOut(Answer):
    """A message queued for the peer's node (delivered by the delivery worker)."""

    message_id: str
    conversation_id: str
    peer: str
    type: str
    status: str


class MessageOut(Answer):
    direction: str
    message_id: str
    conversation_id: str
    peer: str
    type: str
    version: int
    at: str
    delivery: str
    delivered_at: str | None = None
    summary: dict


class CorrespondenceOut(Answer):
    request_id: int
    peer_status: str | None = None
    messages: list[MessageOut]


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


@router.post("/send", status_code=202, response_model=QueuedOut)
def send(
    request_id: RequestId, body: SendIn, app: AppDep, node: NodeDep, who: Who, why: Why, uow: Work
) -> dict:
    """Queue an outgoing request (or a supplementary request) for the peer's node."""
    with node_ready():
        row = send_request(
            uow.session, node, who, request_id, body.to, now=app.now(), why=why,
            supplements=body.supplements,
        )  # fmt: skip
    uow.commit()
    return queued(row)


@router.post("/answer", status_code=202, response_model=QueuedOut)
def answer(
    request_id: RequestId,
    body: AnswerIn,
    app: AppDep,
    node: NodeDep,
    who: Who,
    why: Why,
    uow: Work,
) -> dict:
    """Answer a request that arrived through the exchange, with documents of its file."""
    with node_ready():
        row = correspondence.send_answer(
            uow.session, node, who, request_id, body.text,
            document_ids=tuple(body.document_ids), now=app.now(), why=why,
        )  # fmt: skip
    uow.commit()
    return queued(row)


@router.post("/request-for-information", status_code=202, response_model=QueuedOut)
def ask(
    request_id: RequestId,
    body: InformationIn,
    app: AppDep,
    node: NodeDep,
    who: Who,
    why: Why,
    uow: Work,
) -> dict:
    """Ask the requesting state for further information about a request received."""
    with node_ready():
        row = correspondence.ask_for_information(
            uow.session, node, who, request_id, body.text, now=app.now(), why=why
        )
    uow.commit()
    return queued(row)


@router.get("", response_model=CorrespondenceOut)
def messages(request_id: RequestId, app: AppDep, who: Who, why: Why, uow: Work) -> dict:
    """The request's correspondence with the other node, oldest first."""
    result = correspondence.correspondence(uow.session, who, request_id, now=app.now(), why=why)
    uow.commit()
    return result
