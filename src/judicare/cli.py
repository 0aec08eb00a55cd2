"""The `judicare` command."""

from __future__ import annotations

import typer

from judicare.db.cli import app as db_app
from judicare.legal_basis.cli import basis
from judicare.treaties.cli import app as treaty_app

app = typer.Typer(
    help="Judicare: cooperation between states on genocide, crimes against humanity, "
    "war crimes and other international crimes.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db_app, name="db")
app.add_typer(treaty_app, name="treaty")
app.command("basis")(basis)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
