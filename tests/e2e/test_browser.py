"""The web application in a real browser: Debian's Chromium driven by Playwright (never a
downloaded browser), against a live server on loopback with the fictional demo data.

Covers the issue's path: sign in; register an incoming request with a Cyrillic name; see the
screening report and the refugee match; record a decision that needs a supervisor; see it
blocked until approval; switch to French; decide on a candidate with the keyboard alone.
Screenshots of the main pages go to build/screenshots/ (emptied first), and axe-core (from the
npm registry, injected into each page) must report no serious or critical accessibility
violation. Every request that is not to the loopback server is blocked and fails the test:
the pages, the chart and the map need nothing from the internet. Anything the pages'
Content-Security-Policy blocks (an inline script or style, an eval) fails the test too.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from judicare.app import FixedClock, create_app
from judicare.asgi import create_api
from judicare.bootstrap import upgrade_database
from judicare.demo import DEMO_PASSWORD, load_demo
from judicare.files.store import MemoryFileStore
from judicare.settings import Settings
from judicare.web.i18n import Translator
from tests.conftest import TODAY
from tests.waiting import eventually

CHROMIUM = Path(os.environ.get("JUDICARE_CHROMIUM", "/usr/bin/chromium"))
ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "tests" / "e2e" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "build" / "screenshots"
FRENCH = Translator("fr")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

playwright_api = pytest.importorskip("playwright.sync_api")
# A locator assertion (`expect`) waits 5 s by default, a third of what the tabs give every
# other wait (`set_default_timeout(15_000)` below): an assertion waiting for the live panel's
# answer needs the same patience on a loaded machine. It still ends as soon as it holds.
playwright_api.expect.set_options(timeout=15_000)

if not (CHROMIUM.exists() and AXE.exists()):
    why = f"needs {CHROMIUM} (apt-get install chromium) and {AXE} (scripts/test installs it)"
    if IN_CI:
        raise RuntimeError(f"browser tests cannot run in CI: {why}")
    pytest.skip(why, allow_module_level=True)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The API and pages on a free loopback port, on a demo SQLite database."""

    folder = tmp_path_factory.mktemp("browser")
    app = create_app(
        Settings(database_url=f"sqlite:///{folder / 'judicare.db'}", environment="test",
                 data_dir=folder),
        clock=FixedClock(TODAY),
        file_store=MemoryFileStore(),
    )  # fmt: skip
    upgrade_database(app)
    load_demo(app)
    with serving(create_api(app)) as url:
        yield url
    app.dispose()


@pytest.fixture(scope="module")
def browser():
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)  # only this run's pictures
    with chromium() as launched:
        yield launched


