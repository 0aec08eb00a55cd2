"""`judicare users ...`: authorities, users and API tokens from the command line."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer
from sqlalchemy import select

from judicare.auth import accounts
from judicare.auth.models import UserRow
from judicare.auth.second_factor import disable_second_factor, enable_second_factor
from judicare.auth.service import create_user, ensure_authority, issue_token, principal_of
from judicare.cli_support import DbOption, command_app, out_console
from judicare.errors import InvalidInput

app = typer.Typer(help="Users, authorities and API tokens.", no_args_is_help=True)


@app.command("add-authority")
def add_authority(
    authority_id: Annotated[str, typer.Argument(help="A short id, e.g. BEL-FPS-JUSTICE.")],
    state: Annotated[str, typer.Argument(help="ISO 3166-1 code of its state.")],
    name: Annotated[str, typer.Argument(help="Its full name.")],
    db: DbOption = None,
) -> None:
    """Create an authority (a central authority or other body using this node)."""
    with command_app(db) as judicare, judicare.unit_of_work() as uow:
        ensure_authority(uow.session, authority_id, state, name)
        uow.commit()
    out_console.print(f"Authority {authority_id} ready.")


@app.command("add")
def add(
    username: str,
    role: Annotated[
        str,
        typer.Option(
            "--role",
            help="officer, legal_reviewer, supervisor, auditor, depositary_officer or admin",
        ),
    ],
    authority: Annotated[str, typer.Option("--authority", help="The user's authority id.")],
    password: Annotated[
        str, typer.Option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    ],
    display_name: Annotated[str, typer.Option("--name")] = "",
    db: DbOption = None,
) -> None:
    """Create a user (the password is hashed with argon2id)."""
    with command_app(db) as judicare, judicare.unit_of_work() as uow:
        create_user(
            uow.session,
            username=username,
            password=password,
            role=role,
            authority_id=authority,
            display_name=display_name,
        )
        uow.commit()
    out_console.print(f"User {username} ({role}) created.")


@app.command("token")
def token(
    username: str,
    hours: Annotated[
        float | None,
        typer.Option("--hours", help="Lifetime (default: JUDICARE_API_TOKEN_HOURS, 12).", min=0.01),
    ] = None,
    db: DbOption = None,
) -> None:
    """Issue an API token for a user; it is shown once, and expires."""
    with command_app(db) as judicare, judicare.unit_of_work() as uow:
        user = uow.session.scalar(select(UserRow).where(UserRow.username == username))
        if user is None:
            raise InvalidInput(f"unknown user {username!r}")
        if not user.active:
            raise InvalidInput(f"the user {username!r} is inactive: activate it first")
        lifetime = timedelta(hours=hours or judicare.settings.api_token_hours)
        value = issue_token(
            uow.session, principal_of(user), name="cli", now=judicare.now(), lifetime=lifetime
        )
        uow.commit()
    out_console.print(value, highlight=False)


WhyOption = Annotated[str, typer.Option("--why", help="The reason, for the audit trail.")]


def _operator_acts(db: str | None, username: str, act_name: str, *args, why: str):
    """One audited act of the local operator on a user (judicare.auth.accounts), committed
    whole; its result (e.g. how many sessions and tokens ended)."""
    with command_app(db) as judicare, judicare.unit_of_work() as uow:
        user = accounts.find_user(uow.session, username)
        act = getattr(accounts, act_name)
        result = act(uow.session, user, *args, actor=accounts.OPERATOR, now=judicare.now(), why=why)
        uow.commit()
    return result


@app.command("deactivate")
def deactivate(username: str, why: WhyOption = "deactivated", db: DbOption = None) -> None:
    """Stop a user signing in; every web session and API token of theirs ends at once."""
    ended = _operator_acts(db, username, "deactivate", why=why)
    out_console.print(f"User {username} deactivated; {ended} session(s) and token(s) ended.")


@app.command("activate")
def activate(username: str, why: WhyOption = "activated", db: DbOption = None) -> None:
    """Let a user sign in again (also lifts a lockout after too many wrong passwords)."""
    _operator_acts(db, username, "activate", why=why)
    out_console.print(f"User {username} active.")


@app.command("set-password")
def set_password(
    username: str,
    password: Annotated[
        str, typer.Option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    ],
    why: WhyOption = "password reset",
    db: DbOption = None,
) -> None:
    """Give a user a new password; their sessions and tokens end, a lockout is lifted."""
    ended = _operator_acts(db, username, "set_password", password, why=why)
    out_console.print(f"Password of {username} set; {ended} session(s) and token(s) ended.")


@app.command("revoke-tokens")
def revoke_tokens(username: str, why: WhyOption = "tokens revoked", db: DbOption = None) -> None:
    """End every web session and API token of a user at once."""
    ended = _operator_acts(db, username, "revoke_all", why=why)
    out_console.print(f"{ended} session(s) and token(s) of {username} ended.")


@app.command("totp")
def totp(
    username: str,
    disable: Annotated[bool, typer.Option("--disable", help="Remove the second factor.")] = False,
    db: DbOption = None,
) -> None:
    """Give a user a TOTP second factor (shows the secret and its otpauth:// URI once)."""
    with command_app(db) as judicare, judicare.unit_of_work() as uow:
        if disable:
            disable_second_factor(uow.session, username)
            uow.commit()
            out_console.print(f"{username} signs in with a password only.")
            return
        secret, uri = enable_second_factor(uow.session, username)
        uow.commit()
    out_console.print(f"Secret (enter it in an authenticator app): {secret}", highlight=False)
    out_console.print(f"URI (for a QR code): {uri}", highlight=False)
