"""The REST API of the request register, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.integration.api_support import OTHER, OWN, request_body


@pytest.fixture
def api(demo_api):
    return demo_api


def test_openapi_is_published(api):
    spec = api.client.get("/openapi.json").json()
    assert "/api/v1/requests" in spec["paths"]


def test_create_read_and_the_legal_basis_stored_beside_it(api):
    created = api.create()
    assert created["status"] == "received" and created["version"] == 1
    read = api.client.get(f"/api/v1/requests/{created['id']}", headers=api.headers("officer"))
    assert read.status_code == 200 and read.headers["etag"] == '"1"'
    body = read.json()
    assert body["requesting_state"] == "KAZ" and body["requested_state"] == "BEL"
    assert body["persons"][0]["names"][0]["script"] == "CYRILLIC"
    assert body["legal_basis_answer"]["fallback"]["law"] == "be-mla-2004"
    assert body["deadlines"][0]["kind"] == "requested_execution"


def test_a_retry_with_the_same_idempotency_key_creates_nothing_new(api):
    headers = api.headers("officer", **{"Idempotency-Key": "retry-test-0001"})
    first = api.client.post("/api/v1/requests", json=request_body(), headers=headers)
    again = api.client.post("/api/v1/requests", json=request_body(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert again.headers["idempotent-replayed"] == "true"
    other_body = api.client.post(
        "/api/v1/requests", json=request_body(facts_summary="different"), headers=headers
    )
    assert other_body.status_code == 409 and other_body.json()["error"]["code"] == "conflict"


def test_updates_need_the_current_etag(api):
    created = api.create()
    url = f"/api/v1/requests/{created['id']}"
    missing = api.client.patch(url, json={"urgency": "urgent"}, headers=api.headers("officer"))
    assert missing.status_code == 428
    stale = api.client.patch(
        url, json={"urgency": "urgent"}, headers=api.headers("officer", **{"If-Match": '"7"'})
    )
    assert stale.status_code == 412
    done = api.client.patch(
        url, json={"urgency": "urgent"}, headers=api.headers("officer", **{"If-Match": '"1"'})
    )
    assert done.status_code == 200 and done.json()["urgency"] == "urgent"
    assert done.headers["etag"] == '"2"'


def _move(api, request_id, version, status, role="supervisor", **extra):
    return api.client.post(
        f"/api/v1/requests/{request_id}/transitions",
        json={"status": status, **extra},
        headers=api.headers(role, **{"If-Match": f'"{version}"'}),
    )


def test_the_lifecycle_refuses_a_jump_and_a_decision_without_reasons(api):
    created = api.create()
    jump = _move(api, created["id"], 1, "executed")
    assert jump.status_code == 409 and jump.json()["error"]["code"] == "transition_not_allowed"
    assert "allowed next" in jump.json()["error"]["message"]
    step = _move(api, created["id"], 1, "registered")
    step = _move(api, created["id"], step.json()["version"], "under_review")
    direct = _move(api, created["id"], step.json()["version"], "refused", reasons="persecution",
                   citations=[{"instrument": "be-mla-2004", "article": "4 §2"}])  # fmt: skip
    assert direct.status_code == 409 and direct.json()["error"]["code"] == "decision_required"
    bare = api.decide(created["id"], "refuse", reasons="")
    assert bare.status_code == 422 and bare.json()["error"]["code"] == "validation_error"
    no_cite = api.decide(created["id"], "refuse", reasons="persecution", citations=[])
    assert no_cite.status_code == 422
    decided = api.decided(created["id"], "refuse")
    assert decided["status"] == "refused"
    assert decided["transitions"][-1]["citations"][0]["article"] == "4 §2"


def test_an_officer_cannot_decide(api):
    created = api.create()
    step = _move(api, created["id"], 1, "registered", role="officer")
    step = _move(api, created["id"], step.json()["version"], "under_review", role="officer")
    decide = _move(api, created["id"], step.json()["version"], "accepted", role="officer",
                   reasons="ok", citations=[{"instrument": "cat-1984", "article": "9"}])  # fmt: skip
    assert decide.status_code == 403


def test_lists_filter_search_and_paginate(api):
    headers = api.headers("officer")
    everything = api.client.get("/api/v1/requests?limit=5", headers=headers).json()
    assert everything["total"] >= 12 and len(everything["items"]) == 5
    second_page = api.client.get("/api/v1/requests?limit=5&offset=5", headers=headers).json()
    assert not {i["id"] for i in everything["items"]} & {i["id"] for i in second_page["items"]}
    for query, check in [
        ("status=refused", lambda i: i["status"] == "refused"),
        ("state=UA", lambda i: "UKR" in (i["requesting_state"], i["requested_state"])),
        ("kind=extradition", lambda i: i["kind"] == "extradition"),
        ("overdue=true", lambda i: i["overdue"]),
    ]:
        items = api.client.get(f"/api/v1/requests?{query}", headers=headers).json()["items"]
        assert items and all(check(i) for i in items), query
    cyrillic = api.client.get("/api/v1/requests?person=тестбаева", headers=headers).json()
    latin = api.client.get("/api/v1/requests?person=TESTBAYEVA", headers=headers).json()
    assert cyrillic["total"] >= 1 and latin["total"] >= 1
    assert "persons" not in cyrillic["items"][0]  # lists carry no personal data
    words = api.client.get("/api/v1/requests?q=fictional+town", headers=headers).json()
    assert words["total"] >= 1
    assert api.client.get("/api/v1/requests?q=100%25", headers=headers).json()["total"] == 0


def test_need_to_know_hides_other_authorities_files(api):
    created = api.create()
    url = f"/api/v1/requests/{created['id']}"
    assert api.client.get(url, headers=api.headers("officer", OTHER)).status_code == 404
    listed = api.client.get("/api/v1/requests?limit=100", headers=api.headers("officer", OTHER))
    assert created["id"] not in {i["id"] for i in listed.json()["items"]}
    # Assigned to a user of the other authority, it becomes visible to that user only.
    assign = api.client.post(f"{url}/assignments", json={"user_id": api.user_ids[("officer", OTHER)]},
                             headers=api.headers("supervisor"))  # fmt: skip
    assert assign.status_code == 201
    assert api.client.get(url, headers=api.headers("officer", OTHER)).status_code == 200
    assert api.client.get(url, headers=api.headers("supervisor", OTHER)).status_code == 404


def test_links_between_requests(api):
    first, second = api.create(), api.create()
    link = api.client.post(
        f"/api/v1/requests/{first['id']}/links",
        json={"to_request_id": second["id"], "link_type": "competing", "note": "same person"},
        headers=api.headers("officer"),
    )
    assert link.status_code == 201 and link.json()["links"][0]["link_type"] == "competing"
    again = api.client.post(
        f"/api/v1/requests/{first['id']}/links",
        json={"to_request_id": second["id"], "link_type": "competing"},
        headers=api.headers("officer"),
    )
    assert again.status_code == 409


def test_documents_are_stored_hashed_and_their_reading_audited(api):
    created = api.create()
    url = f"/api/v1/requests/{created['id']}/documents"
    upload = api.client.post(f"{url}?filename=letter.pdf", content=b"%PDF-1.4 test",
                             headers=api.headers("officer", **{"content-type": "application/pdf"}))  # fmt: skip
    assert upload.status_code == 201
    assert len(upload.json()["sha256"]) == 64
    download = api.client.get(f"{url}/{upload.json()['id']}", headers=api.headers("officer"))
    assert download.content == b"%PDF-1.4 test"
    events = api.client.get(
        f"/api/v1/audit?subject_type=request&subject_id={created['id']}",
        headers=api.headers("auditor"),
    ).json()["items"]
    tags = [e["tag"] for e in events]
    assert "officer:request:create" in tags
    assert "officer:document:upload" in tags and "officer:document:read" in tags


def test_every_read_of_personal_data_is_audited_with_its_purpose(api):
    created = api.create()
    api.client.get(f"/api/v1/requests/{created['id']}",
                   headers=api.headers("officer", **{"X-Purpose": "checking the witness's identity"}))  # fmt: skip
    events = api.client.get(
        f"/api/v1/audit?subject_type=request&subject_id={created['id']}",
        headers=api.headers("auditor"),
    ).json()["items"]
    reads = [e for e in events if e["action"] == "consultation"]
    assert reads and reads[-1]["why"] == "checking the witness's identity"
    assert reads[-1]["actor"] == f"t.officer.{OWN}"


def test_the_legal_basis_and_treaty_status_over_http(api):
    basis = api.client.get("/api/v1/basis?from=KAZ&to=BEL&kind=mla&on=2024-05-01",
                           headers=api.headers("officer")).json()  # fmt: skip
    assert basis["fallback"]["law"] == "be-mla-2004"
    status = api.client.get("/api/v1/treaties/rome-1998/status?on=2002-07-01",
                            headers=api.headers("depositary_officer")).json()  # fmt: skip
    assert status["in_force"] is True


def test_no_token_no_access(api):
    response = api.client.get("/api/v1/requests")
    assert response.status_code == 401 and response.json()["error"]["code"] == "unauthenticated"
    bad = api.client.get("/api/v1/requests", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    wrong = api.client.post(
        "/api/v1/auth/token", json={"username": "anna.officer", "password": "x"}
    )
    assert wrong.status_code == 401


def test_a_create_reads_its_caller_and_registers_in_one_transaction(api):
    """Registering is the hot path: the token is read in the route's own unit of work, so a
    create without a sought person takes one pooled connection and commits once; a token
    that is unknown is still refused, and nothing is registered."""
    from sqlalchemy import event, func, select

    from judicare.requests.models import RequestRow

    engine = api.app.engine
    seen = {"checkout": 0, "commit": 0}

    def checkout(*_):
        seen["checkout"] += 1

    def commit(*_):
        seen["commit"] += 1

    event.listen(engine, "checkout", checkout)
    event.listen(engine, "commit", commit)
    try:
        created = api.create()
    finally:
        event.remove(engine, "checkout", checkout)
        event.remove(engine, "commit", commit)
    assert created["version"] == 1 and seen == {"checkout": 1, "commit": 1}
    with api.app.unit_of_work() as uow:
        before = uow.session.scalar(select(func.count(RequestRow.id)))
    refused = api.client.post("/api/v1/requests", json=request_body(),
                              headers={"Authorization": "Bearer not-a-token"})  # fmt: skip
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "unauthenticated"
    with api.app.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count(RequestRow.id))) == before
