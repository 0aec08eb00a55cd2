"""`judicare db ...`: schema and reference data."""

from __future__ import annotations

import typer

from judicare.bootstrap import upgrade_database
from judicare.cli_support import DbOption, command_app, err_console, out_console
from judicare.db import migrate

app = typer.Typer(help="Database schema and reference data.", no_args_is_help=True)


@app.command("upgrade")
def upgrade(db: DbOption = None) -> None:
    """Migrate the database to the newest schema and load the shipped reference data."""
    with command_app(db, prepare=False) as judicare:
        with err_console.status("Migrating and loading reference data…") as status:
            changed = upgrade_database(
                judicare, progress=lambda i: status.update(f"Loaded reference data: {i}")
            )
        head = migrate.head_revision(judicare.engine)
        loaded = ": " + ", ".join(changed) if changed else " (all current)"
        out_console.print(
            f"Database at schema revision {head}; reference data loaded for "
            f"{len(changed)} instrument(s){loaded}."
        )


@app.command("current")
def current(db: DbOption = None) -> None:
    """Show the database's schema revision and the one this version expects."""
    with command_app(db, prepare=False) as judicare:
        now = migrate.current_revision(judicare.engine)
        out_console.print(
            f"current: {now or 'none'}; expected: {migrate.head_revision(judicare.engine)}"
        )
