"""The officers' web pages on the demo data, through the same forms a browser sends, on SQLite
and PostgreSQL. (The real-browser tests are in tests/e2e/test_browser.py.)"""

from __future__ import annotations

import re

import pyotp
import pytest

from judicare.auth.second_factor import disable_second_factor, enable_second_factor
from tests.integration.web_support import WebUser, incoming_form, wait_for_job

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def created_id(response) -> int:
    assert response.status_code == 303, response.text[:3000]
    return int(re.search(r"/requests/(\d+)$", response.headers["location"]).group(1))


def test_pages_need_a_signed_in_user(demo_api):
    anonymous = WebUser(demo_api)
    for page in ("/", "/requests", "/requests/1", "/treaties", "/audit"):
        response = anonymous.get(page)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_wrong_password_is_shown_next_to_the_field(demo_api):
    user = WebUser(demo_api)
    response = user.login("anna.officer", "not-the-password")
    assert response.status_code == 401
    assert 'id="password-error"' in response.text and "Wrong user name or password" in response.text


@pytest.mark.parametrize(
    ("username", "pages"),
    [
        ("anna.officer", ["/", "/requests", "/requests?status=received&overdue=yes", "/requests/1",
                          "/requests/1/screening", "/requests/new",
                          "/requests/new?direction=outgoing", "/treaties", "/treaties/rome-1998",
                          "/treaties/lhc-2023?on=2024-02-14"]),
        ("louis.reviewer", ["/", "/requests/3"]),
        ("sofie.supervisor", ["/", "/requests/10"]),
        ("marc.auditor", ["/", "/audit", "/audit?subject_type=request&subject_id=1"]),
        ("hugo.nodeauditor", ["/", "/audit", "/audit/verify"]),
        ("eva.depositary", ["/", "/treaties/coe-mla-1959"]),
        ("admin", ["/"]),
        ("nina.nodeadmin", ["/", "/registers"]),
    ],
)  # fmt: skip
def test_each_role_reaches_its_pages(demo_api, username, pages):
    user = WebUser(demo_api, username)
    for page in pages:
        response = user.get(page)
        assert response.status_code == 200, (page, response.text[:3000])
        assert "<main" in response.text


def test_need_to_know_on_pages(demo_api):
    stranger = WebUser(demo_api, "t.officer.NLD-CA")
    response = stranger.get("/requests/1")
    assert response.status_code == 404
    assert "no need to know" in response.text


def test_roles_without_the_permission_are_refused(demo_api):
    auditor = WebUser(demo_api, "marc.auditor")
    assert auditor.get("/requests/new").status_code == 403
    officer = WebUser(demo_api, "anna.officer")
    assert officer.get("/audit").status_code == 403


def test_a_form_without_the_session_token_is_refused(demo_api):
    officer = WebUser(demo_api, "anna.officer")
    response = officer.client.post("/requests/new", data=dict(incoming_form()))
    assert response.status_code == 403
    assert "expired" in response.text


def test_register_an_incoming_request_with_a_cyrillic_name(demo_api):
    officer = WebUser(demo_api, "anna.officer")
    page = officer.follow(officer.post("/requests/new", incoming_form()))
    assert "Жанар Нурланқызы Тестбаева" in page.text
    assert "machine reading" in page.text  # romanised beside the original script
    request_id = int(re.search(r"/requests/(\d+)/screening", page.text).group(1))
    report = officer.get(f"/requests/{request_id}/screening", headers={"HX-Request": "true"})
    assert "DEMO-R-0001" in report.text  # the refugee register's entry
    assert "the requesting state" in report.text  # she fears persecution by KAZ
    assert 'id="finding-choices" hx-swap-oob="true"' in report.text


def test_refused_fields_are_shown_next_to_them_and_nothing_typed_is_lost(demo_api):
    officer = WebUser(demo_api, "anna.officer")
    response = officer.post(
        "/requests/new",
        incoming_form(
            requesting_state="XX", facts_summary="", **{"person-0-birth_date": "1984-13"}
        ),
    )
    assert response.status_code == 422
    for field in ("requesting_state", "facts_summary", "person-0-birth_date"):
        assert f'id="{field}-error"' in response.text, field
    assert "Жанар Нурланқызы Тестбаева" in response.text  # still in the form


