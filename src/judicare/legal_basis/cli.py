"""`judicare basis`: the legal basis for a request between two states on a date."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from judicare.cli_support import DbOption, JsonOption, command_app, out_console, print_json
from judicare.legal_basis.service import LegalBasisService, parse_query


def basis(
    requesting: Annotated[str, typer.Option("--from", help="Requesting state (ISO alpha-2/3).")],
    requested: Annotated[str, typer.Option("--to", help="Requested state (ISO alpha-2/3).")],
    kind: Annotated[
        str,
        typer.Option(
            "--kind",
            help="mla, extradition, provisional_arrest, transfer_of_proceedings, "
            "transfer_of_sentenced_person or jit.",
        ),
    ],
    on: Annotated[
        str | None, typer.Option("--on", help="Date of the request (default today).")
    ] = None,
    crime: Annotated[list[str] | None, typer.Option("--crime", help="Crime code; repeat.")] = None,
    conduct_date: Annotated[
        str | None, typer.Option("--conduct-date", help="Date of the conduct, if known.")
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Which instruments can serve as the legal basis, why, and under what conditions."""
    with command_app(db) as judicare:
        day = judicare.clock.today().isoformat() if on is None else on
        query = parse_query(requesting, requested, kind, day, crime or (), conduct_date)
        with judicare.unit_of_work() as uow:
            session = uow.session
            assert session is not None  # a unit of work always opens one
            resolution = LegalBasisService.from_session(session).resolve(query)
    result = resolution.as_dict()
    if as_json:
        print_json(result)
        return
    _print(result)


def _print(result: dict[str, Any]) -> None:
    """What a person must check comes first: the unknowns, the conflicts, the fallback's
    warning and where each state stands; then the bases and the reasons for the others."""
    out_console.print(
        f"[bold]{result['kind']}[/bold] from {result['requesting']} to {result['requested']} "
        f"on {result['on']}"
        + (f", crimes: {', '.join(result['crimes'])}" if result["crimes"] else ""),
        highlight=False,
    )
    _print_checks(result)
    if result["bases"]:
        table = Table("instrument", "in force since", "citations", "conditions", "precedence")
        for base in result["bases"]:
            cites = "; ".join(
                f"{c['instrument']} art. {c['article'] or '?'}"
                + ("" if c["verified"] else " (unverified)")
                for c in base["citations"]
            )
            conds = "\n".join(f"- {c['text'][:160]}" for c in base["conditions"]) or "—"
            table.add_row(base["instrument"], base["in_force_since"] or "unknown", cites, conds,
                          base["precedence"] or "—")  # fmt: skip
        out_console.print(table)
    elif result["unknowns"] or result["conflicts"]:
        out_console.print(
            "[red]No treaty basis is established on this data[/red]: an instrument above "
            "may still bind both states; check it before relying on national law.",
            highlight=False,
        )
    else:
        out_console.print("[red]No treaty basis applies.[/red]")
    for base in result["conditional_bases"]:
        conditions = "; ".join(c["text"] for c in base["conditions"] if c["code"] == "crime_scope")
        out_console.print(
            f"  [cyan]if the crimes fit[/cyan] {base['instrument']}: {conditions}", highlight=False
        )
    if result["fallback"]:
        fb = result["fallback"]
        out_console.print(
            f"National law of the requested state: {fb['title']} "
            f"(reciprocity {'required' if fb['reciprocity'] else 'not required'})",
            highlight=False,
        )
        for c in fb["citations"]:
            out_console.print(f"  art. {c['article']}: {c['note']}", highlight=False)
        for gap in fb["gaps"]:
            out_console.print(f"  [yellow]gap[/yellow] {gap}", highlight=False)
    for item in result["no_basis_reasons"]:
        out_console.print(
            f"  [yellow]no basis[/yellow] {item['instrument']}: {item['reason']}", highlight=False
        )
    for note in result["notes"]:
        out_console.print(f"  [dim]{note}[/dim]", highlight=False)


def _print_checks(result: dict[str, Any]) -> None:
    fallback = result["fallback"] or {}
    warnings = [c["text"] for c in fallback.get("conditions", ())]
    if not (result["unknowns"] or result["conflicts"] or warnings or result["context"]):
        return
    out_console.print("[bold]To check before relying on this answer:[/bold]")
    for text in warnings:
        out_console.print(f"  [red]check[/red] {text}", highlight=False)
    for item in result["conflicts"]:
        out_console.print(
            f"  [red]conflict[/red] {', '.join(item['instruments'])}: {item['reason']}",
            highlight=False,
        )
    for item in result["unknowns"]:
        out_console.print(
            f"  [magenta]unknown[/magenta] {item['instrument']}: {item['reason']}", highlight=False
        )
    if result["context"]:
        out_console.print(
            "  where each state stands (court and safeguard instruments): "
            + "; ".join(
                f"{row['instrument']} {result['requesting']} {row['requesting']}, "
                f"{result['requested']} {row['requested']}"
                for row in result["context"]
            ),
            highlight=False,
        )
    out_console.print(
        "  details of the data behind each answer: `judicare treaty sources <instrument>`",
        highlight=False,
    )
