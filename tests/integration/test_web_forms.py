"""The request page's forms refused and accepted as a browser sends them: each problem next to
its field, in the officer's language, nothing typed lost; documents up and down; the filters
of the request list; the second factor's attempt limit. On SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import quote

import pyotp
import pytest
from fastapi.testclient import TestClient

from judicare.asgi import create_api
from judicare.auth.second_factor import (
    MAX_WRONG_CODES,
    disable_second_factor,
    enable_second_factor,
)
from judicare.web.auth_pages import MAX_CODE_ATTEMPTS
from tests.integration.web_support import WebUser, new_request, under_review

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
CANDIDATE = {"person": "0", "register": "refugees", "entry": "DEMO-R-0001"}


def field_refused(page, field: str) -> bool:
    """The problem is next to the field and tied to it (aria-describedby, aria-invalid)."""
    control = re.search(rf'<(?:input|textarea|select)[^>]*\bid="{re.escape(field)}"[^>]*>', page)
    return (
        f'id="{field}-error"' in page
        and control is not None
        and f"{field}-error" in control.group(0)
        and 'aria-invalid="true"' in control.group(0)
    )


def test_a_refused_decision_keeps_what_was_typed(demo_api):
    request_id = under_review(WebUser(demo_api, "anna.officer"))
    reviewer = WebUser(demo_api, "louis.reviewer")
    response = reviewer.post(
        f"/requests/{request_id}/decisions",
        [("outcome", "refuse"), ("reasons", "   "), ("finding", "protected_status"),
         ("instrument", "coe-mla-1959"), ("conditions", "Only with guarantees (typed)."),
         ("consulted", "yes")],
    )  # fmt: skip
    assert response.status_code == 422
    page = response.text
    assert field_refused(page, "reasons") and "A decision needs its reasons." in page
    assert field_refused(page, "article")  # an instrument is cited without its article
    assert "Only with guarantees (typed)." in page and 'value="coe-mla-1959"' in page
    assert re.search(r'<option value="refuse" selected>', page)
    assert re.search(r'id="cite-protected_status"[^>]*checked', page)  # the ticked finding
    assert re.search(r'id="consulted"[^>]*checked', page)
    assert re.search(r'class="decision-form" novalidate', page)
    nothing = reviewer.post(f"/requests/{request_id}/decisions", [("outcome", "refuse"),
                                                                  ("reasons", "Refugee.")])  # fmt: skip
    assert nothing.status_code == 422 and 'id="citations-error"' in nothing.text
    assert "Refugee." in nothing.text


def test_a_refused_decision_is_explained_in_french(demo_api):
    request_id = under_review(WebUser(demo_api, "anna.officer"))
    reviewer = WebUser(demo_api, "louis.reviewer")
    reviewer.post("/language", {"lang": "fr", "next": "/"})
    try:
        response = reviewer.post(f"/requests/{request_id}/decisions", [("outcome", "nonsense")])
        assert response.status_code == 422 and '<html lang="fr">' in response.text
        assert field_refused(response.text, "outcome")
        assert "Choose the outcome of the decision." not in response.text
    finally:
        reviewer.post("/language", {"lang": "en", "next": "/"})


def test_an_approval_without_a_note_keeps_the_page(demo_api):
    request_id = under_review(WebUser(demo_api, "anna.officer"))
    WebUser(demo_api, "louis.reviewer").post(
        f"/requests/{request_id}/decisions",
        [
            ("outcome", "refuse"),
            ("reasons", "Refugee."),
            ("finding", "protected_status"),
            ("confirm-refusal", "yes"),
        ],
    )
    supervisor = WebUser(demo_api, "sofie.supervisor")
    decision_id = re.search(
        r"/decisions/(\d+)/approval", supervisor.get(f"/requests/{request_id}").text
    ).group(1)
    response = supervisor.post(
        f"/decisions/{decision_id}/approval",
        {"request_id": str(request_id), "approve": "yes", "note": "  "},
    )
    assert response.status_code == 422
    assert field_refused(response.text, f"note-{decision_id}")
    assert "Awaiting a supervisor" in response.text  # still not approved


def test_a_candidate_needs_an_explicit_choice_and_keeps_its_reason(demo_api):
    officer = WebUser(demo_api, "anna.officer")
    request_id = new_request(officer)
    response = officer.post(
        f"/requests/{request_id}/candidates", {**CANDIDATE, "reason": "Typed reason kept."}
    )
    assert response.status_code == 422
    field = re.search(r'id="(candidate-0-\d+-decision)-error"', response.text).group(1)
    assert "Choose whether this is the same person" in response.text
    assert f'aria-describedby="{field}-error"' in response.text
    assert 'value="Typed reason kept."' in response.text
    report = officer.get(f"/requests/{request_id}/screening", headers={"HX-Request": "true"})
    forms = re.findall(r'<form[^>]*class="candidate-form"[^>]*>.*?</form>', report.text, re.S)
    assert forms and all(
        "novalidate" in form
        and form.count('type="radio"') == 2
        and "checked" not in form
        and form.count('type="submit"') == 1
        for form in forms
    )  # one submit button: Enter in the reason cannot pick "Same person" by accident


def test_a_candidate_can_be_rejected(demo_api):
    officer = WebUser(demo_api, "anna.officer")
    request_id = new_request(officer)
    rejected = officer.post(
        f"/requests/{request_id}/candidates",
        {**CANDIDATE, "decision": "rejected", "reason": "Different father's name (test)."},
    )
    assert rejected.status_code == 303
    report = officer.get(f"/requests/{request_id}/screening", headers={"HX-Request": "true"})
    assert re.search(r"<strong>rejected</strong> — anna\.officer: Different father", report.text)


def test_documents_go_up_and_come_down_under_their_own_name(demo_api):
    officer = WebUser(demo_api, "anna.officer")
    request_id = new_request(officer)
    empty = officer.post(f"/requests/{request_id}/documents")
    assert empty.status_code == 422 and field_refused(empty.text, "document-file")
    name = "Déclaration du témoin.txt"
    body = b"Fictional statement of a witness.\n"
    added = officer.post(
        f"/requests/{request_id}/documents", files={"file": (name, body, "text/plain")}
    )
    assert added.status_code == 303
    page = officer.follow(added).text
    link = re.search(rf'href="(/requests/{request_id}/documents/\d+)">{name}<', page)
    assert link, page[-4000:]
    download = officer.get(link.group(1))
    assert download.status_code == 200 and download.content == body
    disposition = download.headers["content-disposition"]
    assert disposition.startswith("attachment; filename=")
    assert f"filename*=UTF-8''{quote(name, safe='')}" in disposition
    assert download.headers["x-content-type-options"] == "nosniff"


def test_a_document_over_the_limit_is_named_next_to_the_field(demo_api):
    officer = WebUser(demo_api, "anna.officer")
    request_id = new_request(officer)
    settings = demo_api.app.settings
    limit, settings.max_upload_bytes = settings.max_upload_bytes, 1_000
    try:
        response = officer.post(
            f"/requests/{request_id}/documents",
            files={"file": ("big.bin", b"x" * 1_001, "application/octet-stream")},
        )
    finally:
        settings.max_upload_bytes = limit
    assert response.status_code == 422
    assert field_refused(response.text, "document-file") and "too large" in response.text


def test_a_missing_form_field_is_a_page_in_the_users_language(demo_api):
    officer = WebUser(demo_api, "anna.officer")
    request_id = new_request(officer)
    officer.post("/language", {"lang": "nl", "next": "/"})
    try:
        response = officer.post(f"/requests/{request_id}/transitions", {"status": "registered"})
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("text/html")
        assert '<html lang="nl">' in response.text
        assert "<code>" not in response.text  # no developer field name (issue 17 point 10)
        assert "This field is required." not in response.text  # translated
    finally:
        officer.post("/language", {"lang": "en", "next": "/"})
    api = demo_api.client.post(
        "/api/v1/auth/token", json={"username": "anna.officer"}
    )  # the API keeps its JSON
    assert api.status_code == 422 and api.json()["error"]["code"] == "validation_error"


def test_an_unknown_state_in_a_live_filter_lists_nothing_and_says_why(demo_api):
    officer = WebUser(demo_api, "anna.officer")
    live = officer.get("/requests?state=QQ", headers={"HX-Request": "true"})
    assert live.status_code == 200
    assert re.search(r'<div id="state-field" hx-swap-oob="true">', live.text)
    assert field_refused(live.text, "state")
    assert 'class="requests"' not in live.text and "/requests/1" not in live.text
    fixed = officer.get("/requests?state=BEL", headers={"HX-Request": "true"})
    assert 'id="state-error"' not in fixed.text and 'class="requests"' in fixed.text


def test_empty_status_and_kind_in_a_live_redraw_mean_any(demo_api):
    """The filter form's HTMX redraw sends `status=&kind=` for "Any": that is no filter,
    not a refused page (it used to answer 422)."""
    officer = WebUser(demo_api, "anna.officer")
    live = officer.get("/requests?status=&kind=&state=&overdue=&person=&q=",
                       headers={"HX-Request": "true"})  # fmt: skip
    assert live.status_code == 200 and 'class="requests"' in live.text
    page = officer.get("/requests?status=&kind=")
    assert page.status_code == 200 and 'class="requests"' in page.text
    bogus = officer.get("/requests?status=decided-by-itself")
    assert bogus.status_code == 200 and field_refused(bogus.text, "status")
    assert 'class="requests"' not in bogus.text


@pytest.fixture
def second_factor(demo_api):
    """t.supervisor.NLD-CA signs in with a TOTP code during the test; its secret."""
    with demo_api.app.unit_of_work() as uow:
        secret, _uri = enable_second_factor(uow.session, "t.supervisor.NLD-CA")
        uow.commit()
    yield secret
    with demo_api.app.unit_of_work() as uow:
        disable_second_factor(uow.session, "t.supervisor.NLD-CA")
        uow.commit()


def test_the_second_factor_ends_after_too_many_wrong_codes(demo_api, second_factor):
    user = WebUser(demo_api)
    assert 'name="code"' in user.login("t.supervisor.NLD-CA").text
    for attempt in range(1, MAX_CODE_ATTEMPTS):
        wrong = user.post("/login/code", {"code": "000000", "next": "/requests"})
        assert wrong.status_code == 401 and 'id="code-error"' in wrong.text
        left = MAX_CODE_ATTEMPTS - attempt
        assert f"{left} attempt{'s' if left > 1 else ''} left" in wrong.text
    ended = user.post("/login/code", {"code": "000000", "next": "/requests"})
    assert ended.status_code == 303 and ended.headers["location"].startswith("/login")
    assert "Too many wrong codes" in user.follow(ended).text
    code = pyotp.TOTP(second_factor).at(demo_api.app.now())
    late = user.post("/login/code", {"code": code, "next": "/"})
    assert late.status_code == 303 and late.headers["location"] == "/login"  # password again
    assert user.get("/").status_code == 303


def test_a_code_is_used_once_and_wrong_codes_in_a_row_lock_codes_out(demo_api, second_factor):
    login = {"username": "t.supervisor.NLD-CA", "password": "demo-password-not-for-production"}
    token = "/api/v1/auth/token"
    code = pyotp.TOTP(second_factor).at(demo_api.app.now())
    assert demo_api.client.post(token, json={**login, "totp": code}).status_code == 201
    again = demo_api.client.post(token, json={**login, "totp": code})
    assert again.status_code == 401 and "used already" in again.json()["error"]["message"]
    for _ in range(MAX_WRONG_CODES - 1):  # the replay above was the first wrong code
        assert demo_api.client.post(token, json={**login, "totp": "000000"}).status_code == 401
    fresh = pyotp.TOTP(second_factor).at(demo_api.app.now() + timedelta(seconds=30))
    locked = demo_api.client.post(token, json={**login, "totp": fresh})
    assert locked.status_code == 401 and "too many wrong codes" in locked.json()["error"]["message"]
    user = WebUser(demo_api)
    assert 'name="code"' in user.login("t.supervisor.NLD-CA").text
    ended = user.post("/login/code", {"code": fresh, "next": "/"})
    assert ended.status_code == 303 and ended.headers["location"].startswith("/login")
    assert "quarter of an hour" in user.follow(ended).text


@pytest.mark.parametrize("code", ["١٢٣٤٥٦", "12345²", "1234567", "abcdef"])
def test_a_code_that_is_not_six_ascii_digits_is_a_wrong_code(demo_api, second_factor, code):
    login = {"username": "t.supervisor.NLD-CA", "password": "demo-password-not-for-production"}
    refused = demo_api.client.post("/api/v1/auth/token", json={**login, "totp": code})
    assert refused.status_code == 401 and "wrong" in refused.json()["error"]["message"]
    user = WebUser(demo_api)
    user.login("t.supervisor.NLD-CA")
    page = user.post("/login/code", {"code": code, "next": "/"})
    assert page.status_code == 401 and 'id="code-error"' in page.text


@pytest.fixture
def small_upload_api(app_with_upload_limit):
    """A server whose body guard refuses anything over 1,000 bytes (no sign-in needed)."""
    return TestClient(create_api(app_with_upload_limit(1_000)), follow_redirects=False)


def test_a_body_over_the_guards_limit_is_a_page_but_json_for_the_api(small_upload_api):
    files = {"file": ("big.bin", b"x" * 5_000, "application/octet-stream")}
    page = small_upload_api.post(
        "/requests/1/documents", files=files, headers={"Accept-Language": "fr"}
    )
    assert page.status_code == 413 and page.headers["content-type"].startswith("text/html")
    assert '<html lang="fr">' in page.text and 'role="alert"' in page.text
    assert "The file is too large." not in page.text  # in French
    api = small_upload_api.post("/api/v1/requests/1/documents", files=files)
    assert api.status_code == 413 and api.json()["error"]["code"] == "payload_too_large"