def test_errors_are_in_the_users_language(demo_api):
    officer = WebUser(demo_api, "anna.officer")
    officer.post("/language", {"lang": "fr", "next": "/"})
    response = officer.post("/requests/new", incoming_form(facts_summary=""))
    assert response.status_code == 422
    assert '<html lang="fr">' in response.text
    assert "Ce champ est obligatoire." in response.text
    officer.post("/language", {"lang": "nl", "next": "/"})
    assert "Verzoeken" in officer.get("/").text
    officer.post("/language", {"lang": "en", "next": "/"})  # the choice is remembered


def test_outgoing_wizard_keeps_each_step_and_refuses_an_incomplete_one(demo_api):
    officer = WebUser(demo_api, "anna.officer")
    form = dict(incoming_form(direction="outgoing", step="0", go="next"))
    form.update(requesting_state="BEL", requested_state="KAZ", requesting_authority="")
    response = officer.post("/requests/new", list(form.items()))
    assert response.status_code == 422 and 'id="requesting_authority-error"' in response.text
    form.update(requesting_authority="Federal Prosecutor (fictional test)")
    for step in range(4):  # parties -> offences -> assistance -> persons -> review
        form.update(step=str(step), go="next")
        response = officer.post("/requests/new", list(form.items()))
        assert response.status_code == 200, response.text[:2000]
        assert f'name="step" value="{step + 1}"' in response.text
    form.update(step="4", go="submit")
    assert created_id(officer.post("/requests/new", list(form.items()))) > 0


def test_live_check_resolves_the_legal_basis_and_lists_missing_contents(demo_api):
    officer = WebUser(demo_api, "anna.officer")
    officer.get("/requests/new")
    fields = incoming_form(purpose="", requested_execution_date="")
    response = officer.client.post(
        "/requests/new/check", data=dict(fields), headers={"X-CSRF-Token": officer.csrf}
    )
    assert response.status_code == 200
    assert "be-mla-2004" in response.text  # the Belgian law, no treaty between KAZ and BEL
    assert "The purpose of the evidence or information sought" in response.text


def test_a_refusal_waits_for_a_supervisor(demo_api):
    officer = WebUser(demo_api, "anna.officer")
    request_id = created_id(officer.post("/requests/new", incoming_form()))
    page = officer.get(f"/requests/{request_id}")
    for status in ("registered", "under_review"):
        version = re.search(r'name="version" value="(\d+)"', page.text).group(1)
        page = officer.follow(
            officer.post(
                f"/requests/{request_id}/transitions", {"status": status, "version": version}
            )
        )
    reviewer = WebUser(demo_api, "louis.reviewer")
    decided = reviewer.post(
        f"/requests/{request_id}/decisions",
        [("outcome", "refuse"), ("reasons", "She is a refugee fearing the requesting state."),
         ("finding", "protected_status"), ("confirm-refusal", "yes")],
    )  # fmt: skip
    page = reviewer.follow(decided)
    assert "Awaiting a supervisor" in page.text and "has no effect until" in page.text
    assert "Under review" in page.text  # blocked: the status has not changed
    supervisor = WebUser(demo_api, "sofie.supervisor")
    decision_id = re.search(
        r"/decisions/(\d+)/approval", supervisor.get(f"/requests/{request_id}").text
    )
    approved = supervisor.post(
        f"/decisions/{decision_id.group(1)}/approval",
        {"request_id": str(request_id), "approve": "yes", "note": "Agreed: non-refoulement."},
    )
    page = supervisor.follow(approved)
    assert "Refused" in page.text and "Effective" in page.text


def test_the_proposer_cannot_approve_their_own_decision(demo_api):
    officer = WebUser(demo_api, "sofie.supervisor")
    request_id = created_id(officer.post("/requests/new", incoming_form()))
    for status, version in (("registered", "1"), ("under_review", "2")):
        officer.post(f"/requests/{request_id}/transitions", {"status": status, "version": version})
    officer.post(
        f"/requests/{request_id}/decisions",
        [
            ("outcome", "refuse"),
            ("reasons", "test"),
            ("finding", "protected_status"),
            ("confirm-refusal", "yes"),
        ],
    )
    page = officer.get(f"/requests/{request_id}")
    assert "another person must approve it" in page.text
    assert "/approval" not in page.text


