"""Operations (issue 22): /metrics by route template, liveness and readiness, structured
JSON logs without personal data."""

from __future__ import annotations

import json
import logging

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from judicare.app import FixedClock, create_app
from judicare.asgi import create_api
from judicare.files.store import MemoryFileStore
from judicare.logs import JsonFormatter, NoPersonalData, log_config
from judicare.settings import Settings
from tests.conftest import TODAY

NAME = "Тестбаева"


def _samples(text: str, name: str) -> list:
    return [
        sample
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    ]


def test_liveness_and_readiness_on_a_migrated_database(demo_api):
    client = demo_api.client
    live = client.get("/health/live")
    assert live.status_code == 200 and live.json()["status"] == "live"
    ready = client.get("/health/ready")
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"status": "ready", "reason": "ok"}


def test_readiness_fails_without_the_database_but_liveness_does_not(tmp_path):
    # Nothing listens on port 1 of the loopback: the database is unreachable.
    app = create_app(
        Settings(
            database_url="postgresql+psycopg://postgres@127.0.0.1:1/nothing?connect_timeout=2",
            environment="test",
            data_dir=tmp_path,
        ),
        clock=FixedClock(TODAY),
        file_store=MemoryFileStore(),
    )
    try:
        client = TestClient(create_api(app))
        assert client.get("/health/live").status_code == 200
        ready = client.get("/health/ready")
        assert ready.status_code == 503
        assert ready.json()["status"] == "not_ready"
        assert ready.json()["reason"].startswith("database unreachable: ")
    finally:
        app.dispose()


def test_readiness_names_a_database_at_an_older_schema(tmp_path):
    app = create_app(
        Settings(database_url=f"sqlite:///{tmp_path / 'empty.db'}", environment="test"),
        clock=FixedClock(TODAY),
        file_store=MemoryFileStore(),
    )
    try:
        ready = TestClient(create_api(app)).get("/health/ready")
        assert ready.status_code == 503
        assert "schema revision none" in ready.json()["reason"]
    finally:
        app.dispose()


def test_metrics_count_requests_by_route_template_without_the_path(demo_api):
    client, headers = demo_api.client, demo_api.headers("officer")
    created = demo_api.create()
    before = client.get("/metrics")
    assert before.status_code == 200
    assert before.headers["content-type"].startswith("text/plain")

    def count(text: str, route: str, status: str = "2xx") -> float:
        return sum(
            s.value
            for s in _samples(text, "judicare_http_requests_total")
            if s.labels == {"method": "GET", "route": route, "status": status}
        )

    listed = client.get(f"/api/v1/requests?person={NAME}", headers=headers)
    assert listed.status_code == 200, listed.text
    shown = client.get(f"/api/v1/requests/{created['id']}", headers=headers)
    assert shown.status_code == 200
    assert client.get("/no/such/page/" + NAME).status_code == 404
    after = client.get("/metrics").text

    assert count(after, "/api/v1/requests") == count(before.text, "/api/v1/requests") + 1
    template = "/api/v1/requests/{request_id}"
    assert count(after, template) == count(before.text, template) + 1
    assert count(after, "<unmatched>", "4xx") >= 1
    # No path, query, name or identifier in any label.
    assert NAME not in after and "person=" not in after
    assert f"/api/v1/requests/{created['id']}" not in after
    durations = [
        s
        for s in _samples(after, "judicare_http_request_duration_seconds_count")
        if s.labels.get("route") == template
    ]
    assert durations and durations[0].value >= 1


def test_the_access_log_names_the_route_template_never_the_path(demo_api, caplog):
    handler_output: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            handler_output.append(JsonFormatter().format(record))

    collector = Collect()
    logger = logging.getLogger("judicare.access")
    logger.addHandler(collector)
    previous = logger.level
    logger.setLevel(logging.INFO)
    try:
        response = demo_api.client.get(
            f"/api/v1/requests?person={NAME}", headers=demo_api.headers("officer")
        )
        assert response.status_code == 200
    finally:
        logger.removeHandler(collector)
        logger.setLevel(previous)
    lines = [json.loads(line) for line in handler_output]
    mine = [line for line in lines if line.get("route") == "/api/v1/requests"]
    assert mine, lines
    entry = mine[-1]
    assert entry["http_method"] == "GET" and entry["status"] == 200
    assert entry["level"] == "info" and entry["logger"] == "judicare.access"
    assert isinstance(entry["duration_ms"], float)
    assert NAME not in "\n".join(handler_output) and "person" not in "\n".join(handler_output)


