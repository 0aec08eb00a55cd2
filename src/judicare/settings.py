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
    files_dir: Path | None = Field(
        default=None, description="Where document files are kept (default: data_dir/files)."
    )

    @field_validator("database_url")
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


def normalise_database_url(url: str) -> str:
    """Accept the plain `postgresql://` form users copy from elsewhere; use psycopg 3."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
