"""The tests' own way of starting `judicare serve` (tests/serving.py): a port taken between
choosing it and the server's bind (another test process took it) costs a restart on
another port, not a failed test; any other start-up failure still fails, with the log."""

from __future__ import annotations

import os
import socket

import pytest

from tests import serving


@pytest.fixture
def taken_port():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def test_a_server_whose_port_was_taken_is_started_again_on_another(
    taken_port, monkeypatch, tmp_path
):
    ports = iter([taken_port])
    free = serving.free_port
    monkeypatch.setattr(serving, "free_port", lambda: next(ports, None) or free())
    env = {**os.environ, "JUDICARE_ENVIRONMENT": "test", "JUDICARE_DATA_DIR": str(tmp_path)}
    arguments = ["--db", f"sqlite:///{tmp_path / 'judicare.db'}"]
    first = serving.start_judicare(arguments, env, tmp_path / "server.log")
    assert first.base.endswith(f":{taken_port}")
    served = serving.wait_judicare(first, arguments, env)
    try:
        assert first.process.returncode == serving.STARTUP_FAILURE
        assert served.base != first.base
        assert "address already in use" in (tmp_path / "server.log").read_text().lower()
    finally:
        served.process.terminate()
        served.process.wait(timeout=30)


def test_a_server_that_fails_otherwise_fails_the_test_with_its_log(tmp_path):
    env = {**os.environ, "JUDICARE_ENVIRONMENT": "test", "JUDICARE_DATA_DIR": str(tmp_path)}
    arguments = ["--db", "postgresql://postgres@127.0.0.1:1/nowhere"]  # nothing listens
    first = serving.start_judicare(arguments, env, tmp_path / "server.log")
    with pytest.raises(AssertionError, match="cannot connect to the database"):
        serving.wait_judicare(first, arguments, env)
    assert first.process.poll() not in (None, serving.STARTUP_FAILURE)
