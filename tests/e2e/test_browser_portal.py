"""Issue 19: the public portal in a real browser (Debian's Chromium driven by Playwright),
live and as the static export served by a plain loopback file server. axe-core finds nothing
serious or critical on the pages in English, French and Dutch, and nothing is fetched from
outside the loopback server."""

from __future__ import annotations

import functools
import threading
from datetime import UTC, datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from judicare.app import FixedClock, create_app
from judicare.asgi import create_api
from judicare.auth.permissions import Principal, Role
from judicare.bootstrap import upgrade_database
from judicare.demo import load_demo
from judicare.files.store import MemoryFileStore
from judicare.settings import Settings
from judicare.treaties import desk_service as desk
from judicare.web.portal_export import export_portal
from tests.conftest import TODAY
from tests.e2e import test_browser as base
from tests.e2e.test_browser import serious_violations, shoot

PAGES = [
    "en/index.html",
    "fr/instruments/lhc-2023.html",
    "nl/states/BEL.html",
    "en/statements/icc-joint-statement-2024-06.html",
    "fr/notifications.html",
    "nl/instruments/rome-1998.html",
    "en/statistics.html",
    "nl/statistics.html",
]


def _notify(app) -> None:
    store, now = MemoryFileStore(), datetime(2026, 11, 20, 9, tzinfo=UTC)
    eva = Principal(1, "eva.depositary", Role.DEPOSITARY_OFFICER, "BEL-CA")
    jan = Principal(2, "jan.depositary", Role.DEPOSITARY_OFFICER, "BEL-CA")
    with app.unit_of_work() as uow:
        receipt = desk.parse_receipt(
            instrument_id="lhc-2023", state="BEL", kind="ratification",
            deposited_on="2026-03-02", signatory="Minister",
            capacity="minister_for_foreign_affairs",
        )  # fmt: skip
        desk.receive(uow.session, store, eva, receipt, ("scan.pdf", b"%PDF"), location="Vault",
                     now=now, today=TODAY)  # fmt: skip
        desk.issue(uow.session, store, jan, "lhc-2023", 1, now=now)
        uow.commit()


@pytest.fixture(scope="module")
def portal_app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("portal")
    app = create_app(
        Settings(database_url=f"sqlite:///{folder / 'judicare.db'}", environment="test",
                 data_dir=folder),
        clock=FixedClock(TODAY),
        file_store=MemoryFileStore(),
    )  # fmt: skip
    upgrade_database(app)
    load_demo(app)
    _notify(app)
    yield app
    app.dispose()


def _serve_in_thread(server) -> None:
    threading.Thread(target=server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def server(portal_app):
    """The live portal (the whole API and pages) on a free loopback port."""

    with base.serving(create_api(portal_app)) as url:
        yield url


@pytest.fixture(scope="module")
def static_site(portal_app, tmp_path_factory):
    """The static export, served by Python's plain file server on loopback."""
    folder = tmp_path_factory.mktemp("export") / "site"
    export_portal(portal_app, folder)
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    _serve_in_thread(httpd)
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    """Chromium, adding to the screenshots of the other browser tests."""
    with base.chromium() as launched:
        yield launched


page = base.page  # a tab on `server` that may reach only loopback, CSP violations listed


@pytest.fixture
def static_page(browser, static_site):
    context = browser.new_context(base_url=static_site, locale="en-GB")
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    outside: list[str] = []

    def only_loopback(route) -> None:
        if urlsplit(route.request.url).hostname in base.LOOPBACK:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort("blockedbyclient")

    tab.route("**/*", only_loopback)
    yield tab
    context.close()
    assert not outside, f"the export asked for something outside the server: {outside}"


@pytest.mark.parametrize("path", PAGES)
def test_live_portal_pages_pass_axe_without_signing_in(page, path):
    response = page.goto(f"/public/{path}")
    assert response.status == 200
    assert page.locator("h1").count() == 1
    assert serious_violations(page) == []
    shoot(page, "portal-live-" + path.replace("/", "-").removesuffix(".html"))


@pytest.mark.parametrize("path", PAGES)
def test_static_export_pages_pass_axe(static_page, path):
    response = static_page.goto(f"/{path}")
    assert response.status == 200
    assert serious_violations(static_page) == []


def test_the_static_export_links_work_without_a_server_behind_it(static_page):
    static_page.goto("/index.html")
    static_page.get_by_role("link", name="Portail public en français").click()
    static_page.wait_for_url("**/fr/index.html")
    static_page.get_by_role("link", name="Ljubljana–The Hague Convention").click()
    # a click returns once the next page's address is committed, before the page is read:
    # wait for its load before looking at what it holds
    static_page.wait_for_url("**/fr/instruments/lhc-2023.html")
    assert static_page.locator("#n1").count() == 1
    static_page.get_by_role("link", name="Nederlands").click()
    static_page.wait_for_url("**/nl/instruments/lhc-2023.html")
    static_page.get_by_role("link", name="Staten", exact=True).first.click()
    static_page.wait_for_url("**/nl/states/index.html")


def test_the_live_form_shows_the_status_on_another_date(page):
    page.goto("/public/en/instruments/lhc-2023.html")
    page.get_by_label("Status on", exact=True).fill("2024-02-14")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**on=2024-02-14")
    assert page.get_by_role("heading", name="Status on Feb 14, 2024").count() == 1


def test_the_depositary_desk_passes_axe_in_english_and_french(page):
    base.sign_in(page, "eva.depositary")
    page.goto("/treaties/desk")
    assert page.get_by_role("heading", name="Depositary desk").count() == 1
    assert serious_violations(page) == []
    shoot(page, "depositary-desk")
    page.goto("/treaties/desk?lang=fr")
    assert page.get_by_role("heading", name="Bureau du dépositaire").count() == 1
    assert serious_violations(page) == []
