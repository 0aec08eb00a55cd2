"""Schemathesis generates requests from the published OpenAPI spec: the API must answer
every one of them without a server error, with a documented status code and content type,
and in the documented shape (each operation's response model, or the error body)."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.integration.api_support import build_demo_api


def _schema():
    import tempfile

    directory = tempfile.mkdtemp(prefix="judicare-schemathesis-")
    demo = build_demo_api(f"sqlite:///{directory}/judicare.db")
    schema = schemathesis.openapi.from_asgi("/openapi.json", demo.client.app)
    return demo, schema


DEMO, SCHEMA = _schema()
AUTH = DEMO.headers("supervisor")


def _throwaway() -> dict:
    from judicare.auth.permissions import Principal, Role
    from judicare.auth.service import issue_token

    role, authority = "officer", "BEL-CA"
    who = Principal(
        DEMO.user_ids[(role, authority)], f"t.{role}.{authority}", Role(role), authority
    )
    with DEMO.app.unit_of_work() as uow:
        token = issue_token(uow.session, who, now=DEMO.app.now())
        uow.commit()
    return {"Authorization": f"Bearer {token}"}


@SCHEMA.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_error(case):
    # Signing out (DELETE /auth/token) and changing the password end tokens: those cases get
    # a token of their own, so that the other cases keep theirs.
    auth = _throwaway() if case.path.startswith("/api/v1/auth/") else AUTH
    case.headers = {**(case.headers or {}), **auth}
    response = case.call()
    case.validate_response(
        response,
        checks=(
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ),
    )
