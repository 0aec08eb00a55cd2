"""`judicare screen`: the screening report for a request (a file or a stored request)."""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.markup import escape

from judicare.auth.permissions import NotFound, Principal, Role
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
from judicare.persons.registers import EVERY_AUTHORITY
from judicare.requests.models import RequestRow
from judicare.requests.schemas import RequestCreate
from judicare.screening import service


def screen(
    request_id: Annotated[int | None, typer.Argument(help="A stored request's id.")] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="A request as JSON (the API's create schema).")
    ] = None,
    as_user: Annotated[
        str | None,
        typer.Option(
            "--as",
            help="Screen as this user (default: the local operator, audited). A file is "
            "screened against the node's registers and, with --as, that user's authority's "
            "requests (without --as, the operator's view: every register and request).",
        ),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Every refusal ground and safeguard that could bear on the request, with citations;
    completeness; the legal basis. The system decides nothing."""
    if (request_id is None) == (file is None):
        fail("give either a REQUEST_ID or --file REQUEST.json", InvalidInput.exit_code)
    with command_app(db) as judicare, judicare.unit_of_work() as uow:
        basis = judicare.basis.get(uow.session)
        if file is not None:
            try:
                request = RequestCreate.model_validate(json.loads(file.read_text(encoding="utf-8")))
            except (OSError, json.JSONDecodeError) as exc:
                fail(f"cannot read {file}: {exc}", InvalidInput.exit_code)
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"])
                fail(f"{file}: {where}: {first['msg']}", InvalidInput.exit_code)
            reader = acting_user(uow.session, as_user).authority_id if as_user else EVERY_AUTHORITY
            report = service.screen_new(uow.session, basis, request, authority_id=reader)
        else:
            report = service.screen_stored(
                uow.session,
                basis,
                _principal(uow.session, as_user, request_id),
                request_id,
                now=judicare.now(),
                why="screening",
            )
            uow.commit()
    if as_json:
        print_json(report)
        return
    for f in report["findings"]:
        cites = (
            ", ".join(f"{c['instrument']} art. {c['article'] or '?'}" for c in f["citations"])
            or "—"
        )
        out_console.print(
            f"[bold]{f['severity'].upper()}[/bold] {f['ground']} ({f['category']}): "
            + escape(f"{f['explanation']} [{cites}]"),
            highlight=False,
        )
    missing = report["completeness"]["missing"]
    out_console.print(f"Missing from the request: {', '.join(missing) if missing else 'nothing'}")
    if report["requires_supervisor"]:
        out_console.print(
            "[red]A high-severity finding: any decision needs a supervisor's approval.[/red]"
        )


def _principal(session, username: str | None, request_id: int):
    """A named user, or the local operator: someone with direct access to the database,
    who reads as an auditor within the request's own authority and is audited by name."""
    if username is not None:
        return acting_user(session, username)
    row = session.get(RequestRow, request_id)
    if row is None:
        raise NotFound(f"request {request_id} not found")
    try:
        operator = getpass.getuser()
    except (KeyError, OSError):
        operator = "operator"
    return Principal(0, f"cli:{operator}", Role.AUDITOR, row.authority_id)
