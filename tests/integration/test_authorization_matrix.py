"""Every role x every endpoint x own / other authority.

The table below is written out by hand, independently of the permission enum: it is the
statement of who may do what. Within their authority, a role that may act gets a success
and a role that may not gets 403. On a request of another authority, a role that may act
gets 404 (need-to-know: its existence is not disclosed), and a role that may not gets 403.
"""

from __future__ import annotations

import pytest

from judicare.auth.permissions import Role
from tests.integration.api_support import OTHER, OWN, request_body

EVERYONE = {r.value for r in Role}
CASE_WORKERS = {"officer", "legal_reviewer", "supervisor"}
ALLOWED = {
    "list requests": CASE_WORKERS | {"auditor"},
    "create a request": {"officer", "supervisor"},
    "read a request": CASE_WORKERS | {"auditor"},
    "change a request": CASE_WORKERS,
    "register a request (operational step)": CASE_WORKERS,
    "approve a decision (four-eyes)": {"supervisor"},
    "link two requests": CASE_WORKERS,
    "assign a request": {"supervisor"},
    "upload a document": {"officer", "supervisor"},
    "read a document": CASE_WORKERS | {"auditor"},
    "read the audit trail": {"auditor", "node_auditor"},
    "screen a request": CASE_WORKERS | {"auditor"},
    "propose a decision": {"legal_reviewer", "supervisor"},
    "read a request's exchange correspondence": CASE_WORKERS | {"auditor"},
    "answer a request through the exchange": CASE_WORKERS,
    "ask for information through the exchange": CASE_WORKERS,
    "send a request through the exchange": CASE_WORKERS,
    "read a treaty's status": EVERYONE,
    "resolve a legal basis": EVERYONE,
}
REQUEST_SCOPED = {
    "read a request", "change a request", "register a request (operational step)",
    "approve a decision (four-eyes)", "link two requests", "assign a request",
    "upload a document", "read a document", "screen a request", "propose a decision",
    "read a request's exchange correspondence", "answer a request through the exchange",
    "ask for information through the exchange", "send a request through the exchange",
}  # fmt: skip
# Allowed, and past the permission check, the act meets a rule of its own: the demo request
# did not arrive through the exchange, so it cannot be answered through it.
# (The demo request is incoming: it is not sent to a peer either.)
PAST_THE_CHECK = {
    "answer a request through the exchange": ({422}, "invalid_input"),
    "ask for information through the exchange": ({422}, "invalid_input"),
    "send a request through the exchange": ({422}, "invalid_input"),
}


@pytest.fixture
def api(demo_api):
    return demo_api


def _fresh_request(api, status: str = "received") -> dict:
    created = api.create()
    version = 1
    for step in {"received": [], "under_review": ["registered", "under_review"]}[status]:
        moved = api.client.post(
            f"/api/v1/requests/{created['id']}/transitions", json={"status": step},
            headers=api.headers("supervisor", **{"If-Match": f'"{version}"'}),
        )  # fmt: skip
        version = moved.json()["version"]
    return {**created, "version": version}


def _call(api, action: str, role: str, authority: str):
    h = api.headers(role, authority)
    c = api.client
    if action == "list requests":
        return c.get("/api/v1/requests", headers=h)
    if action == "create a request":
        return c.post("/api/v1/requests", json=request_body(), headers=h)
    if action == "read the audit trail":
        return c.get("/api/v1/audit", headers=h)
    if action == "read a treaty's status":
        return c.get("/api/v1/treaties/lhc-2023/status", headers=h)
    if action == "resolve a legal basis":
        return c.get("/api/v1/basis?from=KAZ&to=BEL&kind=mla", headers=h)
    target = _fresh_request(api, "under_review" if "decision" in action else "received")
    if action == "screen a request":
        return c.get(f"/api/v1/requests/{target['id']}/screening", headers=h)
    if action == "propose a decision":
        body = {
            "outcome": "request_more_information",
            "reasons": "the facts are too thin",
            "citations": [{"instrument": "be-mla-2004", "article": "3"}],
        }
        return c.post(f"/api/v1/requests/{target['id']}/decisions", json=body, headers=h)
    url = f"/api/v1/requests/{target['id']}"
    match = {**h, "If-Match": f'"{target["version"]}"'}
    if action == "read a request":
        return c.get(url, headers=h)
    if action == "change a request":
        return c.patch(url, json={"urgency": "urgent"}, headers=match)
    if action == "register a request (operational step)":
        return c.post(f"{url}/transitions", json={"status": "registered"}, headers=match)
    if action == "approve a decision (four-eyes)":
        refusal = api.decide(target["id"], "refuse")  # proposed by the own legal reviewer
        return api.approve(refusal.json()["id"], role=role, authority=authority)
    if action == "link two requests":
        other = api.create()
        return c.post(f"{url}/links", json={"to_request_id": other["id"], "link_type": "related"},
                      headers=h)  # fmt: skip
    if action == "assign a request":
        return c.post(
            f"{url}/assignments", json={"user_id": api.user_ids[("officer", OWN)]}, headers=h
        )
    if action == "upload a document":
        return c.post(f"{url}/documents?filename=a.txt", content=b"x",
                      headers={**h, "content-type": "text/plain"})  # fmt: skip
    if action == "read a request's exchange correspondence":
        return c.get(f"{url}/exchange", headers=h)
    if action == "answer a request through the exchange":
        return c.post(f"{url}/exchange/answer", json={"text": "executed"}, headers=h)
    if action == "ask for information through the exchange":
        return c.post(f"{url}/exchange/request-for-information", json={"text": "who?"}, headers=h)
    if action == "send a request through the exchange":
        return c.post(f"{url}/exchange/send", json={"to": "NLD-CA"}, headers=h)
    if action == "read a document":
        doc = c.post(f"{url}/documents?filename=a.txt", content=b"x",
                     headers={**api.headers("officer"), "content-type": "text/plain"}).json()  # fmt: skip
        return c.get(f"{url}/documents/{doc['id']}", headers=h)
    raise AssertionError(action)


CASES = [
    (action, role.value, authority)
    for action in ALLOWED
    for role in Role
    for authority in (OWN, OTHER)
]


@pytest.mark.parametrize(("action", "role", "authority"), CASES,
                         ids=[f"{a} | {r} | {'own' if o == OWN else 'other'}" for a, r, o in CASES])  # fmt: skip
def test_matrix(api, action, role, authority):
    response = _call(api, action, role, authority)
    allowed = role in ALLOWED[action]
    if not allowed:
        expected = {403}
    elif authority == OTHER and action in REQUEST_SCOPED:
        expected = {404}
    else:
        expected = PAST_THE_CHECK.get(action, ({200, 201}, None))[0]
    assert response.status_code in expected, (response.status_code, response.text[:300])
    if response.status_code >= 400:
        codes = {"forbidden", "not_found", PAST_THE_CHECK.get(action, (None, None))[1]}
        assert response.json()["error"]["code"] in codes
