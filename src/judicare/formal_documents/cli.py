"""`judicare documents`: render a formal document of a stored request; verify a signed PDF."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from judicare.cli_support import (
    DbOption,
    JsonOption,
    command_app,
    command_clock,
    fail,
    out_console,
    print_json,
)
from judicare.errors import InvalidInput
from judicare.formal_documents import service, signing
from judicare.formal_documents.kinds import KINDS
from judicare.screening.cli import _principal as operator_or_user
from judicare.settings import Settings

app = typer.Typer(
    help="Formal documents: letters of request, extradition and provisional arrest requests, "
    "requests for information, acknowledgements, decision notices, execution reports.",
    no_args_is_help=True,
)


@app.command("render")
def render(
    request_id: Annotated[int, typer.Argument(help="A stored request's id.")],
    kind: Annotated[str, typer.Option("--kind", help=f"One of: {', '.join(KINDS)}.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="The file to write.")],
    lang: Annotated[str, typer.Option("--lang", help="en, fr or nl.")] = "en",
    fmt: Annotated[str, typer.Option("--format", help="pdf or docx.")] = "pdf",
    as_user: Annotated[
        str | None,
        typer.Option(
            "--as",
            help="Render as this user, within need-to-know (default: the local operator, "
            "reading as an auditor of the request's authority; audited by name).",
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Render one document (PDF/A-3 with the request's JSON embedded, signed when the
    authority's certificate is configured; or DOCX). Rendering is audited."""
    with command_app(db) as judicare:
        with judicare.unit_of_work() as uow:
            who = operator_or_user(uow.session, as_user, request_id)
        rendered = service.render(judicare, who, request_id, kind, lang, fmt, why="formal document")
    _write(output, rendered.content)
    signed = ", signed" if rendered.signed else ""
    out_console.print(
        f"wrote {output} ({len(rendered.content)} bytes{signed})", markup=False, highlight=False
    )


def _write(path: Path, content: bytes) -> None:
    """Whole or not at all: a temporary file beside the target, then renamed."""
    temporary = path.with_name(f".{path.name}.partial")
    try:
        temporary.write_bytes(content)
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        fail(f"cannot write {path}: {exc.strerror or exc}", InvalidInput.exit_code)


@app.command("verify")
def verify(
    file: Annotated[Path, typer.Argument(help="A PDF file, signed or not, or a DOCX file.")],
    trust: Annotated[
        list[Path] | None,
        typer.Option(
            "--trust",
            help="A CA certificate to trust (repeatable; default: the setting "
            "JUDICARE_DOCUMENTS_TRUST_ROOTS). Without any, trust is unknown.",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Whether the PDF's signature is valid (intact, covering the whole file, and from a
    trusted certificate when trust roots are given), who signed, and whether the request's
    JSON is embedded (in a DOCX: as its custom XML part). Exits 1 when a signature is
    present and not valid."""
    try:
        pdf = file.read_bytes()
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror or exc}", InvalidInput.exit_code)
    try:
        settings = Settings()
        roots = [c for path in trust for c in signing.trust_roots(path)] if trust else None
        answer = service.verify(settings, pdf, now=command_clock().now(), trust=roots)
    except (OSError, ValueError) as exc:
        fail(f"cannot read the trust roots: {exc}", InvalidInput.exit_code)
    if as_json:
        print_json(answer)
    else:
        _print(answer)
    if answer["signature_valid"] is False:
        raise typer.Exit(1)


def _print(answer: dict) -> None:
    if not answer["signed"]:
        line = "not signed"
    elif answer["signature_valid"]:
        trust = {True: "trusted", None: "trust unknown: no trust roots given"}[answer["trusted"]]
        line = f"signature valid ({trust}), signed by {answer['signer']}"
    else:
        line = f"signature NOT valid: {answer['problem']}"
    embedded = "embedded JSON present" if answer["embedded_json"] else "no embedded JSON"
    out_console.print(f"{line}; {embedded}", markup=False, highlight=False)
