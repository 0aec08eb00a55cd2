"""`judicare evidence ...`: evidence items, their chain of custody, and BagIt packages.

Exit codes: 0 done (for `verify`: the bag is valid); 1 the bag is not valid (each problem
printed with its file); 2 bad input (an unknown user, item or file, a refused custody
event), as every Judicare command; 3 a conflict.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from judicare.cli_support import (
    DbOption,
    JsonOption,
    acting_user,
    command_app,
    fail,
    out_console,
    print_json,
)
from judicare.errors import InvalidInput
from judicare.evidence import bags, service
from judicare.evidence.custody import EventKind
from judicare.evidence.service import Custody

app = typer.Typer(help="Evidence items, their chain of custody, and BagIt packages.",
                  no_args_is_help=True)  # fmt: skip

AsOption = Annotated[str, typer.Option("--as", help="The officer acting (their user name).")]
WhereOption = Annotated[str, typer.Option("--where", help="Where it happened (place, system).")]
WhyOption = Annotated[str, typer.Option("--why", help="Why it was done (the purpose).")]


def say(text: str) -> None:
    out_console.print(text, soft_wrap=True, markup=False, highlight=False)


def _file_chunks(path: Path):
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None

    def chunks():
        with handle:
            while chunk := handle.read(1 << 20):
                yield chunk

    return chunks()


@app.command("add")
def add_command(
    request_id: int,
    file: Path,
    description: Annotated[str, typer.Option("--description", help="What the item is.")],
    as_user: AsOption,
    where: WhereOption,
    why: WhyOption = "collected for the request",
    media_type: Annotated[str | None, typer.Option("--media-type")] = None,
    received: Annotated[
        bool,
        typer.Option("--received", help="Received from another custodian, not collected."),
    ] = False,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Add a file to the request's evidence (an original), recording how it came into custody."""
    if not file.is_file() or file.is_symlink():
        fail(f"{file} is not a regular file: give the path of the evidence file", 2)
    with command_app(db) as judicare, judicare.unit_of_work() as uow:
        added = service.add_item(
            uow.session, judicare.file_store, acting_user(uow.session, as_user), request_id,
            chunks=_file_chunks(file), filename=file.name, media_type=media_type,
            description=description, custody_of=Custody(where=where, why=why),
            now=judicare.now(), limit=judicare.settings.max_evidence_bytes,
            kind=EventKind.RECEIVED if received else EventKind.COLLECTED,
        )  # fmt: skip
        uow.commit()
    if as_json:
        print_json(added)
    else:
        say(f"Evidence item {added['id']} added to request {request_id} "
            f"(SHA-256 {added['sha256']}).")  # fmt: skip


def _event_command(kind: EventKind, help_text: str):
    def command(
        request_id: int,
        item_id: int,
        as_user: AsOption,
        where: WhereOption,
        why: WhyOption,
        as_json: JsonOption = False,
        db: DbOption = None,
    ) -> None:
        with command_app(db) as judicare, judicare.unit_of_work() as uow:
            item = service.record_event(
                uow.session, acting_user(uow.session, as_user), request_id, item_id, kind,
                custody_of=Custody(where=where, why=why), now=judicare.now(),
            )  # fmt: skip
            uow.commit()
        if as_json:
            print_json(item)
        else:
            say(f"Item {item_id}: {kind.value} recorded (event {len(item['events'])}).")

    command.__doc__ = help_text
    return command


app.command("seal")(_event_command(
    EventKind.SEALED, "Seal an original: its digests are fixed in its chain; it never changes."
))  # fmt: skip


