"""The Evidence section of the request page in a real browser (Debian's Chromium driven by
Playwright, on a loopback server with the demo data): the items and their custody events
are shown, the bag downloads and validates, and axe finds nothing serious or critical, in
English, French and Dutch."""

from __future__ import annotations

import zipfile

import pytest

from judicare.app import FixedClock, create_app
from judicare.asgi import create_api
from judicare.bootstrap import upgrade_database
from judicare.cli_support import acting_user
from judicare.demo import load_demo
from judicare.evidence import bags, service
from judicare.evidence.custody import EventKind
from judicare.files.store import MemoryFileStore
from judicare.requests.schemas import RequestCreate
from judicare.requests.service import create_request
from judicare.settings import Settings
from tests.conftest import TODAY
from tests.e2e import test_browser as base
from tests.e2e.test_browser import (
    serious_violations,
    shoot,
    sign_in,
)
from tests.integration.api_support import request_body

HERE = service.Custody(where="Brussels, evidence room 2", why="hearing of witness W-1")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """(URL, app, request id): a loopback server on a demo database where anna.officer's
    request holds a sealed original and a working copy derived from it."""

    folder = tmp_path_factory.mktemp("browser-evidence")
    app = create_app(
        Settings(database_url=f"sqlite:///{folder / 'judicare.db'}", environment="test",
                 data_dir=folder),
        clock=FixedClock(TODAY), file_store=MemoryFileStore(),
    )  # fmt: skip
    upgrade_database(app)
    load_demo(app)
    with app.unit_of_work() as uow:
        who = acting_user(uow.session, "anna.officer")
        body = request_body(direction="incoming", requesting_state="KZ", requested_state="BE")
        _, detail, _ = create_request(uow.session, who, RequestCreate.model_validate(body),
                                      now=app.now(), basis=None, why="test")  # fmt: skip
        rid = detail["id"]
        item = service.add_item(
            uow.session, app.file_store, who, rid, chunks=[b"RIFF recording"],
            filename="hearing.wav", media_type="audio/wav",
            description="Recording of the hearing of witness W-1", custody_of=HERE,
            now=app.now(), limit=1_000_000,
        )  # fmt: skip
        service.record_event(uow.session, who, rid, item["id"], EventKind.SEALED,
                             custody_of=HERE, now=app.now())  # fmt: skip
        service.add_working_copy(
            uow.session, app.file_store, who, rid, item["id"], chunks=[b"RIFF redacted"],
            filename="hearing-redacted.wav", media_type="audio/wav",
            how="the witness's voice altered", custody_of=HERE, now=app.now(), limit=1_000_000,
        )  # fmt: skip
        uow.commit()
    with base.serving(create_api(app)) as url:
        yield url, app, rid
    app.dispose()


@pytest.fixture(scope="module")
def browser():
    """Chromium, adding to the screenshots of the other browser tests."""
    with base.chromium() as launched:
        yield launched


@pytest.fixture
def page(browser, served):
    context = browser.new_context(base_url=served[0], locale="en-GB", accept_downloads=True)
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


@pytest.mark.parametrize(
    ("lang", "heading", "sealed", "copy"),
    [("en", "Evidence", "sealed original", "working copy of hearing.wav"),
     ("fr", "Éléments de preuve", "original scellé", "copie de travail de hearing.wav"),
     ("nl", "Bewijsmateriaal", "verzegeld origineel", "werkkopie van hearing.wav")],
)  # fmt: skip
def test_the_evidence_section_reads_well_in_each_language(
    page, served, lang, heading, sealed, copy
):
    _, _, rid = served
    sign_in(page, "anna.officer")
    page.goto(f"/requests/{rid}")
    page.locator("#language-choice").select_option(lang)
    # the next page's <html lang> is parsed long before its evidence section: wait for the
    # page's load, not for its first element, before reading the section
    with page.expect_navigation():
        page.locator(".language-form button[type=submit]").click()
    page.wait_for_selector(f"html[lang='{lang}']")
    section = page.locator("section[aria-labelledby='evidence']")
    assert section.get_by_role("heading", name=heading).is_visible()
    text = section.inner_text()
    assert "hearing.wav" in text and sealed in text and "Brussels, evidence room 2" in text
    assert copy in text
    shoot(page, f"evidence-{lang}")
    assert serious_violations(page) == []


def test_the_bag_downloads_and_validates(page, served, tmp_path):
    _, _, rid = served
    sign_in(page, "anna.officer")
    page.goto(f"/requests/{rid}")
    with page.expect_download() as download:
        page.locator("a[href$='/evidence.bag.zip']").click()
    saved = tmp_path / "bag.zip"
    download.value.save_as(saved)
    with zipfile.ZipFile(saved) as archive:
        archive.extractall(tmp_path / "bag")
    report = bags.verify(tmp_path / "bag")
    assert report.valid, report.errors
    assert [i["kind"] for i in report.items] == ["original", "working_copy"]
