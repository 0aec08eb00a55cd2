"""A streaming replica and a failover drill (issue 22), on PostgreSQL clusters the test makes
itself on loopback (`pg_clusters`): a primary, and a standby made with `pg_basebackup -R`.

- Read-only pages and exports (the request list and its CSV, the live public portal) read
  from the replica when one is configured, and say how old their data is; beyond
  `read_max_lag_seconds` they read from the primary and say why.
- `/health/ready` and `/metrics` report the replica (reachable, replay lag, where reads go)
  as it catches up and falls behind; `judicare portal export` reads from it and its pages
  say as of when (or read the primary beyond the bound, and say so).
- Failover drill: with `synchronous_standby_names` naming the standby and
  `synchronous_commit = remote_apply`, creates sent to a `judicare serve` on the primary
  while the primary is killed (immediate stop) are all found, every one answered 201, on the
  promoted standby, through a new `judicare serve` process pointed at it; and `judicare
  audit verify` passes there, against the checkpoints signed before the failover (one
  `JUDICARE_AUDIT_ORIGIN` on both sides).

The module's tests share one pair of clusters; the drill, which kills the primary, runs last.
"""

from __future__ import annotations

import json
import os
import re
import threading
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import event
from typer.testing import CliRunner

from judicare.app import FixedClock, create_app
from judicare.asgi import create_api
from judicare.bootstrap import upgrade_database
from judicare.cli import app as cli
from judicare.db.freshness import Fallback
from judicare.db.replica import where_to_read
from judicare.demo import DEMO_PASSWORD, load_demo
from judicare.settings import Settings
from judicare.web.portal_export import export_portal
from tests.conftest import TODAY
from tests.integration.api_support import request_body
from tests.integration.pg_clusters import Pair, primary_and_standby
from tests.integration.web_support import WebUser
from tests.serving import start_judicare, wait_judicare
from tests.waiting import eventually

pytestmark = pytest.mark.postgres
DATABASE = "judicare"
ORIGIN = "postgresql://judicare-drill/judicare"  # one audit trail name across the failover
# Writes in the read test commit locally: it pauses the standby's replay, which a commit
# waiting for remote_apply would wait on for ever. The drill's server uses the default.
LOCAL_COMMIT = "?options=-csynchronous_commit%3Dlocal"


@pytest.fixture(scope="module")
def clusters(tmp_path_factory):
    with primary_and_standby(synchronous=True) as pair:
        pair.primary.execute(f'CREATE DATABASE "{DATABASE}"')
        base = {"environment": "test", "audit_origin": ORIGIN,
                "data_dir": tmp_path_factory.mktemp("replica-data"),
                "node_keys_dir": tmp_path_factory.mktemp("replica-keys")}  # fmt: skip
        app = create_app(Settings(database_url=pair.primary.url(DATABASE), **base),
                         clock=FixedClock(TODAY))  # fmt: skip
        upgrade_database(app)
        load_demo(app)
        app.dispose()
        yield pair, base


def _lsn(cluster, function: str) -> str:
    return cluster.execute(f"SELECT {function}()::text")[0][0][0]


def _wait_standby(pair: Pair, function: str) -> None:
    """Until the standby's `function` LSN (received or replayed) reaches the primary's."""
    target = _lsn(pair.primary, "pg_current_wal_lsn")
    reached = f"SELECT {function}() >= '{target}'::pg_lsn"
    eventually(
        lambda: pair.standby.execute(reached)[0][0][0], f"the standby's {function} reaches {target}"
    )


def _create(client: TestClient, token: str, word: str) -> str:
    body = request_body(facts_summary=f"Fictional facts for the replica test: {word}.")
    answer = client.post("/api/v1/requests", json=body,
                         headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert answer.status_code == 201, answer.text
    return answer.json()["reference"]


def _gauges(client: TestClient) -> dict[str, float]:
    text = client.get("/metrics").text
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name.startswith("judicare_replica_")
    }


def _statements(engine) -> list[str]:
    """The statements `engine` runs from now on."""
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute",
                 lambda _c, _cur, statement, *_: seen.append(statement))  # fmt: skip
    return seen


