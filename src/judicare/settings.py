"""Settings in one typed class, built at start-up (never at import)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    """Where the embedded database lives unless told otherwise."""
    return Path.cwd() / "var"


class Settings(BaseSettings):
    """Everything Judicare needs to know about its environment.

    Values come from arguments, then `JUDICARE_*` environment variables, then defaults.
    """

    model_config = SettingsConfigDict(env_prefix="JUDICARE_", extra="ignore")

    environment: str = Field(default="development", pattern="^(development|test|production)$")
    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; the default is an embedded SQLite file in data_dir.",
    )

    max_json_bytes: int = Field(default=1_000_000, ge=1_000)
    max_upload_bytes: int = Field(default=50_000_000, ge=1_000)
    max_evidence_bytes: int = Field(
        default=20_000_000_000, ge=1_000,
        description="The largest evidence item (`judicare evidence add` and `copy`), streamed "
        "to the file store in chunks: higher than max_upload_bytes, which holds documents and "
        "what travels over the exchange.",
    )  # fmt: skip
    files_dir: Path | None = Field(
        default=None, description="Where document files are kept (default: data_dir/files)."
    )
    web_session_secret: str | None = Field(
        default=None,
        min_length=32,
        description="Key that signs web session cookies; by default a random key kept in "
        "data_dir/web-session.key (created on first use, readable by its owner only).",
    )

    # --- sign-in throttling and tokens (issue 13 section 5; NIST SP 800-63B 5.2.2) ---
    login_account_threshold: int = Field(
        default=5, ge=1, description="Wrong passwords in a row for one account before its "
        "sign-ins are refused for a while (the correct password too).",
    )  # fmt: skip
    login_source_threshold: int = Field(
        default=20, ge=1, description="Failed sign-ins from one address (any account) within "
        "login_source_window_seconds before that address is refused for a while.",
    )  # fmt: skip
    login_source_window_seconds: int = Field(default=900, ge=1)
    login_lockout_base_seconds: int = Field(
        default=60, ge=1, description="The first lockout; it doubles with each further "
        "failure, up to login_lockout_max_seconds.",
    )  # fmt: skip
    login_lockout_max_seconds: int = Field(default=3600, ge=1)
    login_account_max_failures: int = Field(
        default=100, ge=1, le=100, description="Consecutive failures after which an account "
        "stays locked until an administrator sets its password or activates it again (NIST "
        "SP 800-63B 5.2.2 allows at most 100).",
    )  # fmt: skip
    login_concurrent_verifications: int = Field(
        default=0, ge=0, description="Password hashes (argon2) checked at once per process; "
        "0 means one per CPU. Attempts beyond that wait at most login_verify_wait_seconds, "
        "then get 503.",
    )  # fmt: skip
    login_verify_wait_seconds: float = Field(default=0.5, ge=0)
    api_token_hours: float = Field(
        default=12, gt=0, le=24 * 366, description="Lifetime of an API token."
    )

    # --- notices (issue 17): e-mail through an SMTP server, links back to the pages ---
    smtp_host: str | None = Field(
        default=None, description="SMTP server for notices by e-mail; none: in the app only."
    )
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_sender: str = Field(default="judicare@localhost", max_length=254)
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="The address officers open Judicare at (links in e-mails, calendar feed).",
    )
    notice_deadline_days: int = Field(
        default=7, ge=0, le=365, description="Remind of deadlines due within so many days."
    )
    # --- operations (issue 22) ---
    log_format: str = Field(
        default="text", pattern="^(text|json)$", description="Server logs: `text` for a "
        "terminal, `json` (one object per line, no personal data) for a log collector.",
    )  # fmt: skip
    log_level: str = Field(default="INFO", pattern="^(DEBUG|INFO|WARNING|ERROR)$")
    read_database_url: str | None = Field(
        default=None, description="A PostgreSQL streaming replica that read-only pages and "
        "exports read from (the request list and its CSV, the live public portal); none: "
        "everything reads the primary (database_url).",
    )  # fmt: skip
    read_max_lag_seconds: float = Field(
        default=30.0, ge=0, description="The most a replica may be behind (its replay lag) "
        "for a page to read from it; beyond that, or when the lag is unknown, the page reads "
        "from the primary and says so.",
    )  # fmt: skip
    audit_origin: str | None = Field(
        default=None, min_length=1, max_length=300, description="The name of the audit "
        "trail, which names its checkpoint journal (default: the database's host, port and "
        "name as reached). Set the same value on every server before and after a failover, "
        "so that checkpoints signed against the old primary are verified against the "
        "promoted replica.",
    )  # fmt: skip

    @field_validator("database_url", "read_database_url")
    @classmethod
    def _url_has_a_scheme(cls, value: str | None) -> str | None:
        if value is not None and "://" not in value and not value.startswith("sqlite:"):
            raise ValueError(
                f"database URL {value!r} has no scheme: use e.g. "
                "postgresql+psycopg://postgres@127.0.0.1:5432/test or sqlite:///path/judicare.db"
            )
        return value

    @property
    def effective_files_dir(self) -> Path:
        return self.files_dir or self.data_dir / "files"

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return normalise_database_url(self.database_url)
        return f"sqlite:///{self.data_dir / 'judicare.db'}"

    @field_validator("read_database_url")
    @classmethod
    def _read_url_is_postgresql(cls, value: str | None) -> str | None:
        if value and not normalise_database_url(value).startswith("postgresql"):
            raise ValueError(
                f"read database URL {value!r} is not PostgreSQL: a read replica is a "
                "PostgreSQL standby (e.g. postgresql://postgres@127.0.0.1:5433/judicare); "
                "leave JUDICARE_READ_DATABASE_URL unset on SQLite"
            )
        return value

    @property
    def effective_read_database_url(self) -> str | None:
        return normalise_database_url(self.read_database_url) if self.read_database_url else None

    # --- node exchange (issue 8) ---
    node_keys_dir: Path | None = Field(
        default=None,
        description="Where the node's private keys are kept, outside the database "
        "(default: data_dir/node-keys).",
    )
    exchange_lifetime_seconds: int = Field(
        default=3 * 24 * 3600, ge=60, description="How long an envelope stays valid."
    )
    exchange_max_window_seconds: int = Field(
        default=7 * 24 * 3600, ge=60, description="The longest envelope window accepted."
    )
    exchange_clock_skew_seconds: int = Field(default=300, ge=0)
    exchange_max_attempts: int = Field(default=30, ge=1)
    exchange_backoff_base_seconds: float = Field(default=0.5, gt=0)
    exchange_backoff_max_seconds: float = Field(default=300.0, gt=0)
    exchange_timeout_seconds: float = Field(default=10.0, gt=0)
    exchange_batch_size: int = Field(
        default=256, ge=1, le=1000,
        description="The most messages a delivery worker holds (claimed and posting) at once.",
    )  # fmt: skip
    exchange_senders: int = Field(default=4, ge=1, le=64)
    exchange_deliver_in_server: bool = Field(
        default=False, description="Run the delivery worker inside `judicare serve`."
    )
    exchange_poll_seconds: float = Field(default=0.2, gt=0)
    exchange_claim_seconds: float = Field(
        default=30.0, gt=0, description="How long a delivery worker holds the messages it "
        "took for a round before another worker may take them (the messages of a worker "
        "that died mid-round wait this long).",
    )  # fmt: skip
    exchange_chunk_bytes: int = Field(
        default=8 * 1024 * 1024, ge=1 << 16, multiple_of=1 << 16,
        description="An attachment larger than this (an evidence bag above the upload limit) "
        "travels in chunks of this much plaintext (whole 64 KiB secretstream records), each "
        "posted on its own and resumable; never more than max_upload_bytes per chunk. A "
        "node refuses a chunk larger than its own setting.",
    )  # fmt: skip
    exchange_max_envelope_bytes: int = Field(
        default=8 * 1024 * 1024,
        ge=1_024,
        description="The largest envelope the inbox reads (before its signature is checked, "
        "so kept far below max_upload_bytes: documents travel beside the envelope). The "
        "largest request the register accepts seals to about 3.5 MB (5.3 MB written in "
        "control characters); a sender refuses to queue a message over its own cap.",
    )
    exchange_refusal_window_seconds: int = Field(
        default=3600,
        ge=60,
        description="Refusals of unauthenticated input are counted per code over this "
        "window and reach the audit trail at most twice per code and window.",
    )

    # --- formal documents (issue 18) ---
    documents_dir: Path | None = Field(
        default=None,
        description="The central authority's profile (letterhead, address, signatory) and "
        "its adapted templates for formal documents; what it lacks comes from the packaged "
        "defaults (see judicare.formal_documents.templates).",
    )
    documents_signing_certificate: Path | None = Field(
        default=None, description="The authority's X.509 certificate (PEM or DER) that signs "
        "formal PDF documents (PAdES); with documents_signing_key, every PDF is signed.",
    )  # fmt: skip
    documents_signing_key: Path | None = Field(
        default=None, description="The private key of documents_signing_certificate "
        "(unencrypted PEM or DER, readable by the service only).",
    )  # fmt: skip
    documents_signing_chain: list[Path] = Field(
        default_factory=list, description="Intermediate certificates embedded in signatures."
    )
    documents_trust_roots: Path | None = Field(
        default=None, description="The CA certificates (a file, or a directory of files) "
        "that `documents verify` trusts; without them, trust is reported as unknown.",
    )  # fmt: skip

    @property
    def effective_node_keys_dir(self) -> Path:
        return self.node_keys_dir or self.data_dir / "node-keys"


def normalise_database_url(url: str) -> str:
    """Accept the plain `postgresql://` form users copy from elsewhere; use psycopg 3."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
