"""Schemathesis generates requests from the published OpenAPI spec: the API must answer
every one of them without a server error (and in the documented shapes)."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from tests.integration.api_support import build_demo_api


def _schema():
    import tempfile

    directory = tempfile.mkdtemp(prefix="judicare-schemathesis-")
    demo = build_demo_api(f"sqlite:///{directory}/judicare.db")
    schema = schemathesis.openapi.from_asgi("/openapi.json", demo.client.app)
    return demo, schema


DEMO, SCHEMA = _schema()
AUTH = DEMO.headers("supervisor")


@SCHEMA.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_error(case):
    case.headers = {**(case.headers or {}), **AUTH}
    response = case.call()
    case.validate_response(response, checks=(not_a_server_error,))
