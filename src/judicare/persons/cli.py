"""`judicare persons ...`: import registers, find a person, record a decision on a match."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress
from rich.table import Table

from judicare.auth.permissions import Principal, Role
from judicare.cli_support import (
    DbOption,
    JsonOption,
    acting_user,
    command_app,
    err_console,
    fail,
    out_console,
    print_json,
    read_input_file,
)
from judicare.errors import InvalidInput
from judicare.persons import service
from judicare.persons.domain import PartialDate, PersonQuery
from judicare.persons.registers import EVERY_AUTHORITY, authorize_import
from judicare.states import resolve_state

app = typer.Typer(help="Person screening: registers, matching, decisions.", no_args_is_help=True)
NameOption = Annotated[list[str], typer.Option("--name", help="A name, in any script; repeat.")]


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _operator() -> Principal:
    """The local operator, who has the database itself in hand: the node's administrator
    (audited by name). Even so, the internal index of requests is never imported."""
    return Principal(0, _actor(), Role.NODE_ADMIN, "")


@app.command("import")
def import_(
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV: id,names,birth_date,nationality,status,"
            "country_of_feared_persecution,status_date"
        ),
    ],
    register: Annotated[str, typer.Option("--register", help="The register's name.")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Import a national register of the node (refugees...), all or nothing; every bad row is
    named. The internal index of requests cannot be imported."""
    text = read_input_file(file)
    with command_app(db) as judicare:
        authorize_import(_operator(), register)
        records = service.parse_register_csv(text, register)
        with judicare.unit_of_work() as uow, Progress(console=err_console, transient=True) as bar:
            task = bar.add_task(f"Indexing {len(records)} persons", total=len(records))
            result = service.import_register(
                uow.session,
                records,
                principal=_operator(),
                now=judicare.now(),
                progress=lambda n: bar.update(task, completed=n),
            )
            uow.commit()
    if as_json:
        print_json(result)
    else:
        out_console.print(
            f"Register {result['register']}: {result['added']} added, {result['updated']} updated."
        )


@app.command("rekey")
def rekey(
    register: Annotated[
        str | None, typer.Option("--register", help="Only this register (default: all).")
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Recompute the blocking keys and character trigrams of stored persons after an upgrade
    of the matching engine."""
    with command_app(db) as judicare, judicare.unit_of_work() as uow:
        with Progress(console=err_console, transient=True) as bar:
            task = bar.add_task("Recomputing keys", total=None)
            result = service.rekey(
                uow.session,
                register=register,
                actor=_actor(),
                now=judicare.now(),
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        uow.commit()
    if as_json:
        print_json(result)
    else:
        out_console.print(f"{result['entries']} entries checked, {result['changed']} re-keyed.")


def _query(
    names: list[str], birth_date: str | None, nationality: str | None, registers: list[str] | None
) -> PersonQuery:
    if not names or not any(n.strip() for n in names):
        raise InvalidInput("give at least one --name")
    try:
        born = PartialDate.parse(birth_date) if birth_date else None
    except ValueError as exc:
        raise InvalidInput(f"--birth-date: {exc}") from None
    return PersonQuery(
        names=tuple(n for n in names if n.strip()),
        birth_date=born,
        nationality=resolve_state(nationality).alpha3 if nationality else None,
        registers=tuple(registers) if registers else None,
    )


@app.command("match")
def match(
    name: NameOption,
    birth_date: Annotated[
        str | None, typer.Option("--birth-date", help="YYYY, YYYY-MM or YYYY-MM-DD")
    ] = None,
    nationality: Annotated[str | None, typer.Option("--nationality", help="ISO code.")] = None,
    register: Annotated[
        list[str] | None, typer.Option("--register", help="Only this register; repeat.")
    ] = None,
    threshold: Annotated[float | None, typer.Option("--threshold", help="0 to 1.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=200)] = 20,
    authority: Annotated[
        str | None,
        typer.Option(
            "--authority",
            help="Search as this authority's screening does: the node's registers and the "
            "persons named in its own requests (default: the operator's view, every register "
            "and the whole index of requests).",
        ),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Find a person across scripts and spellings; best candidates first."""
    with command_app(db) as judicare:
        query = _query(name, birth_date, nationality, register)
        with judicare.unit_of_work() as uow:
            candidates = service.match(
                uow.session,
                query,
                authority_id=authority or EVERY_AUTHORITY,
                threshold=threshold,
                limit=limit,
            )
    if as_json:
        print_json({"candidates": candidates})
        return
    if not candidates:
        out_console.print("No candidate above the threshold.")
        return
    table = Table("register", "id", "score", "matched", "decision")
    for c in candidates:
        pairs = (
            c["explanation"].get("names", {}).get("pairs") or c["explanation"].get("pairs") or []
        )
        matched = (
            "; ".join(f"{p.get('query')} ~ {p.get('record')}" for p in pairs[:3]) if pairs else ""
        )
        decided = c["adjudication"]["decision"] if c["adjudication"] else "—"
        table.add_row(c["register"], c["id"], f"{c['score']:.2f}", matched, decided)
    out_console.print(table)


@app.command("adjudicate")
def adjudicate(
    register: Annotated[str, typer.Option("--register")],
    person_id: Annotated[str, typer.Option("--id", help="The register entry's id.")],
    decision: Annotated[str, typer.Option("--decision", help="confirmed or rejected")],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept and audited).")],
    name: Annotated[
        list[str] | None,
        typer.Option(
            "--name",
            help="The names checked (the operator's own decision, shown by `persons match`; "
            "it counts in no authority's screening).",
        ),
    ] = None,
    request_id: Annotated[
        int | None, typer.Option("--request", help="A stored request's id (needs --as).")
    ] = None,
    as_user: Annotated[
        str | None, typer.Option("--as", help="The user deciding (need-to-know applies).")
    ] = None,
    person: Annotated[
        int, typer.Option("--person", min=0, help="The person's number in the request.")
    ] = 0,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record a decision on a candidate. With --request and --as: a user's decision for a
    person named in a request, which counts on that request only whenever its persons are
    screened again. With --name: the operator's decision on the node's registers, shown
    whenever `persons match` checks the same names against the same entry; it never counts
    in an authority's screening (nobody outside an authority weakens its safeguards)."""
    from judicare.screening.service import adjudicate_candidate

    if (request_id is None) == (not name):
        fail("give either --request ID --as USER (a request's person) or --name (the "
             "operator's own check of the node's registers)", 2)  # fmt: skip
    if request_id is not None and not as_user:
        fail("--request needs --as USER: the user deciding, whose need-to-know applies", 2)
    with command_app(db) as judicare, judicare.unit_of_work() as uow:
        if request_id is not None:
            result = adjudicate_candidate(
                uow.session,
                acting_user(uow.session, as_user),
                request_id,
                person=person,
                register=register,
                external_id=person_id,
                decision=decision,
                reason=reason,
                now=judicare.now(),
            )
        else:
            result = service.adjudicate(
                uow.session,
                names=tuple(name),
                register=register,
                external_id=person_id,
                decision=decision,
                reason=reason,
                actor=_actor(),
                authority_id=EVERY_AUTHORITY,
                request=service.OnRequest(None, None),
                now=judicare.now(),
            )
        uow.commit()
    if as_json:
        print_json(result)
    else:
        out_console.print(f"Recorded: {register}/{person_id} {decision}.")
