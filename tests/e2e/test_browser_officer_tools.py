"""Issue 17, points 7 and 9 and the printed case file, in a real browser (Debian's Chromium
driven by Playwright, on the loopback server and demo data of `test_browser.py`):

7. the timeline says what happened in words, folds runs of reads ("Read 3 times by 1
   person") and filters by kind;
9. a registered request is edited from the web; a form made stale by someone else's edit is
   refused with the stored values shown and what was typed kept; the request is assigned
   and linked; the timeline shows who changed which field from what to what;
print: the case file prints without navigation or forms;
and the officers' tools: the list sorted by a column, filtered by deadline window, exported
as CSV with the same filters; the legal-basis lookup page; my deadlines and a revocable
iCalendar feed (parsed with `icalendar`); notices with a nav badge, read and unread; the
audit view newest first, filtered by user and kind of act.
Each would have failed before: the timeline listed raw event codes, and none of the pages,
links or forms above existed. axe finds nothing serious or critical in English, French and
Dutch.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import expect

from tests.e2e import test_browser as base
from tests.e2e.test_browser import LOOPBACK, serious_violations, shoot, sign_in, sign_out
from tests.e2e.test_browser_casefile import browser  # noqa: F401  (keeps the screenshots)

server = base.server
page = base.page


def _first_request(page, status: str = "registered") -> str:
    """The path of the newest demo request in a status (within the officer's authority)."""
    page.goto(f"/requests?status={status}")
    link = page.locator("table.requests tbody tr a").first
    return link.get_attribute("href")


def _timeline(page) -> str:
    return " ".join(page.locator("ol.timeline").inner_text().split())


def test_point_7_the_timeline_in_words_with_reads_folded_and_a_filter(page):
    sign_in(page, "anna.officer")
    path = _first_request(page)
    for _ in range(3):
        page.goto(path)
    words = _timeline(page)
    assert "anna.officer registered the request." in words
    assert "sofie.supervisor moved the request from “Received” to “Registered”." in words
    assert re.search(r"Read \d+ times by \d+ (person|people)\.", words), words
    assert ":request:" not in words  # no raw event code
    page.locator("#timeline-kind").select_option("read")
    page.locator("form.timeline-filter").get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"timeline=read"))
    entries = page.locator("ol.timeline > li")
    assert entries.count() >= 1
    assert all(t.startswith("Read") for t in (" ".join(e.split()[-6:]) for e in
               entries.all_inner_texts()))  # fmt: skip
    assert "registered the request" not in _timeline(page)
    shoot(page, "tools-timeline-reads")
    assert not serious_violations(page)
    for language, registered in (("fr", "a enregistré la demande."),
                                 ("nl", "heeft het verzoek geregistreerd.")):  # fmt: skip
        page.goto(f"{path}?lang={language}")
        assert f"anna.officer {registered}" in _timeline(page)
        shoot(page, f"tools-timeline-{language}")
        assert not serious_violations(page)


def _second_tab(chromium, server):
    """Another officer's browser, also held to the loopback server."""
    context = chromium.new_context(base_url=server, locale="en-GB")
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    tab.route("**/*", lambda route: route.continue_() if urlsplit(route.request.url).hostname
              in LOOPBACK else route.abort("blockedbyclient"))  # fmt: skip
    return context, tab


