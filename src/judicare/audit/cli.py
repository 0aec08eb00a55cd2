"""`judicare audit verify`: check the hash chain and name every altered, missing or
reordered entry."""

from __future__ import annotations

import typer

from judicare.audit.service import verify_log
from judicare.cli_support import (
    DbOption,
    JsonOption,
    command_app,
    err_console,
    out_console,
    print_json,
)

app = typer.Typer(help="The audit trail.", no_args_is_help=True)


@app.command("verify")
def verify(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Verify the audit trail; exits 1 and names the entries if it was tampered with."""
    with command_app(db) as judicare, judicare.unit_of_work() as uow:
        count, problems = verify_log(uow.session)
    if as_json:
        print_json(
            {
                "entries": count,
                "valid": not problems,
                "problems": [
                    {"seq": p.seq, "kind": p.kind, "message": p.message} for p in problems
                ],
            }
        )
    elif problems:
        for problem in problems:
            err_console.print(f"error: {problem.message}", markup=False, highlight=False)
    else:
        out_console.print(f"The audit trail is intact: {count} entries, every link verified.")
    if problems:
        raise typer.Exit(1)
