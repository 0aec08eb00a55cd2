"""`judicare audit ...`: verify the trail (the hash chain, then the checkpoints signed
outside the database, then those cosigned by peer witnesses) and hand checkpoints to
witnesses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from judicare.audit.journal import WitnessState
from judicare.audit.trail import add_cosigned, cosign_document, export_checkpoint, verify_trail
from judicare.cli_support import (
    DbOption,
    JsonOption,
    command_app,
    err_console,
    fail,
    out_console,
    print_json,
    read_input_file,
)
from judicare.errors import InvalidInput
from judicare.exchange.keys import FileKeyStore, require_ring
from judicare.exchange.peers import list_peers
from judicare.exchange.witness import send_checkpoint

app = typer.Typer(help="The audit trail.", no_args_is_help=True)

FileArgument = Annotated[Path, typer.Argument(help="A checkpoint file (JSON).")]


def _node_for(app, key_store):
    """This node as the use cases see it (`exchange.http.node_for`), imported when a command
    needs it: exchange.http loads FastAPI, which no other command needs at start-up."""
    from judicare.exchange.http import node_for as of_app

    return of_app(app, key_store)


def _ring(judicare, required: bool = False):

    store = FileKeyStore(judicare.settings.effective_node_keys_dir)
    if required:
        return require_ring(store)
    try:
        return store.load()
    except Exception:  # no usable node keys: cosignatures are then reported as unverifiable
        return None


def _say(text: str) -> None:
    out_console.print(text, markup=False, highlight=False, soft_wrap=True)


@app.command("partitions")
def partitions(
    db: DbOption = None,
    as_json: JsonOption = False,
    ahead: Annotated[
        int, typer.Option("--ahead", min=0, max=36, help="Months after this one to create.")
    ] = 2,
) -> None:
    """Create the audit trail's monthly partitions (PostgreSQL) for this month and the next
    ones, before entries of those months arrive; run it monthly."""
    from judicare.audit.partitions import default_partition_entries, ensure_partitions

    with command_app(db) as judicare, judicare.engine.begin() as connection:
        made = ensure_partitions(connection, judicare.clock.today(), ahead)
        in_default = default_partition_entries(connection)
    if as_json:
        print_json(
            {
                "partitions": [{"month": m.month, "table": m.table} for m in made],
                "default_partition_entries": in_default,
            }
        )
        return
    for month in made:
        where = month.table or "the default partition (it already holds entries of that month)"
        _say(f"{month.month}: {where}")
    _say(f"Entries in the default partition: {in_default}.")


@app.command("verify")
def verify(
    db: DbOption = None,
    as_json: JsonOption = False,
    incremental: Annotated[
        bool,
        typer.Option("--incremental", help="Only the entries after the last verified mark "
                     "(the first run verifies everything and sets the mark)."),
    ] = False,
    reset_mark: Annotated[
        bool, typer.Option("--reset-mark", help="With --incremental: verify everything and "
                           "set the mark again.")
    ] = False,
) -> None:  # fmt: skip
    """Verify the audit trail; exits 1 and names the entries if it was tampered with."""
    if incremental:
        return _verify_incremental(db, as_json, reset_mark)
    with command_app(db) as judicare, judicare.unit_of_work() as uow:
        report = verify_trail(uow.session, judicare.audit_anchor, _ring(judicare))
    problems = report.problems
    if as_json:
        print_json(
            {
                "entries": report.entries,
                "valid": not problems,
                "problems": [
                    {"seq": p.seq, "kind": p.kind, "message": p.message} for p in problems
                ],
                **report.summary(),
            }
        )
    elif problems:
        for problem in problems:
            err_console.print(f"error: {problem.message}", markup=False, highlight=False)
    else:
        _say(f"The audit trail is intact: {report.entries} entries, every link verified.")
        _say(_anchoring(report))
    if problems:
        raise typer.Exit(1)


def _verify_incremental(db, as_json: bool, reset: bool) -> None:
    from judicare.audit.incremental import verify_incremental

    with command_app(db) as judicare, judicare.unit_of_work() as uow:
        report = verify_incremental(
            uow.session, judicare.audit_anchor, _ring(judicare), reset=reset
        )
    problems = report.problems
    if as_json:
        print_json(
            {
                "mode": report.mode,
                "entries": report.entries,
                "checked": report.checked,
                "since": report.since,
                "valid": not problems,
                "checkpoints_checked": report.checkpoints_checked,
                "problems": [
                    {"seq": p.seq, "kind": p.kind, "message": p.message} for p in problems
                ],
                "mark": None if report.mark is None
                else {"size": report.mark.size, "head": report.mark.head, "at": report.mark.at},
            }
        )  # fmt: skip
    elif problems:
        for problem in problems:
            err_console.print(f"error: {problem.message}", markup=False, highlight=False)
    else:
        _say(
            f"The audit trail is intact: {report.entries} entries; this {report.mode} check "
            f"read {report.checked} (from entry {report.since + 1}) and "
            f"{report.checkpoints_checked} signed checkpoint(s)."
        )
    if problems:
        raise typer.Exit(1)


def _anchoring(report) -> str:
    if report.latest is None:
        return f"No signed checkpoint yet for this database in {report.journal}."
    text = (
        f"{report.signed} signed checkpoint(s) verified; the latest ({report.latest.at}) "
        f"covers {report.latest.size} entries"
    )
    if report.after_latest:
        text += f"; {report.after_latest} entries after the last signed checkpoint"
    for item in report.cosigned:
        text += f"; {item['size']} entries cosigned by {', '.join(item['witnesses'])}"
    return text + "."


@app.command("checkpoint")
def checkpoint(
    db: DbOption = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file.")] = None,
    prove_from: Annotated[
        list[int] | None,
        typer.Option(
            "--prove-from",
            help="Also prove that the trail extends the one of this size (repeatable).",
        ),
    ] = None,
) -> None:
    """Print the latest signed checkpoint as JSON, to hand to peer witnesses, with
    consistency proofs from the sizes witnesses last cosigned (and any --prove-from)."""
    with command_app(db) as judicare, judicare.unit_of_work() as uow:
        document = export_checkpoint(
            uow.session, judicare.audit_anchor, _ring(judicare), prove_from or ()
        )
    _emit(document, out, "Checkpoint")


@app.command("cosign")
def cosign(
    file: FileArgument,
    db: DbOption = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file.")] = None,
) -> None:
    """As a witness, cosign a peer node's checkpoint; refuses one inconsistent with a
    checkpoint this node cosigned before for that node, or larger without a consistency
    proof from it that verifies (exit 3)."""
    document = _read(file)
    with command_app(db) as judicare, judicare.unit_of_work() as uow:
        ring = _ring(judicare, required=True)
        state = WitnessState(judicare.settings.effective_node_keys_dir / "audit")
        cosigned = cosign_document(uow.session, ring, state, document, judicare.now())
    _emit(cosigned, out, "Cosigned checkpoint")


def _emit(document: dict, out: Path | None, what: str) -> None:
    """A checkpoint document as JSON on standard output, or written to `out`."""
    if out is None:
        print_json(document)
        return
    out.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    _say(f"{what} of {document['size']} entries written to {out}.")


@app.command("add-cosigned")
def add_cosigned_command(file: FileArgument, db: DbOption = None) -> None:
    """Keep a checkpoint that peer witnesses cosigned; `verify` then checks against it."""
    document = _read(file)
    with command_app(db) as judicare, judicare.unit_of_work() as uow:
        ring = _ring(judicare, required=True)
        witnesses = add_cosigned(uow.session, judicare.audit_anchor, ring, document)
    _say(f"Checkpoint of {document['size']} entries cosigned by {', '.join(witnesses)} kept.")


@app.command("send-checkpoint")
def send_checkpoint_command(
    to: Annotated[
        str | None, typer.Option("--to", help="The peer node that is to witness it.")
    ] = None,
    to_all: Annotated[bool, typer.Option("--to-all", help="Send it to every active peer.")] = False,
    keys_dir: Annotated[
        Path | None,
        typer.Option(
            "--keys-dir",
            help="Node key directory (default: JUDICARE_NODE_KEYS_DIR, else var/node-keys).",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Queue the latest signed checkpoint (with consistency proofs from the sizes peers
    last cosigned) for a peer witness over the node exchange; `judicare node deliver`
    carries it, the peer cosigns or refuses it and answers, and the answer is kept."""
    if (to is None) == (not to_all):
        fail("name one peer with --to PEER_NODE_ID, or use --to-all", InvalidInput.exit_code)
    with command_app(db) as judicare, judicare.unit_of_work() as uow:
        store = FileKeyStore(keys_dir or judicare.settings.effective_node_keys_dir)
        node = _node_for(judicare, store)
        node.ring()
        peers = [to] if to else [p["node_id"] for p in list_peers(uow.session) if p["active"]]
        if not peers:
            fail("this node has no active peer: add one with `judicare node peers add`", 1)
        queued = []
        for peer in peers:
            row, document = send_checkpoint(
                uow.session, node, judicare.audit_anchor, peer, actor="local-operator",
                now=judicare.now(),
            )  # fmt: skip
            queued.append((peer, row.message_id, document["size"]))
        uow.commit()
    for peer, message_id, size in queued:
        _say(f"Checkpoint of {size} entries queued for {peer} as message {message_id}.")


def _read(file: Path) -> dict:
    try:
        document = json.loads(read_input_file(file))
    except ValueError as exc:
        fail(f"{file} is not JSON: {exc}", InvalidInput.exit_code)
    if not isinstance(document, dict):
        fail(f"{file} does not hold a checkpoint object", InvalidInput.exit_code)
    return document
