"""`judicare competing ...`: competing requests across the node.

    judicare competing backfill --as USERNAME [--json]
        → {"requests_examined": n, "competitions_stored_or_updated": n}

Registration stores the competitions it finds; `backfill` runs the same detection over the
requests registered before it did (or two registered at the same moment, which could not
see each other), in one transaction. Only the node's administrator runs it (the whole node's
requests are examined); each competition stored is audited on both requests."""

from __future__ import annotations

from typing import Annotated

import typer

from judicare.auth.permissions import Permission, authorize
from judicare.cli_support import (
    DbOption,
    JsonOption,
    acting_user,
    command_app,
    out_console,
    print_json,
)
from judicare.competing.detection import backfill as run_backfill

app = typer.Typer(help="Competing requests for the same person or evidence.",
                  no_args_is_help=True)  # fmt: skip


@app.command("backfill")
def backfill(
    as_user: Annotated[str, typer.Option("--as", help="The node administrator acting.")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Find and store the competing requests among the open requests already registered."""
    with command_app(db) as judicare, judicare.unit_of_work() as uow:
        principal = acting_user(uow.session, as_user)
        authorize(principal, Permission.REGISTER_IMPORT)
        result = run_backfill(uow.session, principal, now=judicare.now(),
                              why="backfill of competing requests")  # fmt: skip
        uow.commit()
    if as_json:
        print_json(result)
    else:
        out_console.print(
            f"{result['requests_examined']} open request(s) examined; "
            f"{result['competitions_stored_or_updated']} competition(s) stored or updated.",
            markup=False, highlight=False, soft_wrap=True,
        )  # fmt: skip
