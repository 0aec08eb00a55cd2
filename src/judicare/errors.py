"""The base of every error Judicare raises on purpose, and the kinds shared by several
packages (invalid input, conflicts, refused actions, reference data, the database).

Errors that belong to one domain live beside its rules and derive from these: e.g.
`auth.permissions` (Forbidden, NotFound), `requests.domain` (TransitionNotAllowed...),
`exchange.errors`, `audit.trail`, `files.store`, `screening.decisions`.

Each error carries a stable machine `code` and a message that says what was wrong and how
to fix it. The CLI prints the message on one line and exits with the error's `exit_code`;
the API turns the code and `http_status` into its JSON error body (`api.errors`).
"""

from __future__ import annotations


class JudicareError(Exception):
    """Base of all deliberate errors."""

    code = "judicare_error"
    exit_code = 1
    http_status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(JudicareError):
    """The user gave a value that cannot be understood (bad code, date, URL...)."""

    code = "invalid_input"
    exit_code = 2
    http_status = 422


class UnstorableText(InvalidInput):
    """A text holds a NUL character: PostgreSQL cannot store one, so neither backend does."""

    code = "nul_character"


class UnsupportedMediaType(InvalidInput):
    """A declared media type that no sender would honestly give (over-long)."""

    code = "unsupported_media_type"
    http_status = 415


class UnknownState(InvalidInput):
    code = "unknown_state"


class UnknownInstrument(InvalidInput):
    code = "unknown_instrument"


class ActionRefused(JudicareError):
    """A depositary action that the register refuses (duplicate, out of order...)."""

    code = "action_refused"
    exit_code = 3
    http_status = 409


class ImportRejected(JudicareError):
    """A whole import file was rejected; nothing was written."""

    code = "import_rejected"
    exit_code = 3
    http_status = 422

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class DataError(JudicareError):
    """Reference data that breaks its own rules (missing source, bad date, duplicate key)."""

    code = "reference_data_error"
    exit_code = 4
    http_status = 500


class DatabaseNotReady(JudicareError):
    code = "database_not_ready"
    exit_code = 5
    http_status = 503


class DatabaseUnavailable(JudicareError):
    """The database could not answer now: down, out of connections, locked or busy, or a
    transaction it asks to run again. Nothing to fix in the request: send it again later (a
    create sent again with the same Idempotency-Key is made once)."""

    code = "database_unavailable"
    exit_code = 5
    http_status = 503

    def __init__(self, message: str, retry_after_seconds: int = 1) -> None:
        super().__init__(message)
        self.headers = {"Retry-After": str(retry_after_seconds)}


class Conflict(JudicareError):
    """The resource changed or exists already (stale version, idempotency key reused)."""

    code = "conflict"
    exit_code = 3
    http_status = 409
