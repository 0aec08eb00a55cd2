"""Fixtures shared by the integration test modules."""

from __future__ import annotations

import shutil

import pytest

from judicare.app import FixedClock, create_app
from judicare.files.store import MemoryFileStore
from judicare.settings import Settings
from tests.conftest import TODAY
from tests.integration.exchange_nodes import _migrated_postgres_template, pair  # noqa: F401


@pytest.fixture
def app_with_upload_limit(request, tmp_path):
    """make(limit) -> an App on a fresh migrated SQLite copy whose settings (and so the
    body guard of an API built on it) hold uploads to `limit` bytes; disposed afterwards."""
    made = []

    def make(limit: int):
        path = tmp_path / f"limit-{len(made)}.db"
        shutil.copy(request.getfixturevalue("_upgraded_sqlite_template"), path)
        app = create_app(
            Settings(database_url=f"sqlite:///{path}", environment="test",
                     max_upload_bytes=limit, data_dir=tmp_path),
            clock=FixedClock(TODAY), file_store=MemoryFileStore(),
        )  # fmt: skip
        made.append(app)
        return app

    yield make
    for app in made:
        app.dispose()
