"""`judicare node ...`: this node's keys, its peers, its outbox and the delivery worker."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select

from judicare.auth.models import UserRow
from judicare.auth.service import principal_of
from judicare.cli_support import (
    DbOption,
    JsonOption,
    command_app,
    command_clock,
    fail,
    out_console,
    print_json,
)
from judicare.errors import InvalidInput
from judicare.exchange.correspondence import ask_for_information, correspondence, send_answer
from judicare.exchange.delivery import Deliverer, list_outbox, requeue
from judicare.exchange.envelopes import make_card
from judicare.exchange.errors import ExchangeError
from judicare.exchange.keys import FileKeyStore, NodeIdentity, new_ring, require_ring
from judicare.exchange.models import OutboxStatus
from judicare.exchange.peers import add_peer, list_peers, remove_peer
from judicare.exchange.service import send_request
from judicare.exchange.transport import HttpTransport
from judicare.settings import Settings
from judicare.states import resolve_state

app = typer.Typer(help="This node: keys, peers, outbox and delivery.", no_args_is_help=True)
peers_app = typer.Typer(help="The peer directory.", no_args_is_help=True)
app.add_typer(peers_app, name="peers")

KeysOption = Annotated[
    Path | None,
    typer.Option(
        "--keys-dir",
        help="Key directory (default: JUDICARE_NODE_KEYS_DIR, else var/node-keys).",
        show_default=False,
    ),
]


def _node_for(app, key_store):
    """This node as the use cases see it (`exchange.http.node_for`), imported when a command
    needs it: exchange.http loads FastAPI, which no other command needs at start-up."""
    from judicare.exchange.http import node_for as of_app

    return of_app(app, key_store)


def _store(keys_dir: Path | None) -> FileKeyStore:
    return FileKeyStore(keys_dir or Settings().effective_node_keys_dir)


def say(text: str, **_) -> None:
    """One line to stdout, never wrapped (fingerprints and paths are copied from it)."""
    out_console.print(text, soft_wrap=True, markup=False, highlight=False)


@app.command("init")
def init(
    node_id: Annotated[str, typer.Option("--node-id", help="This central authority's id.")],
    state: Annotated[str, typer.Option("--state", help="ISO 3166-1 code of its state.")],
    authority: Annotated[str, typer.Option("--authority", help="The authority's full name.")],
    endpoint: Annotated[str, typer.Option("--endpoint", help="Base URL peers post to.")],
    keys_dir: KeysOption = None,
) -> None:
    """Create this node's Ed25519 signing key and X25519 encryption key."""
    store = _store(keys_dir)
    if store.load() is not None:
        fail(f"{store.directory} holds keys already: use `judicare node rotate`", 3)
    if not endpoint.startswith(("http://", "https://")):
        fail(f"endpoint {endpoint!r} must start with https:// (or http:// on loopback)", 2)
    try:
        alpha3 = resolve_state(state).alpha3
    except InvalidInput as exc:
        fail(exc.message, exc.exit_code)
    ring = new_ring(NodeIdentity(node_id, alpha3, authority, endpoint), command_clock().now())
    store.save(ring)
    say(f"Node {node_id} ready; keys in {store.directory} (mode 0600).")
    say(f"Fingerprint: {ring.fingerprint}")


@app.command("rotate")
def rotate(keys_dir: KeysOption = None) -> None:
    """New keys; the old ones are kept to verify and open earlier messages."""
    store = _store(keys_dir)
    ring = _ring(store)
    ring = ring.rotated(command_clock().now())
    store.save(ring)
    say(f"Rotated to generation {ring.current.number}.")
    say(f"New fingerprint: {ring.fingerprint}")


@app.command("show")
def show(
    card_out: Annotated[Path | None, typer.Option("--card", help="Write the card here.")] = None,
    keys_dir: KeysOption = None,
) -> None:
    """This node's identity, fingerprint and signed card (to give to peers)."""
    ring = _ring(_store(keys_dir))
    card = make_card(ring, command_clock().now())
    if card_out:
        card_out.write_text(json.dumps(card, indent=2), encoding="utf-8")
    shown = str(card_out) if card_out else card
    print_json(
        {"node_id": ring.identity.node_id, "fingerprint": ring.fingerprint,
         "generation": ring.current.number, "card": shown}
    )  # fmt: skip


