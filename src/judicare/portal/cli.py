"""`judicare portal ...`: the public portal from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from judicare.cli_support import DbOption, JsonOption, command_app, out_console
from judicare.web.portal_export import export_portal

app = typer.Typer(help="The public portal (no sign-in).", no_args_is_help=True)


@app.command("export")
def export(
    directory: Annotated[Path, typer.Argument(help="Folder to write (replaced if it exists).")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write the whole portal as static files: pages in en/fr/nl, feeds/notifications.atom,
    data/*.json and data/*.csv."""
    if directory.exists() and not directory.is_dir():
        out_console.print(f"error: {directory} exists and is not a folder")
        raise typer.Exit(2)
    with command_app(db) as judicare:
        paths = export_portal(judicare, directory)
    if as_json:
        print(json.dumps({"directory": str(directory), "files": len(paths)}))
        return
    out_console.print(f"Wrote {len(paths)} files to {directory}.", highlight=False)