def test_point_9_edit_with_a_stale_form_refused_then_assign_and_link(page, browser, server):  # noqa: F811
    sign_in(page, "anna.officer")
    page.goto("/requests")
    rows = page.locator("table.requests tbody tr")
    path = rows.nth(0).locator("a").get_attribute("href")
    other = rows.nth(1).locator("a").inner_text().strip()
    page.goto(path)
    page.get_by_role("link", name="Edit, assign or link").click()
    page.wait_for_url(re.compile(r"/edit$"))
    assert not serious_violations(page)

    context, sofie = _second_tab(browser, server)
    try:  # the supervisor changes the reference while Anna's form is open
        sign_in(sofie, "sofie.supervisor")
        sofie.goto(f"{path}/edit")
        sofie.get_by_label("Reference of the requesting authority").fill("SOFIE-REF-1")
        sofie.get_by_role("button", name="Record the changes").click()
        sofie.wait_for_url(re.compile(r"#timeline-section$"))
        sofie.goto(f"{path}/edit")  # and gives the request to the reviewer
        sofie.get_by_label("Assign to").select_option(
            label="louis.reviewer (demo) (louis.reviewer)"
        )
        sofie.get_by_role("button", name="Assign", exact=True).click()
        sofie.wait_for_url(re.compile(r"#assign$"))
        assert "louis.reviewer" in sofie.locator("ul.holders").inner_text()
    finally:
        context.close()

    page.get_by_label("Urgency").select_option("very_urgent")
    page.get_by_label(re.compile("^Summary of the facts")).fill("Anna's corrected summary.")
    page.get_by_role("button", name="Record the changes").click()
    warning = page.locator(".stale-warning")
    warning.wait_for()
    assert "Someone changed this request while you were editing it" in warning.inner_text()
    assert page.locator(".stored-requesting_reference").inner_text() == "SOFIE-REF-1"
    assert page.locator(".stored-urgency").inner_text() == "Normal"  # in words, not codes
    assert page.get_by_label(re.compile("^Summary of the facts")).input_value() == (
        "Anna's corrected summary."
    )  # nothing lost
    shoot(page, "tools-edit-stale")
    assert not serious_violations(page)
    page.get_by_label("Reference of the requesting authority").fill("SOFIE-REF-1")
    page.get_by_role("button", name="Record the changes").click()
    page.wait_for_url(re.compile(r"#timeline-section$"))
    assert page.get_by_text("The changes were recorded.").is_visible()

    page.goto(f"{path}/edit")
    page.get_by_label("Reference of the other request").fill(other)
    page.get_by_label("How they are linked").select_option("related")
    page.get_by_role("button", name="Link", exact=True).click()
    page.wait_for_url(re.compile(r"#link$"))
    assert page.locator("ul.links li").count() == 1

    page.goto(f"{path}?timeline=change")
    words = _timeline(page)
    assert "sofie.supervisor edited the request." in words
    assert "anna.officer edited the request." in words
    assert "assigned the request to louis.reviewer" in words
    assert f"linked this request to request {other} (related)" in words
    rows = page.locator("table.changes tr", has_text="Urgency")
    assert "Very urgent" in rows.first.inner_text()
    shoot(page, "tools-who-changed-what")
    assert not serious_violations(page)
    for language in ("fr", "nl"):
        page.goto(f"{path}/edit?lang={language}")
        shoot(page, f"tools-edit-{language}")
        assert not serious_violations(page)


def test_the_case_file_prints_without_navigation_or_forms(page):
    sign_in(page, "anna.officer")
    page.goto(_first_request(page))
    page.emulate_media(media="print")
    assert not page.locator(".site-header nav").is_visible()
    assert not page.locator("form.timeline-filter").is_visible()
    assert page.locator("#timeline").is_visible() and page.locator("#parties").is_visible()
    page.emulate_media(media="screen")
    assert page.locator(".site-header nav").is_visible()


# --- the officers' tools ------------------------------------------------------------------


def _axe_in_three_languages(page, path: str, name: str) -> None:
    for language in ("en", "fr", "nl"):
        page.goto(f"{path}{'&' if '?' in path else '?'}lang={language}")
        shoot(page, f"{name}-{language}")
        assert not serious_violations(page), (language, path)


