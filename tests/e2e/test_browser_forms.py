"""Issue 17, the officer's forms, in a real browser (Debian's Chromium driven by Playwright,
on the loopback server and demo data of `test_browser.py`):

1. the one-page incoming form asks for what ECE art. 12(2) requires (the warrant or
   judgment, the offences' time and place, the enactments, the person sought) and
   provisional arrest (art. 16) as soon as the kind is extradition, and the live panel counts
   them;
2. the officers' forms state each field's limit next to it, read with the field;
3. the outgoing wizard is saved as a draft, found again under "My drafts", resumed at its
   step with its fields, and a document chosen at the review step survives a change of step;
   nobody else sees the draft;
4. in French and Dutch a screening rule's wording the data gives only in English stays in the
   marked section, `lang="en"`, with a sentence saying so.
Each would have failed before: none of these fields, hints, buttons or sentences existed.
axe finds nothing serious or critical in English, French and Dutch.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from playwright.sync_api import expect

from tests.e2e import test_browser as base
from tests.e2e.test_browser import serious_violations, shoot, sign_in, sign_out
from tests.e2e.test_browser_casefile import browser  # noqa: F401  (keeps the screenshots)

server = base.server
page = base.page


def _english(page) -> None:
    page.locator("#language-choice").select_option("en")  # an earlier test may have chosen fr
    page.locator(".language-form button").click()
    page.wait_for_load_state()


def _missing(page) -> str:
    return " ".join(page.locator("#live-check").inner_text().split())


def test_point_1_the_incoming_form_asks_for_the_extradition_contents(page):
    sign_in(page, "anna.officer")
    _english(page)
    page.goto("/requests/new")
    entry = page.locator("#extradition-entry")
    assert not entry.is_visible()  # an MLA request asks for measures instead
    page.get_by_label("Kind of cooperation").select_option("extradition")
    entry.wait_for(state="visible")
    assert not page.locator("fieldset.mla-entry").is_visible()
    page.get_by_label(re.compile(r"^Requesting state")).fill("KAZ")
    page.get_by_label(re.compile(r"^Requested state")).fill("BEL")
    page.get_by_label(re.compile(r"^Requesting authority \(")).fill("Prosecutor (fictional)")
    page.get_by_label("Genocide", exact=True).check()
    page.get_by_label(re.compile(r"^Summary of the facts")).fill("Fictional offences.")
    page.locator("#live-check").get_by_text("A description of the person sought").wait_for()
    assert "When and where the offences were committed" in _missing(page)
    page.get_by_label("Warrant or judgment", exact=True).select_option("arrest_warrant")
    page.get_by_label(re.compile(r"^Reference of the warrant or judgment")).fill("AW-B-1")
    page.get_by_label(re.compile(r"^When the offences were committed")).fill("July 1995")
    page.get_by_label(re.compile(r"^Where the offences were committed")).fill("Fictional town")
    page.get_by_label(re.compile(r"^Description of the person sought")).fill("Tall (fictional)")
    page.get_by_label("Provisional arrest is asked for").check()
    page.get_by_label(re.compile(r"^Why the matter is urgent")).fill("He may leave (fictional).")
    # A locator assertion, not wait_for_function: the page's CSP forbids evaluating strings.
    expect(page.locator("#live-check")).not_to_contain_text("description of the person")
    assert "When and where the offences were committed" not in _missing(page)
    shoot(page, "forms-1-incoming-extradition")
    assert not serious_violations(page)
    page.get_by_label("Role").select_option("person_sought")
    page.get_by_label("Name in the original script").fill("Иван Тестов")
    page.get_by_role("button", name="Register the request").click()
    page.wait_for_url(re.compile(r"/requests/\d+$"))
    assert "AW-B-1" in page.content() and "Tall (fictional)" in page.content()
    for language in ("fr", "nl"):
        page.goto(f"/requests/new?lang={language}")
        page.locator("#kind").select_option("extradition")
        page.locator("#extradition-entry").wait_for(state="visible")
        shoot(page, f"forms-1-incoming-extradition-{language}")
        assert not serious_violations(page)


def _limit_of(page, selector: str) -> tuple[str, str]:
    """(maxlength, the limit sentence read with the field) of the field `selector`."""
    field = page.locator(selector)
    described = field.get_attribute("aria-describedby") or ""
    ident = field.get_attribute("id")
    assert f"{ident}-limit" in described.split(), (selector, described)
    return field.get_attribute("maxlength"), page.locator(f"#{ident}-limit").inner_text()


def test_point_2_the_officers_forms_state_their_limits(page):
    sign_in(page, "anna.officer")
    _english(page)
    page.goto("/requests?status=registered")
    path = page.locator("table.requests tbody tr a").first.get_attribute("href")
    page.goto(f"{path}/edit")
    assert _limit_of(page, "#facts_summary") == ("20000", "At most 20,000 characters.")
    assert _limit_of(page, "#requesting_reference") == ("120", "At most 120 characters.")
    shoot(page, "forms-2-edit-limits")
    assert not serious_violations(page)
    page.goto(path)
    assert _limit_of(page, "#transition-reasons") == ("20000", "At most 20,000 characters.")
    assert not serious_violations(page)
    for language, words in (("fr", "20 000 caractères"), ("nl", "20.000 tekens")):
        page.goto(f"{path}/edit?lang={language}")
        most, sentence = _limit_of(page, "#facts_summary")
        assert most == "20000" and words in sentence.replace("\u202f", " ").replace(
            "\xa0", " "), sentence  # fmt: skip
        shoot(page, f"forms-2-edit-limits-{language}")
        assert not serious_violations(page)
    sign_out(page)
    sign_in(page, "eva.depositary")
    page.goto("/treaties/desk")
    assert _limit_of(page, "#text")[0] == "2000"
    assert not serious_violations(page)


def test_point_3_a_wizard_draft_saved_resumed_with_its_document_and_private(page, tmp_path):
    sign_in(page, "anna.officer")
    _english(page)
    page.goto("/requests/new?direction=outgoing")
    page.get_by_label("Kind of cooperation").select_option("mla")
    page.get_by_label(re.compile(r"^Requesting state")).fill("BEL")
    page.get_by_label(re.compile(r"^Requested state")).fill("KAZ")
    page.get_by_label(re.compile(r"^Requesting authority \(")).fill("Federal Prosecutor (fict.)")
    page.get_by_label(re.compile(r"^National case reference")).fill("BE-DRAFT-BROWSER")
    page.get_by_role("button", name="Next").last.click()
    page.get_by_label(re.compile(r"^Summary of the facts")).wait_for()
    page.get_by_label("Torture", exact=True).check()
    page.get_by_label(re.compile(r"^Summary of the facts")).fill("Facts typed before leaving.")
    page.get_by_role("button", name="Save the draft").click()
    page.wait_for_url(re.compile(r"/requests/drafts/\d+$"))
    draft_path = urlsplit(page.url).path
    assert "The draft was saved" in page.content()
    page.goto("/")
    drafts = page.locator("section.my-drafts")
    assert "BE-DRAFT-BROWSER" in drafts.inner_text()
    shoot(page, "forms-3-my-drafts")
    assert not serious_violations(page)
    drafts.get_by_role("link", name=re.compile("BE-DRAFT-BROWSER")).click()
    page.wait_for_url(re.compile(r"/requests/drafts/\d+$"))
    assert "Offences and facts" in page.locator("[aria-current=step]").inner_text()
    assert page.get_by_label(re.compile(r"^Summary of the facts")).input_value() == (
        "Facts typed before leaving."
    )
    page.get_by_role("button", name="Next").last.click()
    page.get_by_label("Hearing of a witness").check()
    page.get_by_role("button", name="Next").last.click()
    page.get_by_label("Role").select_option("witness")
    page.get_by_label("Name in the original script").fill("Жанар Тестбаева")
    page.get_by_role("button", name="Next").last.click()
    # the step before also has a current step: wait until the next page names "Review"
    expect(page.locator("[aria-current=step]")).to_contain_text("Review")
    warrant = tmp_path / "letter-of-request.pdf"
    warrant.write_bytes(b"%PDF-1.4 fictional letter of request")
    page.locator("#documents").set_input_files(str(warrant))
    page.get_by_role("button", name="Change: Offences and facts").click()
    page.get_by_label(re.compile(r"^Summary of the facts")).wait_for()
    page.get_by_role("button", name="Review and register").click()
    held = page.locator("ul.held-documents")
    # the list may be parsed before its items: wait for the item, not only for the list
    expect(held).to_contain_text("letter-of-request.pdf")  # kept across the change of step
    assert "1 document" in _missing(page) or "letter-of-request.pdf" in held.inner_text()
    shoot(page, "forms-3-review-kept-document")
    assert not serious_violations(page)
    for language in ("fr", "nl"):
        page.goto(f"{draft_path}?lang={language}")
        shoot(page, f"forms-3-draft-{language}")
        assert not serious_violations(page)
        page.goto(f"/?lang={language}")
        assert not serious_violations(page)
    sign_out(page)
    sign_in(page, "sofie.supervisor")  # need-to-know: the draft is Anna's alone
    assert "BE-DRAFT-BROWSER" not in page.content()
    assert page.goto(draft_path).status == 404
    sign_out(page)
    sign_in(page, "anna.officer")
    page.goto(draft_path + "?lang=en")
    page.get_by_role("button", name="Register the request").click()
    page.wait_for_url(re.compile(r"/requests/\d+$"))
    assert "letter-of-request.pdf" in page.content()
    assert page.goto(draft_path).status == 404  # registered: the draft is gone


def test_point_4_a_rules_english_wording_is_marked_in_french_and_dutch(page):
    sign_in(page, "anna.officer")
    _english(page)
    path = base.register_incoming_request(page)
    for language, note in (("fr", "qu'en anglais"), ("nl", "alleen in het Engels")):
        page.goto(f"{path}/screening?lang={language}")
        section = page.locator("details.source-words.explanation").first
        section.locator("summary").click()
        words = section.locator("p[lang=en]")
        assert words.is_visible() and words.inner_text().strip()
        assert note in section.locator("p.source-note").inner_text()
        shoot(page, f"forms-4-screening-wording-{language}")
        assert not serious_violations(page)
