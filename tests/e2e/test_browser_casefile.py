"""Issue 17, points 2, 3 and 4, in a real browser (Debian's Chromium driven by Playwright,
on the same loopback server and demo data as `test_browser.py`, whose fixtures these are):

2. the requesting authority's reference is shown on the request page and in the list and
   found by the list's search; the officer chooses the legal basis among those resolved,
   with a reason, and the page shows it;
3. impossible dates are refused next to their fields, against the app's today;
4. the person filter finds a request whose name is only in Cyrillic from "Testbayeva" and
   from "Zhanar Testbayeva", and says why it matched.
Each would have failed before: the reference and the basis form were nowhere, the dates were
accepted, and the filter only matched letters as typed.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import TODAY
from tests.e2e import test_browser as base
from tests.e2e.test_browser import (
    serious_violations,
    shoot,
    sign_in,
)

server = base.server  # the same loopback server and tab (fixtures of test_browser.py)
page = base.page

REFERENCE = "KZ-2026-7741/CASEFILE"


@pytest.fixture(scope="module")
def browser():
    """Chromium, adding to the screenshots of the other browser tests."""
    with base.chromium() as launched:
        yield launched


def _fill_incoming(page, *, received: str, execution: str, reference: str = "") -> None:
    page.goto("/requests/new")
    page.get_by_label("Kind of cooperation").select_option("mla")
    page.get_by_label(re.compile(r"^Requesting state")).fill("KAZ")
    page.get_by_label(re.compile(r"^Requested state")).fill("BEL")
    page.get_by_label(re.compile(r"^Requesting authority \(")).fill(
        "Prosecutor General's Office (fictional)"
    )
    if reference:
        page.get_by_label(re.compile(r"^Reference of the requesting authority")).fill(reference)
    page.get_by_label(re.compile(r"^Received on")).fill(received)
    page.get_by_label("Torture", exact=True).check()
    page.get_by_label("Enforced disappearance", exact=True).check()
    page.get_by_label(re.compile(r"^Summary of the facts")).fill(
        "Fictional facts: a witness saw the detention of a journalist in a fictional town."
    )
    page.get_by_label("Hearing of a witness").check()
    page.get_by_label(re.compile(r"^Execution wished by")).fill(execution)
    page.get_by_label("Role").select_option("witness")
    page.get_by_label("Name in the original script").fill("Жанар Тестбаева")  # Cyrillic only


def test_point_2_reference_shown_and_found_and_basis_chosen_with_a_reason(page):
    sign_in(page, "anna.officer")
    _fill_incoming(page, received=TODAY.isoformat(), execution="2027-01-31", reference=REFERENCE)
    page.locator("#live-check").get_by_text("ced-2006").first.wait_for()
    page.get_by_role("button", name="Register the request").click()
    page.wait_for_url(re.compile(r"/requests/\d+$"))
    url = page.url
    assert page.locator("dd.requesting-reference").inner_text() == REFERENCE
    assert page.locator("dd.legal-basis-chosen").inner_text() == "none chosen"

    form = page.locator("#legal-basis")
    form.get_by_label(re.compile("^Legal basis, among those resolved")).select_option("ced-2006")
    form.get_by_role("button", name="Record the legal basis").click()
    page.locator("#basis-reason-error").wait_for()  # no reason, no change (drawn again)
    form = page.locator("#legal-basis")
    form.get_by_label(re.compile("^Reason for the choice")).fill(
        "The convention on enforced disappearance binds both states."
    )
    form.get_by_role("button", name="Record the legal basis").click()
    page.wait_for_url(re.compile(r"#legal-basis$"))
    assert page.locator("dd.legal-basis-chosen strong").inner_text() == "ced-2006"
    shoot(page, "casefile-request-basis-chosen")
    assert not serious_violations(page)

    page.goto("/requests")
    page.get_by_label(re.compile(r"^Words in reference")).fill("7741/casefile")
    page.get_by_role("button", name="Filter").click()
    row = page.locator("table.requests tbody tr", has_text=REFERENCE)
    row.wait_for()
    assert row.count() == 1
    assert row.locator("a").get_attribute("href") == url.removeprefix(
        re.match(r"https?://[^/]+", url).group(0)
    )


def test_point_3_impossible_dates_are_refused_next_to_their_fields(page):
    sign_in(page, "anna.officer")
    _fill_incoming(page, received="2099-01-01", execution="2001-01-01")
    page.get_by_role("button", name="Register the request").click()
    page.wait_for_load_state()
    assert re.search(r"/requests/new$", page.url)  # nothing registered
    received = page.locator("#received_on-error")
    assert received.inner_text() == (
        f"The date received cannot be after today ({TODAY.isoformat()})"
    )
    assert "received_on-error" in page.locator("#received_on").get_attribute("aria-describedby")
    assert page.locator("#requested_execution_date-error").inner_text() == (
        "Execution wished by must be on or after the date received"
    )
    assert page.locator("#received_on").input_value() == "2099-01-01"  # kept as typed
    shoot(page, "casefile-dates-refused")
    assert not serious_violations(page)


def test_point_4_the_person_filter_finds_shortened_and_cross_script_names(page):
    sign_in(page, "anna.officer")
    _fill_incoming(page, received=TODAY.isoformat(), execution="2027-02-28", reference="P4-ONLY")
    page.get_by_role("button", name="Register the request").click()
    page.wait_for_url(re.compile(r"/requests/\d+$"))
    for name in ("Testbayeva", "Zhanar Testbayeva"):
        page.goto("/requests")
        page.get_by_label(re.compile(r"^Person's name")).fill(name)
        page.get_by_role("button", name="Filter").click()
        row = page.locator("table.requests tbody tr", has_text="P4-ONLY")
        row.wait_for()
        why = row.locator("td.person-match").inner_text()
        assert "Тестбаева" in why and "Similar name" in why, (name, why)
    assert page.get_by_role("columnheader", name="Why it matched").is_visible()
    shoot(page, "casefile-person-filter")
    assert not serious_violations(page)