@app.command("record")
def record_command(
    request_id: int,
    item_id: int,
    kind: Annotated[str, typer.Option("--kind", help="transmitted or received")],
    as_user: AsOption,
    where: WhereOption,
    why: WhyOption,
    to: Annotated[str | None, typer.Option("--to", help="The recipient (transmitted).")] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Record a custody event made outside Judicare: handed over (transmitted), or back in
    custody (received)."""
    if kind not in ("transmitted", "received"):
        fail(f"--kind {kind!r}: record transmitted or received here (collected: evidence "
             "add; copied: evidence copy; sealed: evidence seal)", 2)  # fmt: skip
    if kind == "transmitted" and not to:
        fail("--to is needed for transmitted: say who received the item", 2)
    with command_app(db) as judicare, judicare.unit_of_work() as uow:
        item = service.record_event(
            uow.session, acting_user(uow.session, as_user), request_id, item_id,
            EventKind(kind), custody_of=Custody(where=where, why=why), now=judicare.now(),
            details={"to": to} if to else None,
        )  # fmt: skip
        uow.commit()
    if as_json:
        print_json(item)
    else:
        say(f"Item {item_id}: {kind} recorded (event {len(item['events'])}).")


@app.command("copy")
def copy_command(
    request_id: int,
    item_id: int,
    file: Path,
    how: Annotated[str, typer.Option("--how", help="How the copy was derived (tool, change).")],
    as_user: AsOption,
    where: WhereOption,
    why: WhyOption = "working copy for analysis",
    media_type: Annotated[str | None, typer.Option("--media-type")] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Register FILE as a working copy derived from an item (the original is not touched)."""
    if not file.is_file() or file.is_symlink():
        fail(f"{file} is not a regular file: give the path of the working copy", 2)
    with command_app(db) as judicare, judicare.unit_of_work() as uow:
        copy = service.add_working_copy(
            uow.session, judicare.file_store, acting_user(uow.session, as_user), request_id,
            item_id, chunks=_file_chunks(file), filename=file.name, media_type=media_type,
            how=how, custody_of=Custody(where=where, why=why), now=judicare.now(),
            limit=judicare.settings.max_evidence_bytes,
        )  # fmt: skip
        uow.commit()
    if as_json:
        print_json(copy)
    else:
        say(f"Working copy {copy['id']} of item {item_id} added.")


@app.command("list")
def list_command(
    request_id: int,
    as_user: AsOption,
    why: WhyOption = "consultation of the evidence",
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """The request's evidence items and their chains of custody."""
    with command_app(db) as judicare, judicare.unit_of_work() as uow:
        items = service.list_items(uow.session, acting_user(uow.session, as_user), request_id,
                                   now=judicare.now(), why=why)  # fmt: skip
        uow.commit()
    if as_json:
        print_json(items)
        return
    for item in items:
        state = "sealed" if item["sealed"] else "not sealed"
        chain = "chain intact" if item["chain_intact"] else "CHAIN BROKEN"
        say(
            f"{item['id']}  {item['kind']}  {item['filename']}  {state}, {chain}, "
            f"{len(item['events'])} event(s)  {item['sha256']}"
        )


@app.command("export")
def export_command(
    request_id: int,
    output: Annotated[Path, typer.Option("-o", "--output", help="The bag's directory (new).")],
    as_user: Annotated[
        str, typer.Option("--as", envvar="JUDICARE_AS", help="The officer acting.")
    ] = "",
    why: WhyOption = "export of the evidence package",
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Write the request's evidence as a BagIt bag (SHA-256 and SHA-512 manifests, the
    custody log as a tag file, the request's reference in bag-info.txt)."""
    if not as_user:
        fail("--as USER is needed: evidence is exported by a named officer (need-to-know)", 2)
    with command_app(db) as judicare, judicare.unit_of_work() as uow:
        who = acting_user(uow.session, as_user)
        try:
            done = service.export_bag(uow.session, judicare.file_store, who, request_id, output,
                                      organisation=who.authority_id, now=judicare.now(),
                                      why=why)  # fmt: skip
        except bags.BagRefused as exc:
            raise InvalidInput(str(exc)) from None
        uow.commit()
    if as_json:
        print_json(done)
    else:
        say(f"Bag of request {request_id} written to {output} ({done['items']} item(s)).")


@app.command("send")
def send_command(
    request_id: int,
    text: Annotated[str, typer.Option("--text", help="The answer the evidence goes with.")],
    as_user: AsOption,
    where: WhereOption,
    why: WhyOption = "evidence sent with the answer to the requesting state",
    keys_dir: Annotated[Path | None, typer.Option("--keys-dir")] = None,
    db: DbOption = None,
) -> None:
    """Send the request's evidence as a bag with an answer over the exchange (recording
    `transmitted` on every item's chain)."""
    from judicare.evidence.transmission import send_evidence
    from judicare.exchange.cli import _node_for, _store

    with command_app(db) as judicare, judicare.unit_of_work() as uow:
        node = _node_for(judicare, _store(keys_dir))
        try:
            row = send_evidence(uow.session, node, acting_user(uow.session, as_user), request_id,
                                text, where=where, now=judicare.now(), why=why)  # fmt: skip
        except bags.BagRefused as exc:
            raise InvalidInput(str(exc)) from None
        uow.commit()
        say(f"Evidence of request {request_id} queued for {row.peer_id} as message "
            f"{row.message_id}.")  # fmt: skip


@app.command("verify")
def verify_command(path: Path, as_json: JsonOption = False) -> None:
    """Validate a bag in full (every file hashed again), and its chains of custody. Exit 1,
    naming each file, when anything is wrong. PATH is a bag directory or a .zip of one."""
    report = _verify(path)
    if as_json:
        print_json(report.as_dict())
    else:
        for error in report.errors:
            say(f"{error.file}: {error.problem}")
        say("valid" if report.valid else f"NOT valid: {len(report.errors)} problem(s)")
    if not report.valid:
        raise typer.Exit(1)


def _verify(path: Path) -> bags.Report:
    import shutil
    import tempfile

    from judicare.evidence import archives

    if path.is_symlink():
        return bags.Report(False, [bags.BagProblem(str(path), "is a symbolic link")])
    if path.is_dir():
        return bags.verify(path)
    if not path.is_file():
        return bags.Report(False, [bags.BagProblem(str(path), "not found: give a bag "
                                                   "directory or its .zip")])  # fmt: skip
    work = Path(tempfile.mkdtemp(prefix="judicare-verify-"))
    try:
        archives.unpack(path, work)
        return bags.verify(work)
    except bags.BagRefused as exc:
        return bags.Report(False, exc.problems)
    finally:
        shutil.rmtree(work, ignore_errors=True)
