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
    as_user: Annotated[
        str, typer.Option("--as", help="The depositary officer recording it (user name).")
    ],
    note: Annotated[str, typer.Option("--note", help="Text or subject of the action.")] = "",
    source_url: Annotated[
        str | None, typer.Option("--source-url", help="Where the action is documented.")
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record a depositary action and draft its numbered notification, which another
    depositary officer issues (`treaty issue`, four eyes)."""
    from judicare.cli_support import acting_user

    with command_app(db) as judicare:
        proposed = service.parse_action(instrument, state, action, when, note, source_url)
        with judicare.unit_of_work() as uow:
            notification = service.record_action(
                uow.session, proposed, judicare.clock.today(),
                who=acting_user(uow.session, as_user),
            )  # fmt: skip
            uow.commit()
    if as_json:
        print_json(notification)
        return
    out_console.print(
        f"Depositary notification no. {notification['number']} ({notification['reference']}): "
        f"{notification['state']} {notification['action']} {notification['date']} "
        f"(draft: another officer issues it with `treaty issue {notification['instrument']} "
        f"{notification['number']}`)",
        highlight=False,
    )


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="CSV: instrument,iso3,action,date,source_url,notes")],
    as_user: Annotated[
        str, typer.Option("--as", help="The depositary officer importing them (user name).")
    ],
    instrument: Annotated[
        str | None, typer.Option("--instrument", help="Only this instrument; fills empty cells.")
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Import depositary actions from CSV, all or nothing; their notifications are drafts
    that another depositary officer issues (four eyes)."""
    from judicare.cli_support import acting_user

    text = read_input_file(file)
    with command_app(db) as judicare:
        rows = service.read_import_file(text)
        with judicare.unit_of_work() as uow:
            notifications = service.import_actions(
                uow.session, rows, judicare.clock.today(), instrument,
                who=acting_user(uow.session, as_user),
            )  # fmt: skip
            uow.commit()
    if as_json:
        print_json({"imported": len(notifications), "notifications": notifications})
        return
    out_console.print(f"Imported {len(notifications)} action(s); their notifications are drafts.")
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


# --- the depositary's desk (issue 19) -------------------------------------------------------

AsUser = Annotated[str, typer.Option("--as", help="The depositary officer acting (user name).")]


@app.command("receive")
def receive(
    instrument: InstrumentArg,
    state: Annotated[str, typer.Argument(help="ISO 3166-1 alpha-2 or alpha-3 code.")],
    act: Annotated[str, typer.Argument(help="ratification, signature, reservation, ...")],
    deposited_on: Annotated[str, typer.Argument(metavar="YYYY-MM-DD", help="Date of deposit.")],
    original: Annotated[Path, typer.Option("--original", help="The scanned original.")],
    signatory: Annotated[str, typer.Option("--signatory", help="Who signed the instrument.")],
    capacity: Annotated[
        str,
        typer.Option(
            "--capacity",
            help="head_of_state, head_of_government, minister_for_foreign_affairs or other.",
        ),
    ],
    as_user: AsUser,
    location: Annotated[str, typer.Option("--location", help="Where the original is kept.")],
    full_powers_by: Annotated[
        str | None, typer.Option("--full-powers-by", help="Capacity of who signed them.")
    ] = None,
    full_powers_on: Annotated[
        str | None, typer.Option("--full-powers-on", help="Date of the full powers.")
    ] = None,
    defect: Annotated[
        list[str] | None,
        typer.Option("--full-powers-defect", help="signatory or instrument (not covered)."),
    ] = None,
    article: Annotated[str, typer.Option("--article", help="Article reserved.")] = "",
    declaration: Annotated[
        str, typer.Option("--declaration", help="annex or interpretative.")
    ] = "",
    annex: Annotated[list[str] | None, typer.Option("--annex", help="Annex letter.")] = None,
    objection_to: Annotated[
        int | None, typer.Option("--objection-to", help="Deposit number of the reservation.")
    ] = None,
    text: Annotated[str, typer.Option("--text", help="Text of the act.")] = "",
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Receive an instrument at the depositary's desk (exit 0 accepted, 3 pending, 4 refused)."""
    from judicare.cli_support import acting_user
    from judicare.treaties import desk_service

    content = original.read_bytes() if original.is_file() else b""
    if not content:
        from judicare.cli_support import fail

        fail(f"--original {original}: no such file, or it is empty", 2)
    with command_app(db) as judicare:
        receipt = desk_service.parse_receipt(
            instrument_id=instrument, state=state, kind=act, deposited_on=deposited_on,
            signatory=signatory, capacity=capacity, full_powers_by=full_powers_by,
            full_powers_on=full_powers_on, full_powers_defects=tuple(defect or ()),
            article=article, declaration=declaration, annexes=tuple(annex or ()),
            objection_to=objection_to, text=text,
        )  # fmt: skip
        with judicare.unit_of_work() as uow:
            result = desk_service.receive(
                uow.session, judicare.file_store, acting_user(uow.session, as_user), receipt,
                (original.name, content), location=location, now=judicare.now(),
                today=judicare.clock.today(),
            )  # fmt: skip
            uow.commit()
    _print_deposit(result, as_json)


def _print_deposit(result: dict, as_json: bool) -> None:
    if as_json:
        print_json(result)
    else:
        out_console.print(
            f"Deposit {result['deposit']}: {result['status']}"
            + (
                f", notification {result['notification']} drafted" if result["notification"] else ""
            ),
            highlight=False,
        )
        for line in result["reasons"]:
            out_console.print(f"  reason: {line}", highlight=False)
        for line in result["warnings"]:
            out_console.print(f"  [yellow]warning:[/yellow] {line}", highlight=False)
    codes = {"accepted": 0, "pending": 3, "refused": 4}
    if codes[result["status"]]:
        raise typer.Exit(codes[result["status"]])


@app.command("full-powers")
def full_powers(
    deposit: Annotated[int, typer.Argument(help="Deposit number (see `treaty deposits`).")],
    issued_by: Annotated[str, typer.Option("--by", help="Capacity of who signed them.")],
    issued_on: Annotated[str, typer.Option("--on", help="Date of the full powers.")],
    as_user: AsUser,
    defect: Annotated[
        list[str] | None, typer.Option("--defect", help="signatory or instrument.")
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record the full powers of a pending instrument and check it again."""
    from judicare.cli_support import acting_user
    from judicare.treaties import desk_service
    from judicare.treaties.desk import Capacity, FullPowers

    with command_app(db) as judicare:
        defects = tuple(defect or ())
        powers = FullPowers(
            desk_service._choice(Capacity, issued_by, "--by"),
            desk_service._day(issued_on, "--on"),
            "signatory" not in defects,
            "instrument" not in defects,
        )
        with judicare.unit_of_work() as uow:
            result = desk_service.complete_full_powers(
                uow.session, acting_user(uow.session, as_user), deposit, powers,
                now=judicare.now(), today=judicare.clock.today(),
            )  # fmt: skip
            uow.commit()
    _print_deposit(result, as_json)


def _deliverer(judicare, who):
    """Sends through this node's exchange when it has keys (`judicare node init`); without
    them, every state concerned is sent the PDF."""
    from judicare.exchange.depositary import deliverer
    from judicare.exchange.keys import FileKeyStore
    from judicare.exchange.service import Node

    node = Node(
        key_store=FileKeyStore(judicare.settings.effective_node_keys_dir),
        settings=judicare.settings, file_store=judicare.file_store, clock=judicare.clock,
    )  # fmt: skip
    return deliverer(node, who.username)


@app.command("issue")
def issue(
    instrument: InstrumentArg,
    number: Annotated[int, typer.Argument(help="Number of the drafted notification.")],
    as_user: AsUser,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Issue a drafted notification (another officer than its drafter): sent to the states
    concerned (over the exchange to those whose node is a peer, otherwise as a PDF) and
    published."""
    from judicare.cli_support import acting_user
    from judicare.treaties import desk_service

    with command_app(db) as judicare, judicare.unit_of_work() as uow:
        who = acting_user(uow.session, as_user)
        result = desk_service.issue(
            uow.session, judicare.file_store, who, instrument, number, now=judicare.now(),
            deliver=_deliverer(judicare, who),
        )  # fmt: skip
        uow.commit()
    if as_json:
        print_json(result)
        return
    over = sum(1 for c in result["channels"].values() if c == "exchange")
    out_console.print(
        f"Issued {result['reference']}; sent to {len(result['sent_to'])} state(s): {over} over "
        f"the exchange, {len(result['sent_to']) - over} as a PDF "
        f"(`treaty notification-pdf {result['reference']}`).",
        highlight=False,
    )


@app.command("notification-pdf")
def notification_pdf(
    reference: Annotated[str, typer.Argument(help="The notification, e.g. LHC-2023/4.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="The PDF file to write.")],
    as_user: AsUser,
    lang: Annotated[str, typer.Option("--lang", help="en or fr.")] = "en",
    db: DbOption = None,
) -> None:
    """An issued notification as a PDF/A (what a state without a node is sent)."""
    from judicare.auth.permissions import Permission, authorize
    from judicare.cli_support import acting_user
    from judicare.treaties import desk_service
    from judicare.treaties.notification_pdf import notification_pdf as render

    with command_app(db) as judicare, judicare.unit_of_work() as uow:
        authorize(acting_user(uow.session, as_user), Permission.TREATY_READ)
        instrument, number = desk_service.parse_reference(reference)
        wire = desk_service.issued_form(uow.session, instrument, number)
    pdf = render(wire, lang)
    output.write_bytes(pdf)
    out_console.print(f"Wrote {output} ({len(pdf)} bytes).", highlight=False)


@app.command("received")
def received(as_user: AsUser, db: DbOption = None, as_json: JsonOption = False) -> None:
    """Depositary notifications other nodes sent to this one over the exchange."""
    from judicare.cli_support import acting_user
    from judicare.treaties import desk_service

    with command_app(db) as judicare, judicare.unit_of_work() as uow:
        rows = desk_service.received_notifications(uow.session, acting_user(uow.session, as_user))
    if as_json:
        print_json(rows)
        return
    if not rows:
        out_console.print("No notifications received.")
    for n in rows:
        out_console.print(
            f"[bold]{n['reference']}[/bold] from node {n['sender']}, issued {n['issued_at']}"
        )
        out_console.print(f"  EN: {n['text_en']}", highlight=False)


@app.command("deposits")
def deposits(
    instrument: InstrumentArg, as_user: AsUser, db: DbOption = None, as_json: JsonOption = False
) -> None:
    """Instruments received at the desk, with their status and objection deadlines."""
    from judicare.cli_support import acting_user
    from judicare.treaties import desk_service

    with command_app(db) as judicare, judicare.unit_of_work() as uow:
        rows = desk_service.list_deposits(
            uow.session, acting_user(uow.session, as_user), instrument
        )
    if as_json:
        print_json(rows)
        return
    table = Table("no.", "state", "act", "deposited", "status", "notification", "objections until")
    for r in rows:
        table.add_row(
            str(r["deposit"]), r["state"], r["act"], r["deposited_on"], r["status"],
            r["notification"] or "—", r["objection_deadline"] or "—",
        )  # fmt: skip
    out_console.print(table)


@app.command("custody")
def custody(
    deposit: Annotated[int, typer.Argument(help="Deposit number.")],
    as_user: AsUser,
    event: Annotated[
        str | None, typer.Option("--event", help="moved or certified_copy; omit to list.")
    ] = None,
    location: Annotated[str, typer.Option("--location")] = "",
    recipient: Annotated[str, typer.Option("--recipient")] = "",
    note: Annotated[str, typer.Option("--note")] = "",
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """The original's custody and the certified true copies made of it; add an entry."""
    from judicare.cli_support import acting_user
    from judicare.treaties import desk_service

    with command_app(db) as judicare, judicare.unit_of_work() as uow:
        who = acting_user(uow.session, as_user)
        if event:
            desk_service.record_custody(
                uow.session, who, deposit, event, location=location, recipient=recipient,
                note=note, now=judicare.now(),
            )  # fmt: skip
            uow.commit()
        rows = desk_service.custody_register(uow.session, who, deposit)
    if as_json:
        print_json(rows)
        return
    for r in rows:
        copy = f" copy no. {r['copy_number']}" if r["copy_number"] else ""
        out_console.print(
            f"{r['at']} {r['event']}{copy} {r['location']} {r['recipient']} by {r['handled_by']}",
            highlight=False,
        )