def test_read_only_pages_read_from_the_replica_and_say_how_old(clusters, tmp_path):
    pair, base = clusters
    app = create_app(
        Settings(database_url=pair.primary.url(DATABASE) + LOCAL_COMMIT,
                 read_database_url=pair.standby.url(DATABASE), read_max_lag_seconds=3600,
                 **base),
        clock=FixedClock(TODAY),
    )  # fmt: skip
    client = TestClient(create_api(app))
    token = client.post("/api/v1/auth/token",
                        json={"username": "anna.officer", "password": DEMO_PASSWORD}).json()["token"]  # fmt: skip
    web = WebUser(SimpleNamespace(client=client), "anna.officer")
    try:
        first = _create(client, token, "Replicafirst")
        _wait_standby(pair, "pg_last_wal_replay_lsn")
        page = web.get("/requests?q=Replicafirst")
        assert page.status_code == 200 and first in page.text
        assert page.headers["x-judicare-read-from"] == "replica"
        age = int(page.headers["x-judicare-data-age"])
        assert f"Data as of {age} second" in page.text and "read from a replica" in page.text
        csv = web.get("/requests.csv?q=Replicafirst")
        assert first in csv.text and csv.headers["x-judicare-read-from"] == "replica"
        portal = web.get("/public/en/index.html")
        assert portal.headers["x-judicare-read-from"] == "replica"
        assert "read from a replica" in portal.text

        # Readiness and the metrics report the replica: streaming, caught up, read from.
        ready = client.get("/health/ready")
        assert ready.status_code == 200
        replica = ready.json()["replica"]
        assert replica["reachable"] and replica["in_recovery"] and replica["streaming"]
        assert replica["reads_from"] == "replica" and replica["fallback"] == "none"
        assert replica["max_lag_seconds"] == 3600 and 0 <= replica["lag_seconds"] < 60
        gauges = _gauges(client)
        assert gauges["judicare_replica_up"] == 1.0
        assert gauges["judicare_replica_reads_on_primary"] == 0.0
        assert 0 <= gauges["judicare_replica_lag_seconds"] < 60

        # The static export reads the replica, never the primary, and says as of when.
        on_primary, on_replica = _statements(app.engine), _statements(app.read_engine)
        exported = export_portal(app, tmp_path / "site")
        assert exported.freshness.source.value == "replica" and exported.as_of is not None
        assert on_primary == [] and len(on_replica) > 5  # the lag query, then the portal
        index = (tmp_path / "site" / "en" / "index.html").read_text()
        assert re.search(r"Data as of [^<]+ UTC \(read from a replica of the database\)", index)
        assert "(lues sur une réplique" in (tmp_path / "site" / "fr" / "index.html").read_text()
        # The command: `judicare portal export --read-db`.
        command = CliRunner().invoke(
            cli, ["portal", "export", str(tmp_path / "cli-site"), "--db",
                  pair.primary.url(DATABASE) + LOCAL_COMMIT, "--read-db",
                  pair.standby.url(DATABASE), "--json"],
            env={"JUDICARE_NODE_KEYS_DIR": str(base["node_keys_dir"]),
                 "JUDICARE_DATA_DIR": str(base["data_dir"]), "JUDICARE_AUDIT_ORIGIN": ORIGIN,
                 "JUDICARE_ENVIRONMENT": "test",
                 "JUDICARE_READ_MAX_LAG_SECONDS": "3600"},
            catch_exceptions=False,
        )  # fmt: skip
        assert command.exit_code == 0, command.output
        said = json.loads(command.stdout)
        assert said["read_from"] == "replica" and said["as_of"], said
        assert "read from a replica" in (tmp_path / "cli-site" / "en" / "index.html").read_text()

        # The standby stops replaying (it still receives): what is written now is not there.
        pair.standby.execute("SELECT pg_wal_replay_pause()")
        second = _create(client, token, "Replicasecond")
        _wait_standby(pair, "pg_last_wal_receive_lsn")
        page = web.get("/requests?q=Replicasecond")
        assert page.headers["x-judicare-read-from"] == "replica"
        assert second not in page.text  # within the bound, a stale page, which says so
        assert re.search(r"Data as of \d+ seconds? ago", page.text)

        # Beyond the bound, the page reads the primary and says why.
        app.settings.read_max_lag_seconds = 0.5
        eventually(
            lambda: where_to_read(app.read_engine, 0.5).fallback is Fallback.TOO_FAR_BEHIND,
            "the replica is more than 0.5 s behind",
        )
        page = web.get("/requests?q=Replicasecond")
        assert page.headers["x-judicare-read-from"] == "primary"
        assert second in page.text
        assert "Read from the primary database: the replica is" in page.text
        assert "more than the 0.5 allowed" in page.text
        ready = client.get("/health/ready")
        assert ready.status_code == 200  # a replica behind never makes the server unready
        replica = ready.json()["replica"]
        assert replica["reachable"] and replica["reads_from"] == "primary"
        assert replica["fallback"] == "too_far_behind" and replica["lag_seconds"] > 0.5
        gauges = _gauges(client)
        assert gauges["judicare_replica_reads_on_primary"] == 1.0
        assert gauges["judicare_replica_lag_seconds"] > 0.5
        assert gauges["judicare_replica_max_lag_seconds"] == 0.5
        # The export then reads the primary, as of the primary's time, and says why.
        before = app.now().replace(microsecond=0)
        exported = export_portal(app, tmp_path / "site")
        assert exported.freshness.source.value == "primary"
        assert exported.as_of is not None
        assert before <= exported.as_of <= app.now()  # the app's clock: the primary's present
        index = (tmp_path / "site" / "en" / "index.html").read_text()
        assert "UTC. Read from the primary database: the replica is" in index
        # A search by a person's name is audited: always on the primary.
        named = web.get("/requests?person=Testbayeva")
        assert named.headers["x-judicare-read-from"] == "primary"
    finally:
        pair.standby.execute("SELECT pg_wal_replay_resume()")
        app.dispose()
    _wait_standby(pair, "pg_last_wal_replay_lsn")


