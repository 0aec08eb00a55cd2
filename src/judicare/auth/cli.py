"""`judicare users ...`: authorities, users and API tokens from the command line."""

from __future__ import annotations

from typing import Annotated

import typer

from judicare.auth.service import create_user, ensure_authority, issue_token, principal_of
from judicare.cli_support import DbOption, command_app, out_console

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
def token(username: str, db: DbOption = None) -> None:
    """Issue an API token for a user; it is shown once."""
    from sqlalchemy import select

    from judicare.auth.models import UserRow
    from judicare.errors import InvalidInput

    with command_app(db) as judicare, judicare.unit_of_work() as uow:
        user = uow.session.scalar(select(UserRow).where(UserRow.username == username))
        if user is None:
            raise InvalidInput(f"unknown user {username!r}")
        value = issue_token(uow.session, principal_of(user), name="cli")
        uow.commit()
    out_console.print(value, highlight=False)


@app.command("totp")
def totp(
    username: str,
    disable: Annotated[bool, typer.Option("--disable", help="Remove the second factor.")] = False,
    db: DbOption = None,
) -> None:
    """Give a user a TOTP second factor (shows the secret and its otpauth:// URI once)."""
    from judicare.auth.second_factor import disable_second_factor, enable_second_factor

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