@app.command("fingerprint")
def fingerprint_command(keys_dir: KeysOption = None) -> None:
    """The fingerprint to read out to peers when they add this node."""
    say(_ring(_store(keys_dir)).fingerprint)


def _ring(store: FileKeyStore):
    try:
        return require_ring(store)
    except ExchangeError as exc:
        fail(exc.message, exc.exit_code)


@peers_app.command("add")
def peers_add(
    card_file: Annotated[Path, typer.Argument(help="The peer's card (judicare node show --card).")],
    fingerprint: Annotated[
        str, typer.Option("--fingerprint", help="The fingerprint confirmed with the peer.")
    ],
    endpoint: Annotated[str | None, typer.Option("--endpoint", help="Override URL.")] = None,
    keys_dir: KeysOption = None,
    db: DbOption = None,
) -> None:
    """Add a peer; its key fingerprint must match the one confirmed out of band."""
    store = _store(keys_dir)
    try:
        card = json.loads(card_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        fail(f"cannot read the card {card_file}: {exc}", 2)
    with command_app(db) as judicare, judicare.unit_of_work() as uow:
        row = add_peer(uow.session, _ring(store), card, fingerprint, now=judicare.now(),
                       actor="local-operator", endpoint=endpoint)  # fmt: skip
        uow.commit()
        say(f"Peer {row.node_id} ({row.state}) added at {row.endpoint}.")


@peers_app.command("list")
def peers_list(as_json: JsonOption = False, db: DbOption = None) -> None:
    """The peers with their fingerprints."""
    with command_app(db) as judicare, judicare.unit_of_work() as uow:
        peers = list_peers(uow.session)
    if as_json:
        print_json(peers)
        return
    for peer in peers:
        flag = "" if peer["active"] else "  (removed)"
        say(f"{peer['node_id']}  {peer['state']}  {peer['endpoint']}  "
                          f"{peer['fingerprint']}{flag}", markup=False)  # fmt: skip


@peers_app.command("remove")
def peers_remove(node_id: str, keys_dir: KeysOption = None, db: DbOption = None) -> None:
    """Stop exchanging with a peer (its entry and receipts are kept as evidence)."""
    with command_app(db) as judicare, judicare.unit_of_work() as uow:
        remove_peer(uow.session, _ring(_store(keys_dir)), node_id, now=judicare.now(),
                    actor="local-operator")  # fmt: skip
        uow.commit()
    say(f"Peer {node_id} removed.")


@app.command("outbox")
def outbox(
    status: Annotated[
        str | None, typer.Option("--status", help="pending, delivered or dead (dead letters).")
    ] = None,
    retry: Annotated[
        str | None, typer.Option("--retry", help="Put this dead letter back in the queue.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
    db: DbOption = None,
) -> None:
    """The outbox, including dead letters."""
    if status is not None and status not in set(OutboxStatus):
        fail(f"unknown status {status!r}: use pending, delivered or dead", 2)
    with command_app(db) as judicare, judicare.unit_of_work() as uow:
        if retry:
            requeue(uow.session, retry, now=judicare.now(), actor="local-operator")
            uow.commit()
            say(f"Message {retry} queued again.")
            return
        print_json(list_outbox(uow.session, status=status, limit=limit))


AsOption = Annotated[str, typer.Option("--as", help="The officer acting (their user name).")]


def _acting(session, as_user: str):

    user = session.scalar(select(UserRow).where(UserRow.username == as_user))
    if user is None:
        fail(f"unknown user {as_user!r}: see `judicare users list`", 2)
    return principal_of(user)


@app.command("send-request")
def send_request_command(
    request_id: int,
    to: Annotated[str, typer.Option("--to", help="The peer's node id.")],
    as_user: AsOption,
    supplements: Annotated[
        int | None,
        typer.Option(
            "--supplements",
            help="The request, sent before to the same peer, that this one supplements.",
        ),
    ] = None,
    why: Annotated[str, typer.Option("--why")] = "transmission to the requested state",
    keys_dir: KeysOption = None,
    db: DbOption = None,
) -> None:
    """Queue an outgoing request for a peer (delivered by `judicare node deliver`)."""
    with command_app(db) as judicare, judicare.unit_of_work() as uow:
        node = _node_for(judicare, _store(keys_dir))
        row = send_request(uow.session, node, _acting(uow.session, as_user), request_id, to,
                           now=judicare.now(), why=why, supplements=supplements)  # fmt: skip
        uow.commit()
        what = "Supplementary request" if supplements else "Request"
        say(f"{what} {request_id} queued for {to} as message {row.message_id}.")


@app.command("answer")
def answer_command(
    request_id: int,
    text: Annotated[
        str, typer.Option("--text", help="The answer, as the other authority reads it.")
    ],
    as_user: AsOption,
    document: Annotated[
        list[int] | None,
        typer.Option(
            "--document",
            help="A document of the request to send with the answer (repeat for more).",
        ),
    ] = None,
    why: Annotated[str, typer.Option("--why")] = "answer to the requesting state",
    keys_dir: KeysOption = None,
    db: DbOption = None,
) -> None:
    """Answer a request that arrived through the exchange, with documents of its file."""
    with command_app(db) as judicare, judicare.unit_of_work() as uow:
        node = _node_for(judicare, _store(keys_dir))
        documents = tuple(document or ())
        row = send_answer(uow.session, node, _acting(uow.session, as_user), request_id, text,
                          document_ids=documents, now=judicare.now(), why=why)  # fmt: skip
        uow.commit()
        say(f"Answer to request {request_id} queued for {row.peer_id} as message "
            f"{row.message_id}.")  # fmt: skip


@app.command("ask")
def ask_command(
    request_id: int,
    text: Annotated[str, typer.Option("--text", help="What the requesting state should add.")],
    as_user: AsOption,
    why: Annotated[str, typer.Option("--why")] = "further information needed",
    keys_dir: KeysOption = None,
    db: DbOption = None,
) -> None:
    """Ask the requesting state for further information about a request received."""
    with command_app(db) as judicare, judicare.unit_of_work() as uow:
        node = _node_for(judicare, _store(keys_dir))
        row = ask_for_information(uow.session, node, _acting(uow.session, as_user), request_id,
                                  text, now=judicare.now(), why=why)  # fmt: skip
        uow.commit()
        say(f"Request for information queued for {row.peer_id} as message {row.message_id}.")


@app.command("messages")
def messages_command(
    request_id: int,
    as_user: AsOption,
    as_json: JsonOption = False,
    why: Annotated[str, typer.Option("--why")] = "case handling",
    db: DbOption = None,
) -> None:
    """A request's correspondence with the other node, oldest first (the reading is audited)."""
    with command_app(db) as judicare, judicare.unit_of_work() as uow:
        result = correspondence(uow.session, _acting(uow.session, as_user), request_id,
                                now=judicare.now(), why=why)  # fmt: skip
        uow.commit()
    if as_json:
        print_json(result)
        return
    if result["peer_status"]:
        say(f"The other node reports the request as: {result['peer_status']}")
    for m in result["messages"]:
        arrow = "->" if m["direction"] == "sent" else "<-"
        gist = m["summary"].get("text") or m["summary"].get("status") or ""
        say(f"{m['at']}  {arrow} {m['peer']}  {m['type']}  {m['delivery']}  {gist[:80]}")
    if not result["messages"]:
        say(f"Request {request_id} has no exchange correspondence.")


@app.command("deliver")
def deliver(
    once: Annotated[bool, typer.Option("--once", help="One round, then exit.")] = False,
    keys_dir: KeysOption = None,
    db: DbOption = None,
) -> None:
    """Run the delivery worker (retries with backoff; dead letters stay visible)."""
    with command_app(db) as judicare:
        node = _node_for(judicare, _store(keys_dir))
        node.ring()
        transport = HttpTransport(judicare.settings.exchange_timeout_seconds)
        deliverer = Deliverer(judicare, node, transport)
        try:
            if once:
                report = deliverer.run_once()
                say(f"delivered {report.delivered}, retried {report.retried}, "
                                  f"dead {report.dead}")  # fmt: skip
                return
            stop = threading.Event()
            try:
                deliverer.run(stop)
            except KeyboardInterrupt:
                stop.set()
        finally:
            deliverer.close()
            transport.close()