def _serve(pair: Pair, url: str, env: dict) -> str:
    """`judicare serve` on `url` (the last of `pair.processes`), stopped with the clusters."""
    arguments = ["--db", url]
    log = Path(env["JUDICARE_DATA_DIR"]) / f"serve-{len(pair.processes)}.log"
    served = start_judicare(arguments, env, log)
    pair.processes.append(served.process)
    served = wait_judicare(served, arguments, env)
    if served.process not in pair.processes:  # started again on another port
        pair.processes.append(served.process)
    return served.base


def _bearer(base: str) -> dict:
    answer = httpx.post(f"{base}/api/v1/auth/token", timeout=30,
                        json={"username": "anna.officer", "password": DEMO_PASSWORD})  # fmt: skip
    assert answer.status_code == 201, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def test_failover_drill_loses_no_acknowledged_write(clusters):
    pair, base = clusters
    env = {**os.environ, "JUDICARE_ENVIRONMENT": "test", "JUDICARE_DATA_DIR": str(base["data_dir"]),
           "JUDICARE_NODE_KEYS_DIR": str(base["node_keys_dir"]), "JUDICARE_AUDIT_ORIGIN": ORIGIN}  # fmt: skip
    (settings,) = pair.primary.execute(
        "SELECT current_setting('synchronous_commit'), (SELECT sync_state FROM pg_stat_replication)"
    )[0]
    assert settings == ("remote_apply", "sync")  # the premise of the drill
    server = _serve(pair, pair.primary.url(DATABASE), env)
    headers = _bearer(server)
    acknowledged: list[int] = []
    failed: list[str] = []
    stop = threading.Event()

    def write(worker: int) -> None:
        number = 0
        while not stop.is_set():
            number += 1
            body = request_body(facts_summary=f"Fictional facts of the drill, {worker}-{number}.")
            try:
                answer = httpx.post(f"{server}/api/v1/requests", json=body, headers=headers,
                                    timeout=30)  # fmt: skip
            except httpx.HTTPError as error:
                failed.append(type(error).__name__)
                return
            if answer.status_code != 201:
                failed.append(str(answer.status_code))
                return
            acknowledged.append(answer.json()["id"])

    writers = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for writer in writers:
        writer.start()
    try:
        eventually(lambda: len(acknowledged) >= 16, "16 writes acknowledged")
        pair.primary.stop("immediate")  # mid-stream: the writers are still sending
    finally:
        stop.set()
        for writer in writers:
            writer.join(timeout=60)
    assert len(acknowledged) >= 16 and failed, (len(acknowledged), failed)
    pair.standby.promote()

    # The servers are pointed at the promoted standby: the one on the dead primary stops,
    # and a new `judicare serve` process starts on the standby, as an operator would.
    pair.processes[-1].terminate()
    pair.processes[-1].wait(timeout=30)
    promoted = _serve(pair, pair.standby.url(DATABASE), env)
    headers = _bearer(promoted)  # the promoted standby takes writes (a sign-in is audited)
    with httpx.Client(base_url=promoted, headers=headers, timeout=30) as client:
        missing = [
            number for number in acknowledged
            if client.get(f"/api/v1/requests/{number}").status_code != 200
        ]  # fmt: skip
    assert missing == [], f"{len(missing)} of {len(acknowledged)} acknowledged creates lost"
    print(f"failover drill: {len(acknowledged)} creates acknowledged before the primary was "
          f"killed, all found on the promoted standby; the writers then got {sorted(failed)}")  # fmt: skip
    # `judicare audit verify` against the promoted standby, with the checkpoint journal the
    # servers on the old primary signed (the same JUDICARE_AUDIT_ORIGIN).
    verified = CliRunner().invoke(
        cli, ["audit", "verify", "--db", pair.standby.url(DATABASE), "--json"],
        env={"JUDICARE_NODE_KEYS_DIR": str(base["node_keys_dir"]),
             "JUDICARE_AUDIT_ORIGIN": ORIGIN},
        catch_exceptions=False,
    )  # fmt: skip
    assert verified.exit_code == 0, verified.output
    report = json.loads(verified.stdout)
    assert report["valid"] and report["checkpoints"]["signed"] >= 1, report