def test_lists_sort_filter_and_export_csv(page):
    sign_in(page, "anna.officer")
    page.goto("/requests")
    page.get_by_role("link", name="Next deadline").click()
    page.wait_for_url(re.compile(r"sort=deadline"))
    header = page.get_by_role("columnheader", name=re.compile("^Next deadline"))
    assert header.get_attribute("aria-sort") == "ascending"
    dues = [d for d in page.locator("table.requests tbody tr td:nth-child(9)").all_inner_texts()]
    assert dues and dues == sorted(dues, key=lambda d: (not d, _day(d)))
    assert page.locator("td.state").first.inner_text() not in ("BEL", "KAZ", "UKR", "NLD")
    page.get_by_label("Due within (days)").fill("30")
    page.locator("form.filters").get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"due_within=30"))
    with page.expect_download() as download:
        page.get_by_role("link", name="Export these requests as CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert text.startswith("Reference,Their reference,")
    rows = page.locator("table.requests tbody tr").count()
    assert len(text.strip().splitlines()) == rows + 1  # the same filters
    shoot(page, "tools-list-sorted")
    assert not serious_violations(page)
    _axe_in_three_languages(page, "/requests?sort=deadline&dir=asc&due_within=30", "tools-list")


def _day(text: str):
    from datetime import datetime

    return datetime.strptime(text.split(" overdue")[0].strip(), "%b %d, %Y") if text else None


def test_the_legal_basis_lookup_page(page):
    sign_in(page, "anna.officer")
    page.get_by_role("link", name="Legal basis", exact=True).click()
    page.wait_for_url(re.compile(r"/basis$"))
    page.get_by_label("Requesting state").select_option("KAZ")
    page.get_by_label("Requested state").select_option("BEL")
    page.get_by_label("Kind of cooperation").select_option("mla")
    page.get_by_label("Torture", exact=True).check()
    page.get_by_role("button", name="Look up").click()
    answer = page.locator("#basis-answer")
    # the section can be there before all of it is parsed: wait for the words themselves
    expect(answer).to_contain_text("From Kazakhstan to Belgium")
    expect(answer).to_contain_text("cat-1984")
    shoot(page, "tools-basis-lookup")
    assert not serious_violations(page)
    _axe_in_three_languages(page, "/basis?from=KAZ&to=BEL&kind=mla&on=2026-11-23", "tools-basis")


def test_deadlines_view_and_a_revocable_calendar_feed(page):
    import icalendar

    sign_in(page, "anna.officer")
    page.get_by_role("link", name="Deadlines", exact=True).click()
    page.wait_for_url(re.compile(r"/deadlines$"))
    assert page.locator("table.deadlines tbody tr").count() >= 1
    page.get_by_role("button", name="Make a calendar link").click()
    link = page.get_by_label(re.compile("^Your calendar link")).input_value()
    path = "/calendar/" + link.rsplit("/calendar/", 1)[1]
    feed = page.request.get(path)
    assert feed.ok and feed.headers["content-type"].startswith("text/calendar")
    events = list(icalendar.Calendar.from_ical(feed.body()).walk("VEVENT"))
    assert len(events) == page.locator("table.deadlines tbody tr").count()
    shoot(page, "tools-deadlines")
    assert not serious_violations(page)
    page.get_by_role("button", name="Revoke the calendar link").click()
    page.wait_for_url(re.compile(r"/deadlines#calendar$"))
    assert page.request.get(path).status == 404
    _axe_in_three_languages(page, "/deadlines", "tools-deadlines")


def test_notices_in_the_app_read_and_unread(page, browser, server):  # noqa: F811
    context, sofie = _second_tab(browser, server)
    try:
        sign_in(sofie, "sofie.supervisor")
        sofie.goto("/requests?status=registered")
        path = sofie.locator("table.requests tbody tr a").first.get_attribute("href")
        sofie.goto(f"{path}/edit")
        sofie.get_by_label("Assign to").select_option(label="anna.officer (demo) (anna.officer)")
        sofie.get_by_role("button", name="Assign", exact=True).click()
        sofie.wait_for_url(re.compile(r"#assign$"))
    finally:
        context.close()
    sign_in(page, "anna.officer")
    bell = page.locator("a.notices-link")
    bell.get_by_text(re.compile(r"Notices \(\d+ unread\)")).wait_for()
    bell.click()
    page.wait_for_url(re.compile(r"/notifications$"))
    unread = page.locator("li.notice-unread")
    assert unread.count() >= 1 and "was assigned to you" in unread.first.inner_text()
    shoot(page, "tools-notices")
    assert not serious_violations(page)
    page.get_by_role("button", name="Mark all as read").click()
    page.wait_for_url(re.compile(r"/notifications$"))
    assert page.locator("li.notice-unread").count() == 0
    assert page.locator("a.notices-link").inner_text() == "Notices"
    _axe_in_three_languages(page, "/notifications", "tools-notices")


def test_the_audit_view_newest_first_filtered_by_user_and_kind(page):
    sign_in(page, "anna.officer")
    page.goto(_first_request(page))  # a consultation by anna
    sign_out(page)
    sign_in(page, "marc.auditor")
    page.goto("/audit")
    seqs = [int(s) for s in page.locator("table.audit tbody tr td:first-child").all_inner_texts()]
    assert seqs == sorted(seqs, reverse=True)
    page.get_by_label("User", exact=True).fill("anna.officer")
    page.get_by_label("Kind of act").select_option("consultation")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"actor=anna.officer"))
    who = set(page.locator("table.audit tbody tr td:nth-child(3)").all_inner_texts())
    assert who == {"anna.officer"}
    acts = set(page.locator("table.audit tbody tr td:nth-child(4)").all_inner_texts())
    assert acts == {"consultation"}
    shoot(page, "tools-audit-filtered")
    assert not serious_violations(page)
    _axe_in_three_languages(page, "/audit?actor=anna.officer&order=newest", "tools-audit")
