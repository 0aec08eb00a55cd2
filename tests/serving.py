"""Servers a test starts in processes of their own (`judicare serve`, a node, a database
cluster): a free loopback port, and the wait until one answers, ended by its answer."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Callable

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
