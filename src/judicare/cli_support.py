"""What every CLI command shares: the --db option, the app, one-line errors, JSON output."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated, Any

import typer
from rich.console import Console
from sqlalchemy import select

from judicare.app import App, create_app
from judicare.auth.models import UserRow
from judicare.auth.service import principal_of
from judicare.bootstrap import prepare_database
from judicare.clock import Clock, SystemClock
from judicare.errors import ImportRejected, InvalidInput, JudicareError
from judicare.settings import Settings

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database URL (default: JUDICARE_DATABASE_URL, else an embedded SQLite file "
        "var/judicare.db). Example: postgresql://postgres@127.0.0.1:5432/test",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]

err_console = Console(stderr=True)
out_console = Console()


def command_clock() -> Clock:
    """The clock of a command: the one its app gets (`build_app`), and the one a command that
    opens no database reads (`judicare node init`, `rotate`, `show`)."""
    return SystemClock()


def build_app(db: str | None, read_db: str | None = None) -> App:
    chosen = {"database_url": db, "read_database_url": read_db}
    settings = Settings(**{name: value for name, value in chosen.items() if value})
    return create_app(settings, clock=command_clock())


@contextmanager
def command_app(db: str | None, prepare: bool = True, read_db: str | None = None) -> Iterator[App]:
    """An app for one command, with errors turned into one line and an exit code.
    `read_db`: a read replica for a read-only command (default JUDICARE_READ_DATABASE_URL)."""
    app = None
    try:
        app = build_app(db, read_db=read_db)
        if prepare:
            with err_console.status("Preparing the database…"):
                prepare_database(app)
        yield app
    except ImportRejected as exc:
        for problem in exc.problems:
            err_console.print(f"error: {problem}", markup=False, highlight=False, soft_wrap=True)
        err_console.print(
            f"error: import rejected, nothing was written ({len(exc.problems)} problem(s))",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(exc.exit_code) from None
    except JudicareError as exc:
        fail(exc.message, exc.exit_code)
    except ValueError as exc:  # settings validation and similar
        fail(str(exc).splitlines()[0], InvalidInput.exit_code)
    finally:
        if app is not None:
            app.dispose()


def fail(message: str, code: int = 1) -> None:
    err_console.print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def parse_date_option(value: str | None, name: str, default: Callable[[], date]) -> date:
    if value is None:
        return default()
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        fail(f"{name} {value!r} is not a valid date: use YYYY-MM-DD", InvalidInput.exit_code)
        raise  # unreachable


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def read_input_file(path) -> str:
    """A user's input file as text, or one line saying why it cannot be read."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {path}: {exc}", InvalidInput.exit_code)
        raise  # unreachable


def acting_user(session, username: str):
    """The Principal of a named user (`--as USERNAME`), for commands acted under need-to-know."""
    user = session.scalar(select(UserRow).where(UserRow.username == username))
    if user is None:
        raise InvalidInput(f"unknown user {username!r}: pass --as USERNAME")
    return principal_of(user)