@contextmanager
def serving(asgi_app) -> Iterator[str]:
    """`asgi_app` served on a free loopback port, in a thread of this process; its URL.

    The port is bound here and the bound socket handed to the server: a port found free and
    bound later by the server could be taken in between (by another test process of the run,
    or by a client connection's own port), and the server thread would then end silently."""
    import uvicorn

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    instance = uvicorn.Server(
        uvicorn.Config(asgi_app, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=instance.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()

    def started() -> bool:
        if not thread.is_alive():
            raise AssertionError(f"the server on port {port} stopped before it started")
        return instance.started

    try:
        eventually(started, "the server starts", timeout=120, every=0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        instance.should_exit = True
        thread.join(timeout=10)
        listener.close()


@contextmanager
def chromium() -> Iterator[object]:
    """Debian's Chromium, headless, adding to build/screenshots/ (the browser tests of other
    modules use it as their `browser`; this module's empties the folder first)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    assert shutil.which(str(CHROMIUM)), f"{CHROMIUM} is missing (apt-get install chromium)"
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield launched
        launched.close()


LOOPBACK = ("127.0.0.1", "localhost")


@pytest.fixture
def page(browser, server):
    """A tab that may reach only the loopback server; anything else is blocked and listed."""
    context = browser.new_context(base_url=server, locale="en-GB")
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    outside: list[str] = []

    def only_loopback(route) -> None:
        url = route.request.url
        if urlsplit(url).scheme in ("data", "blob") or urlsplit(url).hostname in LOOPBACK:
            route.continue_()
        else:
            outside.append(url)
            route.abort("blockedbyclient")

    tab.route("**/*", only_loopback)
    refused: list[str] = []  # what the Content-Security-Policy blocked, as Chromium says
    tab.on("console", lambda message: _note_policy_violation(message.text, refused))
    yield tab
    context.close()
    assert not outside, f"the pages asked for something outside this server: {outside}"
    assert not refused, f"the Content-Security-Policy blocked something: {refused}"


def _note_policy_violation(text: str, refused: list[str]) -> None:
    if "Content Security Policy" in text or "Content-Security-Policy" in text:
        refused.append(text[:300])


def sign_in(page, username: str) -> None:
    page.goto("/login")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/$"))


def sign_out(page) -> None:
    page.get_by_role("button", name=re.compile("Sign out|Se déconnecter|Afmelden")).click()
    page.wait_for_url(re.compile(r"/login"))


def shoot(page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def serious_violations(page) -> list[dict]:
    # A click returns once the next page's address is committed, and a test then often waits
    # only for an element near its top: axe must see the whole page, not the part parsed so
    # far (a label whose field is not parsed yet is a violation). At once if already loaded.
    page.wait_for_load_state()
    # evaluated by the driver, not added as an inline <script>: the pages' policy refuses those
    page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
             .map(v => ({id: v.id, impact: v.impact, help: v.help,
                         targets: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"""
    )
    return [v for v in found if v["impact"] in ("serious", "critical")]


def register_incoming_request(page) -> str:
    """Fill the intake form as an officer would; returns the new request's URL."""
    page.goto("/requests/new")
    page.get_by_label("Kind of cooperation").select_option("mla")
    page.get_by_label(re.compile(r"^Requesting state")).fill("KAZ")
    page.get_by_label(re.compile(r"^Requested state")).fill("BEL")
    page.get_by_label(re.compile(r"^Requesting authority")).fill(
        "Prosecutor General's Office (fictional)"
    )
    page.get_by_label("Crimes against humanity").check()
    page.get_by_label(re.compile(r"^Summary of the facts")).fill(
        "Fictional facts: a witness saw the dispersal of a demonstration in a fictional town."
    )
    page.get_by_label("Hearing of a witness").check()
    page.get_by_label("Role").select_option("witness")
    page.get_by_label("Name in the original script").fill("Жанар Нурланқызы Тестбаева")
    page.get_by_label("Birth date").fill("1984-03")
    page.get_by_label("Nationality").fill("KAZ")
    # The live panel resolves the legal basis while the officer types.
    page.locator("#live-check").get_by_text("be-mla-2004").first.wait_for()
    page.get_by_role("button", name="Register the request").click()
    page.wait_for_url(re.compile(r"/requests/\d+$"))
    return page.url


def test_the_officers_path_through_the_application(page):
    page.goto("/login")
    shoot(page, "01-login")
    assert not serious_violations(page)
    sign_in(page, "anna.officer")
    shoot(page, "02-dashboard")
    assert not serious_violations(page)

    url = register_incoming_request(page)
    assert page.get_by_text("The request was registered.").is_visible()
    assert page.locator(".original-name", has_text="Жанар Нурланқызы Тестбаева").is_visible()
    # The screening report finds the refugee, who fears persecution by the requesting state.
    screening = page.locator("#screening")
    screening.get_by_text("DEMO-R-0001").first.wait_for()
    assert screening.locator("tr.persecution-risk").count() >= 1
    assert "Protected status" in screening.locator("#finding-protected_status").inner_text()
    shoot(page, "03-request-with-screening")
    assert not serious_violations(page)

    for step in ("Registered", "Under review"):
        page.get_by_label("Move the request to").select_option(label=step)
        page.get_by_role("button", name="Apply").click()
        page.wait_for_load_state()
    sign_out(page)

    # A legal reviewer proposes a refusal, citing the finding: it needs a supervisor.
    sign_in(page, "louis.reviewer")
    page.goto(url)
    page.locator("#finding-choices").get_by_label(re.compile("^Protected status")).check()
    page.get_by_label("Outcome").select_option("refuse")
    page.get_by_label("Reasons").fill("The person is a refugee who fears the requesting state.")
    page.get_by_label(re.compile("I confirm the refusal")).check()
    page.get_by_role("button", name="Record the decision").click()
    page.wait_for_url(re.compile(r"#decision$"))
    assert page.get_by_text("Awaiting a supervisor's approval").first.is_visible()
    assert page.get_by_text("has no effect until a supervisor approves it").is_visible()
    assert page.locator("h1 .badge").inner_text() == "Under review"  # blocked
    shoot(page, "04-decision-awaiting-approval")
    sign_out(page)

    sign_in(page, "sofie.supervisor")
    assert page.get_by_text("Decisions awaiting your approval").is_visible()
    page.goto(url)
    page.get_by_label("Note on the approval").fill("Agreed: non-refoulement.")
    page.get_by_role("button", name="Approve").click()
    page.wait_for_url(re.compile(r"#decision$"))
    assert page.locator("h1 .badge").inner_text() == "Refused"

    # Switch to French: the same page, in French.
    page.get_by_label("Language").select_option("fr")
    page.get_by_role("button", name="Change").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("h1 .badge").inner_text() == FRENCH.gettext("Refused") != "Refused"
    shoot(page, "05-request-in-french")
    assert not serious_violations(page)


def test_main_pages_are_accessible_and_photographed(page):
    sign_in(page, "marc.auditor")
    for name, path in (
        ("06-requests", "/requests"),
        ("07-treaty-rome", "/treaties/rome-1998"),
        ("08-audit", "/audit"),
    ):
        page.goto(path)
        shoot(page, name)
        assert not serious_violations(page), path
    sign_out(page)
    sign_in(page, "anna.officer")
    for name, path in (
        ("09-outgoing-wizard", "/requests/new?direction=outgoing"),
        ("10-incoming-intake", "/requests/new"),
        ("11-error-page", "/requests/999999"),
    ):
        page.goto(path)
        shoot(page, name)
        assert not serious_violations(page), path
    assert page.get_by_role("alert").is_visible()  # the error page says what went wrong
    sign_out(page)
    sign_in(page, "nina.nodeadmin")
    page.goto("/registers")
    shoot(page, "12-registers-import")
    assert not serious_violations(page)


def test_keyboard_only(page):
    """Sign in and reach the request list without a mouse."""
    page.goto("/login")
    for _ in range(10):
        if page.evaluate("document.activeElement.id") == "username":
            break
        page.keyboard.press("Tab")
    page.keyboard.type("anna.officer")
    page.keyboard.press("Tab")
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/$"))
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Requests":
            break
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/requests$"))


def test_errors_next_to_fields_in_french(page):
    sign_in(page, "anna.officer")
    page.get_by_label("Language").select_option("fr")
    page.get_by_role("button", name="Change").click()
    page.wait_for_load_state()
    page.goto("/requests/new")
    page.get_by_role("button", name=FRENCH.gettext("Register the request")).click()
    error = page.locator("#facts_summary-error")
    assert error.inner_text() == "Ce champ est obligatoire."
    assert page.locator("#facts_summary").get_attribute("aria-invalid") == "true"


def tab_to(page, selector: str, presses: int = 400) -> None:
    """Press Tab from the top of the page until the focus is on `selector`."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_keyboard_only_decision_on_a_candidate(page):
    """Enter in the reason field must not confirm a match: the choice is explicit (Space on a
    radio button), and the one submit button records it."""
    sign_in(page, "anna.officer")
    page.locator("#language-choice").select_option("en")  # an earlier test chose French
    page.locator(".language-form button").click()
    page.wait_for_load_state()
    register_incoming_request(page)
    first_row = ".candidate-form"
    page.locator(first_row).first.wait_for()
    reason = f"{first_row} input[name=reason]"
    tab_to(page, reason)
    page.keyboard.type("Same birth date and photograph (keyboard).")
    # a key press, unlike a click, does not wait for the navigation it starts: a load state
    # asked for at once is the old page's
    with page.expect_navigation():
        page.keyboard.press("Enter")  # no choice made yet: refused, next to the radio buttons
    error = page.locator(".candidate-form .field-error").first
    assert "Choose whether this is the same person" in error.inner_text()
    assert page.locator(reason).first.input_value() == "Same birth date and photograph (keyboard)."
    assert not page.locator("#screening").get_by_text("— anna.officer:").count()
    shoot(page, "13-candidate-choice-missing")
    assert not serious_violations(page)

    tab_to(page, f"{first_row} input[type=radio]")
    page.keyboard.press("Space")
    assert page.evaluate("document.activeElement.checked")
    assert page.evaluate("document.activeElement.value") == "confirmed"
    page.keyboard.press("Tab")  # to the reason, still as typed
    assert page.evaluate("document.activeElement.name") == "reason"
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the one submit button
    page.wait_for_url(re.compile(r"#screening$"))
    page.locator("#screening").get_by_text("anna.officer: Same birth date").first.wait_for()
    assert page.get_by_text("Your decision on the candidate was recorded.").is_visible()


def test_keyboard_only_wizard_step_list(page):
    """The wizard's step list: earlier steps are buttons reached with Tab, and going back by
    it keeps what was typed; Enter in a field moves on, as Next does."""
    sign_in(page, "anna.officer")
    page.locator("#language-choice").select_option("en")  # an earlier test chose French
    page.locator(".language-form button").click()
    page.wait_for_load_state()
    page.goto("/requests/new?direction=outgoing")
    page.get_by_label("Kind of cooperation").select_option("mla")
    page.get_by_label(re.compile(r"^Requesting state")).fill("BEL")
    page.get_by_label(re.compile(r"^Requested state")).fill("KAZ")
    page.get_by_label(re.compile(r"^Requesting authority")).fill("Federal Prosecutor (fictional)")
    with page.expect_navigation():
        page.get_by_label(re.compile(r"^Requesting authority")).press("Enter")  # = Next
    assert "Offences and facts" in page.locator("[aria-current=step]").inner_text()
    page.get_by_label(re.compile(r"^Summary of the facts")).fill(
        "Fictional facts typed at step two."
    )
    tab_to(page, "button[value='goto-0']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Parties and legal basis" in page.locator("[aria-current=step]").inner_text()
    assert page.get_by_label(re.compile(r"^Requesting authority")).input_value() == (
        "Federal Prosecutor (fictional)"
    )
    tab_to(page, "button[value='goto-1']")  # reached before: offered going forward too
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_label(re.compile(r"^Summary of the facts")).input_value() == (
        "Fictional facts typed at step two."
    )
    shoot(page, "14-wizard-step-list")
    assert not serious_violations(page)


def test_register_import_announces_each_phase_once(page, monkeypatch):
    """The check and the write both show progress on a labelled <progress>; the live region
    speaks when the phase changes or the job ends, not at every redraw."""
    from judicare.web import registers

    real = registers._progress
    # The test holds the check after each row until it lets rows go: the page is watched
    # while the check runs however slow the machine is (no race with a sleep).
    rows_let_go = threading.Semaphore(0)

    def held(job):
        report = real(job)

        def checked(done: int, total: int) -> None:
            report(done, total)
            if done < total:
                rows_let_go.acquire(timeout=120)

        return checked

    monkeypatch.setattr(registers, "_progress", held)
    monkeypatch.setattr(registers, "PROGRESS_EVERY", 1)
    monkeypatch.setattr(registers, "QUICK_CHECK", 0.0)
    rows = "".join(
        f"E{n},Person {n}|Персона {n},1970,RUS,refugee,RUS,2020-01-01\n" for n in range(30)
    )
    header = "id,names,birth_date,nationality,status,country_of_feared_persecution,status_date\n"
    sign_in(page, "nina.nodeadmin")
    page.goto("/registers")
    page.get_by_label(re.compile(r"^Register name")).fill("browser-progress")
    page.get_by_label(re.compile(r"^CSV file")).set_input_files(
        files=[{"name": "r.csv", "mimeType": "text/csv", "buffer": (header + rows).encode()}]
    )
    page.get_by_role("button", name="Import").click()
    page.wait_for_url(re.compile(r"/registers/import$"))
    page.evaluate(
        """() => { window.spoken = []; window.counts = new Set();
             const live = document.getElementById('import-announce');
             new MutationObserver(() => window.spoken.push(live.textContent))
               .observe(live, {childList: true, characterData: true, subtree: true});
             document.addEventListener('htmx:afterSettle', () => {
               const count = document.getElementById('import-count');
               if (count) window.counts.add(count.textContent.trim()); }); }"""
    )
    assert page.get_by_role("progressbar", name="Rows checked").is_visible()
    assert not page.locator("#import-job [role=status]").count()
    assert not serious_violations(page)
    shoot(page, "15-register-import-checking")
    counted = "n => [...window.counts].filter(c => c.includes('rows checked')).length >= n"
    page.wait_for_function(counted, arg=1, timeout=60_000)
    rows_let_go.release(10)  # the count moves while the check is still running
    page.wait_for_function(counted, arg=2, timeout=60_000)
    rows_let_go.release(100)
    page.locator("#import-announce", has_text="Imported: 30 added").wait_for(timeout=30_000)
    spoken = page.evaluate("window.spoken")
    counts = page.evaluate("[...window.counts]")
    assert spoken[-1] == "Imported: 30 added, 0 updated."
    assert all(a != b for a, b in itertools.pairwise(spoken)), spoken  # never the same twice
    assert len(spoken) <= 2, spoken  # importing (if seen), then the end
    assert sum("rows checked" in c for c in counts) >= 2, counts  # the count moved meanwhile


def test_the_pages_and_the_api_docs_run_under_the_content_security_policy(page):
    """The policy allows only this server's scripts and styles: HTMX, the charts, the live
    panels and Swagger UI must work without inline code (the `page` fixture fails the test on
    any violation Chromium reports)."""
    page.goto("/docs")
    page.locator(".swagger-ui .opblock").first.wait_for()  # rendered from /openapi.json
    assert page.get_by_text("/api/v1/requests").first.is_visible()
    sign_in(page, "anna.officer")
    for path in ("/treaties", "/treaties/rome-1998", "/requests/new", "/requests"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
    with page.expect_response(re.compile(r"/requests\?.*q=Test")):  # HTMX asks for the table
        page.get_by_label(re.compile("^Words in reference")).press_sequentially("Test")
    page.wait_for_load_state("networkidle")
