"""The `judicare` command."""

from __future__ import annotations

import typer

from judicare.audit.cli import app as audit_app
from judicare.auth.cli import app as users_app
from judicare.backup_cli import backup, restore
from judicare.competing.cli import app as competing_app
from judicare.db.cli import app as db_app
from judicare.demo import demo
from judicare.evidence.cli import app as evidence_app
from judicare.exchange.cli import app as node_app
from judicare.formal_documents.cli import app as documents_app
from judicare.legal_basis.cli import basis
from judicare.notifications.cli import app as notify_app
from judicare.persons.cli import app as persons_app
from judicare.portal.cli import app as portal_app
from judicare.prevention.cli import app as risk_app
from judicare.screening.cli import screen
from judicare.serve import serve
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
app.add_typer(audit_app, name="audit")
app.add_typer(users_app, name="users")
app.add_typer(persons_app, name="persons")
app.command("screen")(screen)
app.command("serve")(serve)
app.command("demo")(demo)
app.add_typer(node_app, name="node")
app.add_typer(portal_app, name="portal")
app.add_typer(documents_app, name="documents")
app.add_typer(evidence_app, name="evidence")
app.add_typer(risk_app, name="risk")
app.add_typer(notify_app, name="notify")
app.add_typer(competing_app, name="competing")
app.command("backup")(backup)
app.command("restore")(restore)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