def test_a_candidate_can_be_confirmed_with_a_reason(demo_api):
    officer = WebUser(demo_api, "anna.officer")
    request_id = created_id(officer.post("/requests/new", incoming_form()))
    missing_reason = officer.post(
        f"/requests/{request_id}/candidates",
        {"person": "0", "register": "refugees", "entry": "DEMO-R-0001", "decision": "confirmed"},
    )
    assert missing_reason.status_code == 422 and "needs its reason" in missing_reason.text
    assert re.search(r'id="candidate-0-\d+-reason-error"', missing_reason.text)
    officer.post(
        f"/requests/{request_id}/candidates",
        {"person": "0", "register": "refugees", "entry": "DEMO-R-0001",
         "decision": "confirmed", "reason": "Same birth date and passport photo."},
    )  # fmt: skip
    report = officer.get(f"/requests/{request_id}/screening", headers={"HX-Request": "true"})
    assert "Same birth date and passport photo." in report.text


def test_second_factor(demo_api):
    # The demo API is shared by the worker's tests: the user's second factor is removed
    # afterwards, so that the tests signing in as t.officer.NLD-CA after this one can.
    with demo_api.app.unit_of_work() as uow:
        secret, _uri = enable_second_factor(uow.session, "t.officer.NLD-CA")
        uow.commit()
    try:
        user = WebUser(demo_api)
        first = user.login("t.officer.NLD-CA")
        assert first.status_code == 200 and 'name="code"' in first.text
        wrong = user.post("/login/code", {"code": "000000", "next": "/"})
        assert wrong.status_code == 401 and 'id="code-error"' in wrong.text
        code = pyotp.TOTP(secret).at(demo_api.app.now())
        assert user.post("/login/code", {"code": code, "next": "/"}).status_code == 303
        assert user.get("/").status_code == 200
    finally:
        with demo_api.app.unit_of_work() as uow:
            disable_second_factor(uow.session, "t.officer.NLD-CA")
            uow.commit()


def test_sign_out_revokes_the_session(demo_api):
    user = WebUser(demo_api, "anna.officer")
    cookie = dict(user.client.cookies)
    user.post("/logout")
    replay = WebUser(demo_api)
    replay.client.cookies.update(cookie)
    assert replay.get("/").status_code == 303


def test_register_import_shows_progress_and_rejects_bad_rows(demo_api):
    admin = WebUser(demo_api, "nina.nodeadmin")
    bad = "id,names,birth_date,nationality,status,country_of_feared_persecution,status_date\nX1,,1990,ZZZ,refugee,KAZ,2020-01-01\n"
    response = admin.post("/registers/import", {"register": "web-test"},
                          files={"file": ("r.csv", bad.encode(), "text/csv")})  # fmt: skip
    assert response.status_code == 422 and "row 2" in response.text
    good = "id,names,birth_date,nationality,status,country_of_feared_persecution,status_date\nW1,Иван Петров|Ivan Petrov,1970,RUS,refugee,RUS,2020-01-01\n"
    response = admin.post("/registers/import", {"register": "web-test"},
                          files={"file": ("r.csv", good.encode(), "text/csv")})  # fmt: skip
    assert response.status_code == 200 and "<progress" in response.text
    job = re.search(r"/registers/jobs/(\w+)", response.text)
    assert job is not None, response.text[-3000:]
    page = wait_for_job(admin, job.group(1), "Imported:")
    assert "1 added" in page.text


def test_treaty_page_draws_chart_and_map_without_the_internet(demo_api):
    user = WebUser(demo_api, "eva.depositary")
    page = user.get("/treaties/rome-1998?on=2010-01-01")
    assert 'class="world-map"' in page.text and "polyline" in page.text
    assert "map-party" in page.text and "http" not in re.sub(
        r'href="[^"]*"', "", page.text.split("<svg", 1)[1].split("</svg>", 1)[0]
    )
    bad = user.get("/treaties/rome-1998?on=2010-02-30")
    assert bad.status_code == 422 and 'id="on-error"' in bad.text


def test_the_api_asks_for_the_second_factor_too(demo_api):
    with demo_api.app.unit_of_work() as uow:
        secret, _uri = enable_second_factor(uow.session, "t.auditor.NLD-CA")
        uow.commit()
    login = {"username": "t.auditor.NLD-CA", "password": "demo-password-not-for-production"}
    refused = demo_api.client.post("/api/v1/auth/token", json=login)
    assert refused.status_code == 401 and "second factor" in refused.json()["error"]["message"]
    code = pyotp.TOTP(secret).at(demo_api.app.now())
    assert (
        demo_api.client.post("/api/v1/auth/token", json={**login, "totp": code}).status_code == 201
    )


def test_an_unknown_state_in_the_filters_is_shown_next_to_the_field(demo_api):
    officer = WebUser(demo_api, "anna.officer")
    response = officer.get("/requests?state=QQ")
    assert response.status_code == 200 and 'id="state-error"' in response.text
