"""Issue 17, points 5, 6 and 10, in a real browser (Debian's Chromium driven by Playwright,
on the loopback server and demo data of `test_browser.py`):

5. an outgoing extradition request to another Member State is drafted as extradition: the
   wizard asks for the warrant, the offences' time and place, the law, the person sought,
   provisional arrest and the European arrest warrant's fields, never MLA measures; the live
   panel cites the paragraphs; the registered request keeps them and its date reads as sent;
6. in French and Dutch the crimes, the screening's gists and next steps and the treaty
   caveats are in the page's language; English-only titles are marked as English;
10. the error summary names each field, limits are stated next to the fields, and an error
   page shows nothing of the fault (no traceback, no exception name).
Each would have failed before: the wizard offered MLA measures only, the crimes and caveats
were in English ("au after 2025-08-28 …"), the summary repeated "This field is required."
without a field, and a fault answered a page with JSON.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e import test_browser as base
from tests.e2e.test_browser import (
    serious_violations,
    shoot,
    sign_in,
)

server = base.server  # the same loopback server and tab (fixtures of test_browser.py)
page = base.page


@pytest.fixture(scope="module")
def browser():
    """Chromium, adding to the screenshots of the other browser tests."""
    with base.chromium() as launched:
        yield launched


def choose_language(page, lang: str) -> None:
    page.locator("#language-choice").select_option(lang)
    page.locator(".language-form button").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == lang


def next_step(page) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="Next", exact=True).click()


def test_point_5_extradition_is_drafted_as_extradition(page):
    sign_in(page, "anna.officer")
    choose_language(page, "en")
    page.goto("/requests/new?direction=outgoing")
    page.get_by_label("Kind of cooperation").select_option("extradition")
    page.get_by_label(re.compile(r"^Requesting state")).fill("BEL")
    page.get_by_label(re.compile(r"^Requested state")).fill("AUT")
    page.get_by_label(re.compile(r"^Requesting authority \(")).fill(
        "Investigating judge, Brussels (fictional)"
    )
    assert page.get_by_label(re.compile(r"^Date of the request")).is_visible()
    next_step(page)

    page.get_by_label("Genocide", exact=True).check()
    page.get_by_label(re.compile(r"^Statement of the offences")).fill(
        "Fictional offences: killings in a fictional village in July 1995."
    )
    page.get_by_label(re.compile(r"^When the offences were committed")).fill("12-14 July 1995")
    page.get_by_label(re.compile(r"^Where the offences were committed")).fill("Fictional town")
    page.get_by_label(re.compile(r"^Legal descriptions of the offences")).fill(
        "Genocide, art. 136bis Criminal Code (fictional citation)"
    )
    next_step(page)

    assert "Warrant, offences and person sought" in page.locator("[aria-current=step]").inner_text()
    assert page.locator("legend", has_text="Measures").count() == 0  # no MLA measures
    page.get_by_label("Warrant or judgment", exact=True).select_option("arrest_warrant")
    page.get_by_label(re.compile(r"^Reference of the warrant")).fill("AW-FICT-2026-1")
    page.get_by_label(re.compile(r"^Text of the relevant enactments")).fill(
        "Art. 136bis (fictional): genocide is punished by life imprisonment."
    )
    page.get_by_label(re.compile(r"^Description of the person sought")).fill("Fictional: 1.80 m")
    page.get_by_label("Provisional arrest is asked for").check()
    page.get_by_label(re.compile(r"^Why the matter is urgent")).fill("He may leave (fictional).")
    eaw = page.locator("fieldset.eaw")  # BEL and AUT apply the European arrest warrant
    assert eaw.is_visible()
    eaw.get_by_label(re.compile(r"^E-mail address")).fill("judge@example.invalid")
    panel = page.locator("#live-check")
    panel.get_by_text("eu-eaw-2002 art. 8(1)").first.wait_for()
    assert "(art. 8(1)(f))" in panel.locator("ul.missing").inner_text()  # the penalty, cited
    shoot(page, "officer-a-extradition-step")
    assert not serious_violations(page)
    next_step(page)  # persons
    page.get_by_label("Role").select_option("suspect")
    page.get_by_label("Name in the original script").fill("Ivan Fictivnyi")
    next_step(page)  # review
    review = page.locator("dl.extradition-review").inner_text()
    assert "AW-FICT-2026-1" in review and "He may leave (fictional)." in review
    page.get_by_role("button", name="Register the request").click()
    page.wait_for_url(re.compile(r"/requests/\d+$"))
    facts = page.locator("section.extradition").inner_text()
    assert "AW-FICT-2026-1" in facts and "judge@example.invalid" in facts
    assert page.get_by_text("Date of the request (sent)").is_visible()
    assert page.locator("dt", has_text=re.compile(r"^Received$")).count() == 0
    shoot(page, "officer-a-extradition-registered")
    assert not serious_violations(page)
    for lang in ("fr", "nl"):  # the extradition step, accessible in the other languages
        choose_language(page, lang)
        page.goto("/requests/new?direction=outgoing")
        assert not serious_violations(page), lang
    choose_language(page, "en")


@pytest.mark.parametrize(
    ("lang", "crime", "gist"),
    [
        ("fr", "Crimes contre l'humanité", "un point qu'une personne doit examiner"),
        ("nl", "Misdrijven tegen de menselijkheid", "een punt dat een persoon moet onderzoeken"),
    ],
)
def test_point_6_legal_content_in_the_users_language(page, lang, crime, gist):
    sign_in(page, "anna.officer")
    choose_language(page, lang)
    page.goto("/requests/new")
    assert page.get_by_label(crime, exact=True).is_visible()
    assert page.get_by_text("Crimes against humanity", exact=True).count() == 0
    page.goto("/treaties/lhc-2023")
    status = page.locator("#status-title").locator("xpath=..").inner_text()
    assert "after 2025" not in status and "latest event" not in status
    assert "(not confirmed" not in status and "UNSURE" not in status
    assert page.locator("h1 .title-note").is_visible()  # the English title, marked as such
    assert page.locator("h1 [lang=en]").count() == 1
    shoot(page, f"officer-a-treaty-{lang}")
    assert not serious_violations(page)
    page.goto("/requests")
    page.locator("table.requests tbody tr a").first.click()
    page.wait_for_url(re.compile(r"/requests/\d+$"))
    page.goto(page.url + "/screening")
    assert page.locator("p.finding-gist", has_text=gist).first.is_visible()
    shoot(page, f"officer-a-screening-{lang}")
    assert not serious_violations(page)
    choose_language(page, "en")


def test_point_10_errors_name_their_fields_and_hide_the_fault(page, monkeypatch):
    sign_in(page, "anna.officer")
    choose_language(page, "en")
    page.goto("/requests/new")
    hint = page.locator("#requesting_authority-limit")
    assert hint.inner_text() == "At most 500 characters."
    assert "requesting_authority-limit" in page.locator("#requesting_authority").get_attribute(
        "aria-describedby"
    )
    page.get_by_label(re.compile(r"^Received on")).fill("")
    page.get_by_role("button", name="Register the request").click()
    page.wait_for_load_state()
    summary = page.locator("#error-summary").inner_text()
    for line in (
        "Requesting authority: This field is required.",
        "Summary of the facts: This field is required.",
        "Received on: This field is required.",
    ):
        assert line in summary, summary
    page.locator("#error-summary a", has_text="Summary of the facts").click()
    # the browser moves the focus to a link's target when it scrolls to it, which may come
    # after the click has returned: wait for the focus rather than read it at once
    expect(page.locator("#facts_summary")).to_be_focused()
    shoot(page, "officer-a-error-summary")
    assert not serious_violations(page)

    from judicare.web import treaty_pages

    def broken(*_args, **_kwargs):
        raise RuntimeError("SECRET-INTERNAL-DETAIL")

    monkeypatch.setattr(treaty_pages, "line_chart", broken)
    response = page.goto("/treaties/coe-extradition-1957")
    assert response.status == 500
    assert response.headers["content-type"].startswith("text/html")
    text = page.locator("body").inner_text()
    assert "Something went wrong on our side" in text
    for secret in ("SECRET-INTERNAL-DETAIL", "RuntimeError", "Traceback", "line_chart"):
        assert secret not in page.content(), secret
    monkeypatch.undo()
    page.goto("/no-such-page")
    assert "Not Found" not in page.locator("main").inner_text()
    assert not serious_violations(page)
