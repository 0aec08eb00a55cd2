"""Issue 21 in a real browser (Debian's Chromium driven by Playwright, axe-core injected): the
prevention desk and a country's page, in English and French, with no serious or critical
accessibility violation. The demo database gets a stored fit (λ fixed at the EWP's) and one
approved assessment before the server starts."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from judicare.app import FixedClock, create_app
from judicare.asgi import create_api
from judicare.auth.models import UserRow
from judicare.auth.service import principal_of
from judicare.bootstrap import upgrade_database
from judicare.demo import load_demo
from judicare.files.store import MemoryFileStore
from judicare.prevention import assessments, model, service
from judicare.prevention.schema import load_country_years
from judicare.settings import Settings
from tests.conftest import TODAY
from tests.e2e import test_browser as base
from tests.e2e.test_browser import serious_violations, shoot, sign_in
from tests.ewp_data import require_ewp_dir

page = base.page


@pytest.fixture(scope="module")
def browser():
    """Chromium, adding to the screenshots of the other browser tests."""
    with base.chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = load_country_years(require_ewp_dir())
    folder = tmp_path_factory.mktemp("browser-prevention")
    app = create_app(
        Settings(database_url=f"sqlite:///{folder / 'judicare.db'}", environment="test",
                 data_dir=folder),
        clock=FixedClock(TODAY),
        file_store=MemoryFileStore(),
    )  # fmt: skip
    upgrade_database(app)
    load_demo(app)
    fitted = model.fit(data, 2024, lam=model.EWP_LAMBDA_MIN_2025)
    with app.unit_of_work() as uow:
        service.store_fit(uow.session, fitted, data, actor="test", now=app.now())

        def who(name):
            return principal_of(uow.session.scalar(select(UserRow).where(UserRow.username == name)))

        drafted = assessments.draft(
            uow.session, who("anna.officer"), "SDN",
            [{"factor": 8, "rating": "high", "evidence": "Fighting spreads to new states.",
              "sources": ["UN OCHA situation report"]}],
            "Risk rising in the west.", now=app.now(),
        )  # fmt: skip
        assessments.review(uow.session, who("louis.reviewer"), drafted["id"], "approve",
                           now=app.now())  # fmt: skip
        uow.commit()
    with base.serving(create_api(app)) as url:
        yield url
    app.dispose()


def test_the_desk_and_a_country_page(page):
    sign_in(page, "anna.officer")
    page.get_by_role("link", name="Prevention", exact=True).click()
    page.wait_for_url("**/prevention")
    assert page.get_by_role("heading", name="Prevention desk").is_visible()
    assert page.get_by_role("cell", name="Burma/Myanmar").is_visible()
    assert serious_violations(page) == []
    shoot(page, "prevention-desk")
    page.get_by_role("link", name="Sudan", exact=True).click()
    page.wait_for_url("**/prevention/SDN")
    assert page.get_by_text("Fighting spreads to new states.").is_visible()
    assert page.get_by_role("img", name="Risk by the year of the data").is_visible()
    assert serious_violations(page) == []
    shoot(page, "prevention-country")


def test_in_french(page):
    sign_in(page, "louis.reviewer")
    page.goto("/prevention/SDN?lang=fr")
    assert page.get_by_role(
        "heading", name="Évaluation des analystes (Cadre d'analyse des Nations Unies, 2014)"
    ).is_visible()
    assert serious_violations(page) == []
