"""`judicare serve --workers N`: uvicorn's supervisor waits long enough for a worker's
health check that a worker starting slowly on a loaded machine (importing the application
took 20 s on the shared development machine) is not killed and restarted in a loop."""

from __future__ import annotations

import pytest

from judicare import serve as serve_module


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_gives_workers_time_to_start(workers, tmp_path, monkeypatch):
    import uvicorn

    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda target, **options: calls.append(options))
    monkeypatch.setenv("JUDICARE_ENVIRONMENT", "test")
    database = f"sqlite:///{tmp_path / 'judicare.db'}"
    monkeypatch.setenv("JUDICARE_DATABASE_URL", database)  # serve sets it: put back after
    serve_module.serve(port=8123, workers=workers, db=database, read_db=None)
    [options] = calls
    if workers == 1:  # one process, no supervisor
        assert "workers" not in options
    else:
        assert options["workers"] == 2 and options["factory"] is True
        assert options["timeout_worker_healthcheck"] == serve_module.WORKER_HEALTHCHECK_SECONDS
        assert serve_module.WORKER_HEALTHCHECK_SECONDS >= 60
