"""Issue 21, web: the prevention desk and a country's page, on SQLite and PostgreSQL. The fit
is stored with λ fixed at the EWP's (fast); the assessment goes through four-eyes first."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from judicare.auth.models import UserRow
from judicare.auth.service import principal_of
from judicare.prevention import assessments, model, service
from judicare.prevention.schema import load_country_years
from tests.ewp_data import require_ewp_dir
from tests.integration.web_support import WebUser

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _principal(session, username):
    return principal_of(session.scalar(select(UserRow).where(UserRow.username == username)))


@pytest.fixture
def desk_api(demo_api):
    data = load_country_years(require_ewp_dir())
    fitted = model.fit(data, 2024, lam=model.EWP_LAMBDA_MIN_2025)
    app = demo_api.app
    with app.unit_of_work() as uow:
        service.store_fit(uow.session, fitted, data, actor="test", now=app.now())
        officer = _principal(uow.session, "anna.officer")
        reviewer = _principal(uow.session, "louis.reviewer")
        drafted = assessments.draft(
            uow.session, officer, "SDN",
            [{"factor": 1, "rating": "high", "evidence": "Fighting in Darfur and Kordofan.",
              "sources": ["UN OCHA situation report"]}],
            "Risk rising in the west.", now=app.now(),
        )  # fmt: skip
        assessments.review(uow.session, reviewer, drafted["id"], "approve", now=app.now())
        uow.commit()
    return demo_api


def test_the_desk_lists_the_ranking_with_the_assessment(desk_api):
    user = WebUser(desk_api, "anna.officer")
    page = user.get("/prevention")
    assert page.status_code == 200, page.text
    assert "Burma/Myanmar" in page.text and "/prevention/SDN" in page.text
    assert "10.4 %" in page.text


def test_a_country_page(desk_api):
    page = WebUser(desk_api, "louis.reviewer").get("/prevention/SDN")
    assert page.status_code == 200, page.text
    assert "Fighting in Darfur and Kordofan." in page.text
    assert "Triggering factors" in page.text
    assert "<polyline" in page.text
    assert "Requests from this state" in page.text


def test_another_authority_does_not_see_the_assessment(desk_api):
    page = WebUser(desk_api, "pieter.officer").get("/prevention/SDN")
    assert page.status_code == 200
    assert "Fighting in Darfur" not in page.text


def test_french_and_dutch(desk_api):
    user = WebUser(desk_api, "anna.officer")
    try:  # the language chosen is remembered for the user, and the demo API is shared
        for language, title in (("fr", "Bureau de prévention"), ("nl", "Preventiebureau")):
            user.post("/language", {"lang": language, "next": "/"})
            page = user.get("/prevention")
            assert title in page.text, language
    finally:
        user.post("/language", {"lang": "en", "next": "/"})


def test_a_role_without_the_permission_is_refused(desk_api):
    page = WebUser(desk_api, "eva.depositary").get("/prevention")
    assert page.status_code == 403


def test_an_incoming_request_shows_the_requesting_states_risk_as_context(desk_api):
    from judicare.requests.models import RequestRow

    with desk_api.app.unit_of_work() as uow:
        row = uow.session.scalar(
            select(RequestRow)
            .where(RequestRow.authority_id == "BEL-CA", RequestRow.direction == "incoming")
            .order_by(RequestRow.id)
            .limit(1)
        )
        rid, state = row.id, row.requesting_state
    page = WebUser(desk_api, "louis.reviewer").get(f"/requests/{rid}/screening")
    assert page.status_code == 200, page.text
    assert "Context on the requesting state (information, not a finding)" in page.text
    assert f'href="/prevention/{state}"' in page.text
    assert "this context decides nothing" in page.text
