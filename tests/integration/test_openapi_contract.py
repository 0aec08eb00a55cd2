"""The OpenAPI document describes every answer: each operation's success answer has a
schema (a response model), and every error status it lists answers the one error body."""

from __future__ import annotations

import pytest


@pytest.fixture
def spec(demo_api):
    return demo_api.client.get("/openapi.json").json()


def _operations(spec):
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            yield f"{method.upper()} {path}", operation


BINARY = {
    "GET /api/v1/requests/{request_id}/documents/{document_id}",
    "GET /api/v1/requests/{request_id}/formal-documents/{kind}",  # a PDF or a DOCX
}


def test_every_success_answer_has_a_documented_shape(spec):
    missing = []
    for name, operation in _operations(spec):
        for status, answer in operation["responses"].items():
            if not status.startswith("2") or status == "204" or name in BINARY:
                continue
            schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
            if not schema or schema == {}:
                missing.append(f"{name} {status}")
    assert missing == []


def test_every_error_answer_is_the_error_body(spec):
    for name, operation in _operations(spec):
        errors = {s: a for s, a in operation["responses"].items() if s[0] in "45"}
        assert {"401", "422", "500"} <= set(errors) or name == "GET /api/v1/health", name
        for status, answer in errors.items():
            schema = answer["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorOut"}, f"{name} {status}"


def test_the_error_body_and_a_request_are_described(spec):
    schemas = spec["components"]["schemas"]
    assert set(schemas["ErrorOut"]["properties"]) == {"error"}
    assert {"code", "message"} <= set(schemas["ErrorDetail"]["required"])
    detail = schemas["RequestDetail"]["properties"]
    for field in ("id", "version", "status", "persons", "deadlines", "transitions", "links"):
        assert field in detail


def test_a_validation_error_answers_as_documented(demo_api):
    answer = demo_api.client.get("/api/v1/requests?limit=0", headers=demo_api.headers("officer"))
    assert answer.status_code == 422
    body = answer.json()
    assert body["error"]["code"] == "validation_error"
    assert body["error"]["details"][0]["field"].endswith("limit")
