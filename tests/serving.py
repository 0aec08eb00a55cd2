"""Servers a test starts in processes of their own (`judicare serve`, a node, a database
cluster): a free loopback port, and the wait until one answers, ended by its answer."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import httpx

from tests.waiting import eventually

# A server normally answers in seconds; on a loaded shared machine importing the app alone
# can take a minute. The wait ends as soon as it answers, so a generous bound costs nothing.
SERVER_START_SECONDS = 240.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_answering(
    url: str,
    process: subprocess.Popen,
    timeout: float = SERVER_START_SECONDS,
    explain: Callable[[], str] | None = None,
) -> None:
    """Until a GET of `url` answers 200; at once an AssertionError if `process` exits (with
    `explain()`, such as the server's log, in either failure)."""

    def answering() -> bool:
        if process.poll() is not None:
            said = f": {explain()}" if explain is not None else ""
            raise AssertionError(f"the server for {url} exited with {process.returncode}{said}")
        try:
            return httpx.get(url, timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    eventually(answering, f"{url} answers", timeout, every=0.1, explain=explain)


# uvicorn's exit status when it could not start (`uvicorn.config.STARTUP_FAILURE`): among
# other causes, the port was taken between `free_port` and the server's bind, by another
# test process of the run (several servers started at once under xdist met it).
STARTUP_FAILURE = 3
PORT_ATTEMPTS = 3


@dataclass
class Served:
    """A `judicare serve` started by a test: its process, its base URL and its log."""

    process: subprocess.Popen
    base: str
    log: Path


def start_judicare(arguments: list[str], env: dict, log: Path) -> Served:
    """`judicare serve <arguments> --port <a free port>`, its output in `log`."""
    port = free_port()
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "judicare.cli", "serve", *arguments, "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
    return Served(process, f"http://127.0.0.1:{port}", log)


def wait_judicare(served: Served, arguments: list[str], env: dict) -> Served:
    """Until `served` answers /health/ready; a server whose port was taken before it could
    bind it is started again on another (up to `PORT_ATTEMPTS` in all), any other failure
    fails the test with the server's log."""
    first = served
    for attempt in range(1, PORT_ATTEMPTS + 1):
        explain = partial(_log_tail, served.log)
        try:
            wait_answering(served.base + "/health/ready", served.process, explain=explain)
            return served
        except AssertionError:
            taken = (served.process.poll() == STARTUP_FAILURE
                     and "address already in use" in explain().lower())  # fmt: skip
            if not taken or attempt == PORT_ATTEMPTS:
                if served is not first:  # the caller stops only the server it started
                    served.process.terminate()
                raise
            served = start_judicare(arguments, env, served.log)
    raise AssertionError("unreachable")  # the loop returns or raises


def _log_tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:] if log.exists() else "(no log)"
