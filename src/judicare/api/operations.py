"""What an operator watches: `/metrics` for Prometheus, `/health/live` and `/health/ready`
for the orchestrator, and one access-log line per request, without personal data.

- Metrics are labelled by the *route template* (`/api/v1/requests/{request_id}`), the
  method and the status class, never by the path itself: a path or query can carry a
  person's name (a search), an identifier or a token. A request that matched no route is
  counted under the template `<unmatched>`.
- `/health/live` answers as long as the process serves requests; it never touches the
  database (a database outage must not make the orchestrator restart every server).
- `/health/ready` answers 200 when the database answers and is at the schema this version
  needs, 503 with the reason otherwise (a load balancer then sends traffic elsewhere). With
  a read replica configured it also reports the replica (`replica`: reachable, replay lag,
  where read-only pages read now); a replica that is down or behind never makes the server
  unready, since those pages then read the primary.
- `/metrics` carries the replica's state as gauges, measured at each scrape:
  `judicare_replica_up`, `judicare_replica_lag_seconds` (absent while the lag is unknown),
  `judicare_replica_max_lag_seconds` and `judicare_replica_reads_on_primary`.
- With several worker processes (`judicare serve --workers N`), set
  `PROMETHEUS_MULTIPROC_DIR` to an empty directory writable by the server: `/metrics` then
  adds up every process (prometheus_client's multiprocess mode).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import text

from judicare import __version__
from judicare.app import App
from judicare.db import migrate
from judicare.db.freshness import ReadFrom

ACCESS_LOG = logging.getLogger("judicare.access")
UNMATCHED = "<unmatched>"
# Seconds; from a cached page (a few ms) to a slow export.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0, 10.0)
OPERATIONS_PATHS = ("/metrics", "/health/live", "/health/ready")


class ReplicaCollector(Collector):
    """The read replica's state, measured when Prometheus scrapes (no samples without a
    replica). Measured at scrape rather than kept in a gauge: with several worker processes
    each would otherwise report its own last page's measurement."""

    def __init__(self, app: App) -> None:
        self.app = app

    def describe(self) -> Iterator[GaugeMetricFamily]:  # no database query at registration
        yield from self._families()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        report = self.app.replica_report()
        families = self._families()
        if report is None:
            return iter(families)
        up, lag, bound, on_primary = families
        up.add_metric([], 1.0 if report.reachable else 0.0)
        if report.freshness.lag_seconds is not None:
            lag.add_metric([], report.freshness.lag_seconds)
        bound.add_metric([], float(self.app.settings.read_max_lag_seconds))
        on_primary.add_metric([], 1.0 if report.freshness.source is ReadFrom.PRIMARY else 0.0)
        return iter(families)

    @staticmethod
    def _families() -> list[GaugeMetricFamily]:
        return [
            GaugeMetricFamily("judicare_replica_up", "1 when the read replica answers, else 0."),
            GaugeMetricFamily(
                "judicare_replica_lag_seconds",
                "The read replica's replay lag in seconds (0 when it has replayed all it "
                "received); absent while it cannot say (not streaming, or unreachable).",
            ),
            GaugeMetricFamily(
                "judicare_replica_max_lag_seconds",
                "JUDICARE_READ_MAX_LAG_SECONDS: beyond it read-only pages read the primary.",
            ),
            GaugeMetricFamily(
                "judicare_replica_reads_on_primary",
                "1 when read-only pages read the primary although a replica is configured "
                "(too far behind, lag unknown, or unreachable), else 0.",
            ),
        ]


class Metrics:
    """The server's metrics, in a registry of its own (one per server built)."""

    def __init__(self, app: App | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.replica = ReplicaCollector(app) if app is not None else None
        if self.replica is not None:
            self.registry.register(self.replica)
        labels = ("method", "route", "status")
        self.requests = Counter(
            "judicare_http_requests",
            "HTTP requests answered, by route template, method and status class.",
            labels,
            registry=self.registry,
        )
        self.latency = Histogram(
            "judicare_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template and method.",
            ("method", "route"),
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.in_progress = Gauge(
            "judicare_http_requests_in_progress",
            "HTTP requests being answered now.",
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        self.info = Gauge(
            "judicare_build_info",
            "The version this server runs (always 1).",
            ("version",),
            registry=self.registry,
            multiprocess_mode="max",
        )
        self.info.labels(version=__version__).set(1)

    def exposition(self) -> bytes:
        directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        if directory:
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry, path=directory)
            if self.replica is not None:
                registry.register(self.replica)
            return generate_latest(registry)
        return generate_latest(self.registry)


def route_template(scope: dict[str, Any]) -> str:
    """The template of the route that answered (set by the router), never the path."""
    route = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return path if isinstance(path, str) and path else UNMATCHED


def status_class(status: int) -> str:
    return f"{status // 100}xx"


class MeasureRequests:
    """ASGI middleware (outermost): counts and times every HTTP request and writes one
    access-log line with the route template, method, status and duration."""

    def __init__(self, app: Any, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        metrics = self.metrics

        async def send_and_note(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        metrics.in_progress.inc()
        try:
            await self.app(scope, receive, send_and_note)
        finally:
            metrics.in_progress.dec()
            seconds = time.perf_counter() - started
            route = route_template(scope)
            method = scope.get("method", "GET")
            metrics.requests.labels(method, route, status_class(status)).inc()
            metrics.latency.labels(method, route).observe(seconds)
            ACCESS_LOG.info(
                "%s %s %s %.1fms",
                method,
                route,
                status,
                seconds * 1000,
                extra={
                    "http_method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                },
            )


def readiness(app: App, head: str | None = None) -> tuple[bool, str]:
    """Whether this server can serve: the database answers and is at the schema it needs
    (`head`, the newest migration, read from the migration scripts if not given)."""
    try:
        with app.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        current = migrate.current_revision(app.engine)
        head = head or migrate.head_revision(app.engine)
    except Exception as exc:
        return False, f"database unreachable: {type(exc).__name__}"
    if current != head:
        return False, f"database at schema revision {current or 'none'}, this version needs {head}"
    return True, "ok"


def install(api: FastAPI, app: App) -> Metrics:
    """Add the operations endpoints and the measuring middleware to `api`."""
    metrics = Metrics(app)
    head = migrate.head_revision(app.engine)  # read once: the scripts do not change

    @api.get("/health/live", include_in_schema=False)
    def live() -> JSONResponse:
        return JSONResponse({"status": "live", "version": __version__})

    @api.get("/health/ready", include_in_schema=False)
    def ready() -> JSONResponse:
        ok, reason = readiness(app, head)
        body: dict[str, Any] = {"status": "ready" if ok else "not_ready", "reason": reason}
        replica = app.replica_report()
        if replica is not None:  # reported, never a reason to be unready (reads fall back)
            body["replica"] = replica.as_json()
        return JSONResponse(body, status_code=200 if ok else 503)

    @api.get("/metrics", include_in_schema=False)
    def metrics_endpoint() -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    api.add_middleware(MeasureRequests, metrics=metrics)
    api.state.metrics = metrics
    return metrics


__all__ = [
    "MeasureRequests", "Metrics", "ReplicaCollector", "install", "readiness", "route_template",
]  # fmt: skip
