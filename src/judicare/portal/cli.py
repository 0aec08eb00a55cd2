"""`judicare portal ...`: the public portal from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from judicare.cli_support import DbOption, JsonOption, command_app, out_console
from judicare.db.freshness import Fallback, ReadFrom
from judicare.web.portal_export import export_portal

app = typer.Typer(help="The public portal (no sign-in).", no_args_is_help=True)

WHY_PRIMARY = {
    Fallback.TOO_FAR_BEHIND: "the replica was further behind than JUDICARE_READ_MAX_LAG_SECONDS",
    Fallback.LAG_UNKNOWN: "the replica could not say how far behind it was",
    Fallback.UNREACHABLE: "the replica did not answer",
}


@app.command("export")
def export(
    directory: Annotated[Path, typer.Argument(help="Folder to write (replaced if it exists).")],
    db: DbOption = None,
    read_db: Annotated[
        str | None,
        typer.Option(
            "--read-db",
            help="A PostgreSQL streaming replica to read from (default: "
            "JUDICARE_READ_DATABASE_URL); beyond JUDICARE_READ_MAX_LAG_SECONDS of lag, or if it "
            "does not answer, the primary (--db) is read. The pages say as of when.",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Write the whole portal as static files: pages in en/fr/nl, feeds/notifications.atom,
    data/*.json and data/*.csv."""
    if directory.exists() and not directory.is_dir():
        out_console.print(f"error: {directory} exists and is not a folder")
        raise typer.Exit(2)
    with command_app(db, read_db=read_db) as judicare:
        done = export_portal(judicare, directory)
    freshness = done.freshness
    if as_json:
        print(json.dumps({
            "directory": str(directory), "files": len(done.paths),
            "read_from": freshness.source.value,
            "fallback": freshness.fallback.value,
            "lag_seconds": freshness.lag_seconds,
            "as_of": done.as_of.isoformat() if done.as_of else None,
        }))  # fmt: skip
        return
    out_console.print(f"Wrote {len(done.paths)} files to {directory}.", highlight=False)
    if done.as_of is None:
        return
    where = (
        "a replica" if freshness.source is ReadFrom.REPLICA
        else f"the primary ({WHY_PRIMARY.get(freshness.fallback, freshness.fallback.value)})"
    )  # fmt: skip
    out_console.print(f"Data as of {done.as_of.isoformat()}, read from {where}.", highlight=False)
