"""Issue 17, point 6: in French and Dutch no legal content reaches a page in English glued
into the page's language. Every main page is drawn in fr and nl and its words are searched
for English phrases that came from data or the domain (crime names, depositaries, the
screening's gists and next steps, the data's caveats, "as of …"). What exists only in
English in our sources (instrument titles, the rules' wording) may appear only inside an
element marked lang="en"; those are set aside before the search, as are names (lang="und")."""

from __future__ import annotations

import html
import re

import pytest

from judicare.auth.service import create_user
from judicare.demo import DEMO_PASSWORD
from judicare.treaties import service as treaty_service
from tests.integration.api_support import OWN
from tests.integration.web_support import WebUser

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

# English phrases that must not be read on a French or Dutch page (outside lang="en").
ENGLISH = (
    "Crimes against humanity", "War crimes", "Crime of aggression", "Enforced disappearance",
    "Secretary-General", "Secretary General", "Swiss Federal Council", "as of", "after 20",
    "latest event", "UNSURE", "not confirmed)", ".csv", "Received", "Sources disagree",
    "Decide whether", "Check whether", "Check the", "where this ground", "point for a person",
    "participation data runs", "entry-into-force rule", "This field is required",
    "None", "Traceback", "Date of the request", "Warrant, offences",
)  # fmt: skip
MARKED = re.compile(r"<(\w+)\b[^>]*\blang=\"(?:en|und)\"[^>]*>.*?</\1>", re.S)


@pytest.fixture
def officer(demo_api, request):
    """An officer of its own, signed in: choosing a language is remembered for the user, and
    the demo API is shared by the worker's tests (anna.officer must stay as she is)."""
    name = f"lang.officer.{request.node.name}".replace("[", ".").rstrip("]")
    with demo_api.app.unit_of_work() as uow:
        create_user(uow.session, username=name, password=DEMO_PASSWORD, role="officer",
                    authority_id=OWN)  # fmt: skip
        uow.commit()
    return WebUser(demo_api, name)


def visible_words(page: str) -> str:
    page = re.sub(r"<(script|style|title)\b.*?</\1>", " ", page, flags=re.S)
    page = MARKED.sub(" ", page)
    page = re.sub(r"<[^>]+>", " ", page)
    return re.sub(r"\s+", " ", html.unescape(page))


def pages_of(officer: WebUser) -> list[str]:
    listed = officer.get("/requests").text
    ids = sorted(set(re.findall(r'href="/requests/(\d+)"', listed)), key=int)
    pages = ["/", "/requests", "/requests/new", "/requests/new?direction=outgoing", "/treaties"]
    pages += [f"/treaties/{i['id']}" for i in treaty_service.list_instruments()]
    pages += [f"/requests/{i}" for i in ids] + [f"/requests/{i}/screening" for i in ids]
    return pages


@pytest.mark.parametrize("lang", ["fr", "nl"])
def test_no_english_legal_content_on_french_and_dutch_pages(officer, lang):
    officer.post("/language", {"lang": lang, "next": "/"})
    found = {}
    for url in pages_of(officer):
        response = officer.get(url)
        assert response.status_code == 200, url
        words = visible_words(response.text)
        if url.endswith("/screening"):  # every next step is translated, none left in English
            assert not re.search(r':</strong> <span lang="en">', response.text), url
        leaks = [e for e in ENGLISH if e in words]
        if leaks:
            found[url] = [(e, words[max(0, words.index(e) - 60) : words.index(e) + 60])
                          for e in leaks]  # fmt: skip
    # the extradition step of the wizard and a form refused, in the user's language
    form = {"direction": "outgoing", "kind": "extradition", "requesting_state": "BEL",
            "requested_state": "AUT", "requesting_authority": "x", "received_on": "2026-11-20",
            "facts_summary": "", "step": "1", "reached": "1", "go": "next",
            "person_count": "1"}  # fmt: skip
    for go in ("next", "submit"):
        words = visible_words(officer.post("/requests/new", {**form, "go": go}).text)
        leaks = [e for e in ENGLISH if e in words]
        if leaks:
            found[f"wizard {go}"] = leaks
    assert not found, found


def test_english_titles_are_marked_as_such(officer):
    officer.post("/language", {"lang": "fr", "next": "/"})
    page = officer.get("/treaties/coe-extradition-1957").text
    assert re.search(r'<h1><span lang="en" class="instrument-title">[^<]+</span> '
                     r'<span class="title-note">\(titre en anglais\)</span></h1>', page)  # fmt: skip
    page = officer.get("/treaties/lhc-2023").text
    assert "au after" not in page and "Les données vont jusqu&#39;au" in page