def _record_with(exc: BaseException) -> logging.LogRecord:
    try:
        raise exc
    except BaseException as raised:
        info = (type(raised), raised, raised.__traceback__)
    return logging.LogRecord(
        "judicare.api", logging.ERROR, __file__, 1, "request failed", None, info
    )


def test_a_json_log_line_keeps_an_exceptions_class_and_frames_not_its_message():
    record = _record_with(ValueError(f"no person named {NAME} born 1984-03"))
    line = json.loads(JsonFormatter().format(record))
    assert line["error"] == "ValueError"
    assert line["frames"] and all(":" in frame for frame in line["frames"])
    assert NAME not in json.dumps(line, ensure_ascii=False) and "1984-03" not in str(line)
    assert line["message"] == "request failed"


def test_a_database_error_keeps_its_cleaned_description(app):
    from sqlalchemy import text

    try:
        with app.engine.begin() as connection:
            connection.execute(
                text("INSERT INTO users (id, username) VALUES (:id, :name)"),
                {"id": 1, "name": NAME},
            )
            connection.execute(
                text("INSERT INTO users (id, username) VALUES (:id, :name)"),
                {"id": 1, "name": NAME},
            )
    except Exception as exc:
        error = exc
    else:  # pragma: no cover - a duplicate key is always refused
        raise AssertionError("the duplicate was accepted")
    record = _record_with(error)
    NoPersonalData().filter(record)
    line = JsonFormatter().format(record)
    assert NAME not in line
    parsed = json.loads(line)
    assert parsed["error"] == "DatabaseError"
    assert "users" in parsed["error_description"]  # the table an operator needs


def test_the_server_log_configuration_writes_json_and_silences_uvicorns_access_log():
    config = log_config("json")
    assert config["formatters"]["default"] == {"()": "judicare.logs.JsonFormatter"}
    assert config["loggers"]["uvicorn.access"]["propagate"] is False
    assert "format" in log_config("text")["formatters"]["default"]


def test_readiness_reports_an_unreachable_replica_without_failing(tmp_path):
    from judicare.bootstrap import upgrade_database
    from tests.serving import free_port

    replica = f"postgresql://postgres@127.0.0.1:{free_port()}/judicare"  # nothing listens
    app = create_app(
        Settings(database_url=f"sqlite:///{tmp_path / 'j.db'}", read_database_url=replica,
                 environment="test", read_max_lag_seconds=7),
        clock=FixedClock(TODAY),
        file_store=MemoryFileStore(),
    )  # fmt: skip
    try:
        upgrade_database(app)
        client = TestClient(create_api(app))
        ready = client.get("/health/ready")
        assert ready.status_code == 200, ready.text  # reads fall back to the primary
        assert ready.json() == {
            "status": "ready",
            "reason": "ok",
            "replica": {
                "reachable": False,
                "in_recovery": None,
                "streaming": None,
                "lag_seconds": None,
                "max_lag_seconds": 7.0,
                "reads_from": "primary",
                "fallback": "unreachable",
            },
        }
        metrics = client.get("/metrics").text
        assert [s.value for s in _samples(metrics, "judicare_replica_up")] == [0.0]
        assert _samples(metrics, "judicare_replica_lag_seconds") == []  # unknown: no sample
        assert [s.value for s in _samples(metrics, "judicare_replica_max_lag_seconds")] == [7.0]
        assert [s.value for s in _samples(metrics, "judicare_replica_reads_on_primary")] == [1.0]
    finally:
        app.dispose()


def test_without_a_replica_neither_readiness_nor_metrics_mention_one(demo_api):
    assert "replica" not in demo_api.client.get("/health/ready").json()
    metrics = demo_api.client.get("/metrics").text
    assert _samples(metrics, "judicare_replica_up") == []
    assert _samples(metrics, "judicare_replica_lag_seconds") == []
