"""`judicare notify ...`: the deadline sweep and the e-mail outbox, both run by cron (the
clock is the app's), and where a user's notices are e-mailed.

    judicare notify deadlines [--within DAYS] [--json]   → {"deadlines": n, "notices": n}
    judicare notify send [--json]                        → {"sent": n, "failed": n}
    judicare notify address USERNAME (EMAIL | --remove)

`send` exits 1 if any e-mail failed (it is retried next run), 2 if no SMTP server is set.
"""

from __future__ import annotations

import re
from typing import Annotated

import typer
from sqlalchemy import select

from judicare.auth.models import UserRow
from judicare.cli_support import DbOption, JsonOption, command_app, fail, out_console, print_json
from judicare.errors import InvalidInput
from judicare.notifications import service
from judicare.notifications.mailer import SmtpMailer

app = typer.Typer(help="Notices: deadline reminders and e-mail.", no_args_is_help=True)
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}$")


def _say(text: str) -> None:
    out_console.print(text, markup=False, highlight=False, soft_wrap=True)


@app.command("deadlines")
def deadlines(
    within: Annotated[
        int | None,
        typer.Option(
            "--within",
            min=0,
            max=365,
            help="Days ahead (default: JUDICARE_NOTICE_DEADLINE_DAYS, 7).",
        ),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Remind the holders of open requests of deadlines near or missed (once per deadline)."""
    with command_app(db) as judicare, judicare.unit_of_work() as uow:
        days = judicare.settings.notice_deadline_days if within is None else within
        result = service.notify_deadlines(
            uow.session, today=judicare.clock.today(), now=judicare.now(), within_days=days
        )
        uow.commit()
    if as_json:
        print_json(result)
    else:
        _say(f"{result['deadlines']} deadline(s) due within {days} days or missed; "
             f"{result['notices']} new notice(s).")  # fmt: skip


@app.command("send")
def send(db: DbOption = None, as_json: JsonOption = False) -> None:
    """E-mail the notices not yet sent (reference and link only) through the SMTP server."""
    with command_app(db) as judicare:
        settings = judicare.settings
        if not settings.smtp_host:
            fail("no SMTP server is configured: set JUDICARE_SMTP_HOST (and _PORT, _SENDER)",
                 InvalidInput.exit_code)  # fmt: skip
        mailer = SmtpMailer(settings.smtp_host or "", settings.smtp_port, settings.smtp_sender)
        with judicare.unit_of_work() as uow:
            result = service.send_pending(
                uow.session, mailer, base_url=settings.public_url, now=judicare.now()
            )
            uow.commit()
    if as_json:
        print_json(result)
    else:
        _say(f"{result['sent']} e-mail(s) sent, {result['failed']} failed (retried next run).")
    if result["failed"]:
        raise typer.Exit(1)


@app.command("address")
def address(
    username: Annotated[str, typer.Argument(help="The user.")],
    email: Annotated[str | None, typer.Argument(help="Where to e-mail the notices.")] = None,
    remove: Annotated[bool, typer.Option("--remove", help="Stop e-mailing the notices.")] = False,
    db: DbOption = None,
) -> None:
    """Set (or remove) the address a user's notices are e-mailed to."""
    if remove == (email is not None):
        fail("give either an e-mail address or --remove", InvalidInput.exit_code)
    if email is not None and not EMAIL.match(email.strip()):
        fail(f"{email!r} is not an e-mail address: write it as name@example.org",
             InvalidInput.exit_code)  # fmt: skip
    with command_app(db) as judicare, judicare.unit_of_work() as uow:
        user = uow.session.scalar(select(UserRow).where(UserRow.username == username))
        if user is None:
            fail(f"no user {username!r}: check the user name", InvalidInput.exit_code)
        service.set_address(uow.session, user.id, None if remove else (email or "").strip(),
                            actor="cli", now=judicare.now())  # fmt: skip
        uow.commit()
    _say(f"Notices of {username} are {'in the app only' if remove else 'e-mailed too'}.")
