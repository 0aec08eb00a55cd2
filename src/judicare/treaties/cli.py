"""`judicare treaty ...`: the treaty register from the command line. Thin: parse, call the
service in one unit of work, print."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from judicare.cli_support import (
    DbOption,
    JsonOption,
    command_app,
    out_console,
    parse_date_option,
    print_json,
    read_input_file,
)
from judicare.treaties import service
from judicare.treaties.sources import sources_report

app = typer.Typer(help="Instruments, depositary actions, entry into force.", no_args_is_help=True)

InstrumentArg = Annotated[
    str, typer.Argument(help="Instrument id, e.g. lhc-2023 (see `treaty list`).")
]


@app.command("list")
def list_(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Every instrument in the catalogue."""
    with command_app(db):
        rows = service.list_instruments()
    if as_json:
        print_json(rows)
        return
    table = Table("id", "title", "depositary", "kinds", "participation data")
    for row in rows:
        table.add_row(
            row["id"],
            row["short_title"],
            str(row["depositary"] or "unknown"),
            ", ".join(row["kinds"]) or "—",
            row["participation_data"],
        )
    out_console.print(table)


@app.command("status")
def status(
    instrument: InstrumentArg,
    on: Annotated[
        str | None, typer.Option("--on", help="Date YYYY-MM-DD (default: today).")
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Who takes part in the instrument, and how, on a date."""
    with command_app(db) as judicare:
        day = parse_date_option(on, "--on", judicare.clock.today)
        with judicare.unit_of_work() as uow:
            report = service.status_report(service.participation_for(uow.session, instrument), day)
    if as_json:
        print_json(report)
        return
    _print_status(report)


def _print_status(report: dict) -> None:
    force = {"in_force": "in force", "not_in_force": "not in force", "unknown": "unknown"}
    out_console.print(
        f"[bold]{report['instrument']}[/bold] on {report['on']}: "
        f"{force[report['in_force_status']]}"
        + (f" since {report['entry_into_force']}" if report["entry_into_force"] else "")
    )
    out_console.print(f"  basis: {report['entry_into_force_basis']}", highlight=False)
    out_console.print(
        f"  participation data: {report['participation_data']} (as of "
        f"{report['participation_as_of']}); states not listed: {report['unlisted_states']}"
    )
    table = Table("state", "name", "status", "in force from", "consent", "signed")
    for party in report["parties"]:
        consent = party["consent"]
        table.add_row(
            party["state"],
            party["name"],
            party["status"],
            party["in_force_from"] or "—",
            f"{consent['action']} {consent['date']}" if consent else "—",
            party["signed"] or "—",
        )
    out_console.print(table)
    out_console.print("  " + ", ".join(f"{k}: {v}" for k, v in report["counts"].items() if v))
    for disagreement in report["disagreements"]:
        out_console.print(f"  [yellow]sources disagree:[/yellow] {disagreement}", highlight=False)
    for caveat in report["caveats"]:
        out_console.print(f"  [red]caveat:[/red] {caveat}", highlight=False)


@app.command("record")
def record(
    instrument: InstrumentArg,
    state: Annotated[str, typer.Argument(help="ISO 3166-1 alpha-2 or alpha-3 code.")],
    action: Annotated[str, typer.Argument(help="signature, ratification, accession, ...")],
    when: Annotated[str, typer.Argument(metavar="YYYY-MM-DD", help="Date of the action.")],
    note: Annotated[str, typer.Option("--note", help="Text or subject of the action.")] = "",
    source_url: Annotated[
        str | None, typer.Option("--source-url", help="Where the action is documented.")
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record a depositary action; prints the number of its notification."""
    with command_app(db) as judicare:
        proposed = service.parse_action(instrument, state, action, when, note, source_url)
        with judicare.unit_of_work() as uow:
            notification = service.record_action(uow.session, proposed, judicare.clock.today())
            uow.commit()
    if as_json:
        print_json(notification)
        return
    out_console.print(
        f"Depositary notification no. {notification['number']} ({notification['reference']}): "
        f"{notification['state']} {notification['action']} {notification['date']}",
        highlight=False,
    )


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="CSV: instrument,iso3,action,date,source_url,notes")],
    instrument: Annotated[
        str | None, typer.Option("--instrument", help="Only this instrument; fills empty cells.")
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Import depositary actions from CSV, all or nothing."""
    text = read_input_file(file)
    with command_app(db) as judicare:
        rows = service.read_import_file(text)
        with judicare.unit_of_work() as uow:
            notifications = service.import_actions(
                uow.session, rows, judicare.clock.today(), instrument
            )
            uow.commit()
    if as_json:
        print_json({"imported": len(notifications), "notifications": notifications})
        return
    out_console.print(f"Imported {len(notifications)} action(s).")
    for n in notifications:
        out_console.print(
            f"  notification {n['reference']}: {n['state']} {n['action']} {n['date']}",
            highlight=False,
        )


@app.command("notifications")
def notifications(
    instrument: InstrumentArg, db: DbOption = None, as_json: JsonOption = False
) -> None:
    """The depositary notifications issued for an instrument, in number order."""
    with command_app(db) as judicare, judicare.unit_of_work() as uow:
        rows = service.list_notifications(uow.session, instrument)
    if as_json:
        print_json(rows)
        return
    if not rows:
        out_console.print("No notifications yet.")
    for n in rows:
        out_console.print(f"[bold]{n['reference']}[/bold] {n['issued_at']}")
        out_console.print(f"  EN: {n['text_en']}", highlight=False)
        out_console.print(f"  FR: {n['text_fr']}", highlight=False)


@app.command("sources")
def sources(instrument: InstrumentArg, db: DbOption = None, as_json: JsonOption = False) -> None:
    """Where every fact about the instrument came from."""
    with command_app(db) as judicare, judicare.unit_of_work() as uow:
        report = sources_report(uow.session, instrument)
    if as_json:
        print_json(report)
        return
    _print_sources(report)


def _print_sources(report: dict) -> None:
    out_console.print(f"[bold]{report['instrument']}[/bold] {report['title']}")
    for fact in report["facts"]:
        out_console.print(
            f"  {fact['fact']}: {fact['value'] or 'unknown'} — {fact['source_url'] or fact['note']}"
            + (f" ({fact['citation']})" if fact["citation"] else ""),
            highlight=False,
        )
        for other in fact["disagreements"]:
            out_console.print(f"    [yellow]disagrees:[/yellow] {other}", highlight=False)
    for label, rule in (
        ("entry into force", report["entry_into_force_rule"]),
        ("withdrawal", report["withdrawal_rule"]),
    ):
        verified = "verified" if rule["verified"] else "UNVERIFIED"
        out_console.print(
            f"  {label} rule (art. {rule['article'] or '?'}, {verified}): {rule['summary']} "
            f"— {rule['source_url'] or 'no source'}",
            highlight=False,
        )
    computed = report["computed_entry_into_force"]
    out_console.print(
        f"  entry into force used: {computed['used'] or 'unknown'} — {computed['basis']}",
        highlight=False,
    )
    part = report["participation"]
    out_console.print(
        f"  participation: {part['completeness']} as of {part['as_of']}; unlisted states are "
        f"{part['unlisted_states']}",
        highlight=False,
    )
    for f in part["files"]:
        out_console.print(
            f"    file {f['file']} ({f['rows']} rows, sha256 {f['sha256']}), see {f['readme']}",
            highlight=False,
        )
    for s in part["row_sources"]:
        out_console.print(f"    {s['rows']:>4} row(s) from {s['source_url']}", highlight=False)
    out_console.print(f"  register actions recorded here: {report['register']['actions']}")
    for d in report["disagreements"]:
        out_console.print(f"  [yellow]disagreement:[/yellow] {d}", highlight=False)
    for g in report["gaps"]:
        out_console.print(f"  [red]gap:[/red] {g}", highlight=False)
