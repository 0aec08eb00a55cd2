"""Bad input gets a clear 4xx with a stable code, never a server error, and loses nothing."""

from __future__ import annotations

import json

import pytest

from tests.integration.api_support import request_body


@pytest.fixture
def api(demo_api):
    return demo_api


RAW = [
    ("malformed JSON", b'{"direction": "incoming",', 400, "malformed_json"),
    ("not JSON at all", b"direction=incoming", 400, "malformed_json"),
    ("deeply nested JSON", b"[" * 5000 + b"]" * 5000, 400, "too_deeply_nested"),
    (
        "a lone surrogate",
        json.dumps({**request_body(), "facts_summary": "x"}).replace('"x"', '"\\udc80"').encode(),
        400,
        "invalid_unicode",
    ),
    ("invalid UTF-8", b'{"facts_summary": "\xff\xfe"}', 400, "invalid_encoding"),
    (
        "an oversized body",
        b'{"facts_summary": "' + b"x" * 2_000_000 + b'"}',
        413,
        "payload_too_large",
    ),
]
FIELDS = [
    ("an unknown field", {"colour": "blue"}, "colour"),
    ("an impossible date", {"received_on": "2023-02-30"}, "received_on"),
    ("an unknown kind", {"kind": "rendition"}, "kind"),
    ("an unknown state", {"requesting_state": "XX"}, None),
    ("an unknown crime", {"crimes": ["theft"]}, None),
    (
        "a bad partial birth date",
        {"persons": [{"role": "witness", "names": [{"name": "A"}], "birth_date": "1984-13"}]},
        "birth_date",
    ),
    ("an empty facts summary", {"facts_summary": ""}, "facts_summary"),
    ("a wrong type", {"crimes": "genocide"}, "crimes"),
]


def _count(api) -> int:
    return api.client.get("/api/v1/requests?limit=1", headers=api.headers("officer")).json()[
        "total"
    ]


@pytest.mark.parametrize(("name", "raw", "status", "code"), RAW, ids=[r[0] for r in RAW])
def test_raw_bodies(api, name, raw, status, code):
    before = _count(api)
    response = api.client.post(
        "/api/v1/requests", content=raw,
        headers=api.headers("officer", **{"content-type": "application/json"}),
    )  # fmt: skip
    assert response.status_code == status, response.text[:300]
    assert response.json()["error"]["code"] == code
    assert _count(api) == before


@pytest.mark.parametrize(("name", "change", "field"), FIELDS, ids=[f[0] for f in FIELDS])
def test_fields(api, name, change, field):
    before = _count(api)
    response = api.client.post("/api/v1/requests", json=request_body(**change),
                               headers=api.headers("officer"))  # fmt: skip
    assert response.status_code == 422, response.text[:300]
    error = response.json()["error"]
    assert error["code"] in {"validation_error", "unknown_state", "invalid_input"}
    if field:
        assert field in error["message"] or any(
            field in d["field"] for d in error.get("details", [])
        )
    assert _count(api) == before


@pytest.mark.parametrize(
    "query",
    ["limit=0", "limit=1000", "offset=-1", "status=nonsense", "kind=rendition", "overdue=perhaps",
     "state=X"],
)  # fmt: skip
def test_bad_list_parameters(api, query):
    response = api.client.get(f"/api/v1/requests?{query}", headers=api.headers("officer"))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


def test_unknown_routes_and_methods_answer_in_json(api):
    assert api.client.get("/api/v1/nothing").json()["error"]["code"] == "not_found"
    response = api.client.delete("/api/v1/requests", headers=api.headers("officer"))
    assert response.status_code == 405 and response.json()["error"]["code"] == "method_not_allowed"


@pytest.fixture
def small_limits(app_with_upload_limit):
    """An API with a 2,000-byte upload limit, an officer's token and one request."""
    from fastapi.testclient import TestClient

    from judicare.asgi import create_api
    from judicare.auth.service import create_user, ensure_authority, issue_token, principal_of
    from judicare.requests.schemas import RequestCreate
    from judicare.requests.service import create_request

    app = app_with_upload_limit(2_000)
    with app.unit_of_work() as uow:
        ensure_authority(uow.session, "BEL-CA", "BEL", "test")
        who = principal_of(create_user(uow.session, username="limits.officer",
                                       password="x" * 12, role="officer",
                                       authority_id="BEL-CA"))  # fmt: skip
        _, detail, _ = create_request(uow.session, who, RequestCreate.model_validate(
            request_body()), now=app.now(), basis=None, why="test")  # fmt: skip
        token = issue_token(uow.session, who, now=app.now())
        uow.commit()
    client = TestClient(create_api(app))
    client.headers["Authorization"] = f"Bearer {token}"
    return client, detail["id"]


def _chunks(total: int, size: int = 500):
    for _ in range(total // size):
        yield b"x" * size


@pytest.mark.parametrize(("size", "status"), [(1_500, 201), (3_000, 413)])
def test_an_upload_sent_in_chunks_is_counted_as_it_arrives(small_limits, size, status):
    """No length declared (chunked): the guard counts the bytes as they pass instead of
    holding the body, and answers 413 once past the limit."""
    client, request_id = small_limits
    response = client.post(
        f"/api/v1/requests/{request_id}/documents?filename=a.bin", content=_chunks(size),
        headers={"content-type": "application/octet-stream"},
    )  # fmt: skip
    assert response.status_code == status, response.text[:300]
    if status == 413:
        assert response.json()["error"]["code"] == "payload_too_large"
