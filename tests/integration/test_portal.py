"""The public portal on the demo data, on SQLite and PostgreSQL: no sign-in, stable URLs in
three languages, a valid Atom feed, JSON and CSV that agree, and a static export that holds no
name, reference or fact from any request."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

import pytest
from sqlalchemy import select

from judicare.auth.permissions import Principal, Role
from judicare.files.store import MemoryFileStore
from judicare.portal.datasets import SCHEMA, SCHEMA_VERSION, csv_cell
from judicare.requests.models import (
    CaseRow,
    IdentityDocumentRow,
    MeasureRow,
    PersonNameRow,
    RequestRow,
)
from judicare.treaties import desk_service as desk
from judicare.web.portal_export import export_portal
from judicare.web.portal_pages import DATASETS
from tests.conftest import TODAY
from tests.integration.api_support import demo_database
from tests.integration.web_support import WebUser

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
ATOM = "{http://www.w3.org/2005/Atom}"
EVA = Principal(1, "eva.depositary", Role.DEPOSITARY_OFFICER, "BEL-CA")
JAN = Principal(2, "jan.depositary", Role.DEPOSITARY_OFFICER, "BEL-CA")


@pytest.fixture
def node(request, database_url):
    """The demo data, with one ratification and one reservation notified at the desk."""
    api = demo_database(request, database_url)
    store = MemoryFileStore()
    now = datetime(2026, 11, 20, 9, tzinfo=UTC)
    with api.app.unit_of_work() as uow:
        for state, kind, extra in (
            ("BEL", "ratification", {}),
            ("FRA", "reservation", {"article": "8(3)", "text": "Habitual residence only."}),
        ):
            receipt = desk.parse_receipt(
                instrument_id="lhc-2023", state=state, kind=kind, deposited_on="2026-03-02",
                signatory="Minister", capacity="minister_for_foreign_affairs", **extra,
            )  # fmt: skip
            desk.receive(uow.session, store, EVA, receipt, ("scan.pdf", b"%PDF scan " + state.encode()),
                         location="Vault", now=now, today=TODAY)  # fmt: skip
        for number in (1, 2):
            desk.issue(uow.session, store, JAN, "lhc-2023", number, now=now)
        uow.commit()
    yield api
    api.app.dispose()


def test_the_portal_needs_no_sign_in_in_three_languages(node):
    anonymous = WebUser(node)
    home = anonymous.get("/public")
    assert home.status_code == 303 and home.headers["location"] == "/public/en/index.html"
    for lang, word in (("en", "Treaties"), ("fr", "Traités"), ("nl", "Verdragen")):
        for page in ("index.html", "notifications.html", "states/index.html",
                     "instruments/lhc-2023.html", "states/BEL.html",
                     "statements/icc-joint-statement-2024-06.html"):  # fmt: skip
            response = anonymous.get(f"/public/{lang}/{page}")
            assert response.status_code == 200, (lang, page)
            assert f'<html lang="{lang}">' in response.text
        assert word in anonymous.get(f"/public/{lang}/index.html").text
    assert anonymous.get("/public/en/instruments/no-such.html").status_code == 404
    assert anonymous.get("/public/de/index.html").status_code == 404


def test_an_instrument_page_shows_its_status_on_any_date(node):
    anonymous = WebUser(node)
    before = anonymous.get("/public/en/instruments/lhc-2023.html?on=2024-02-13").text
    after = anonymous.get("/public/en/instruments/lhc-2023.html?on=2026-11-23").text
    assert "Status on Feb 13, 2024" in before and "Status on Nov 23, 2026" in after
    assert "Latvia</a> (LVA)" not in before and "Latvia</a> (LVA)" in after
    assert "LHC-2023/1" in after and "deposited its instrument of ratification" in after
    bad = anonymous.get("/public/en/instruments/lhc-2023.html?on=2026-02-30")
    assert bad.status_code == 422


def test_the_state_page_lists_actions_across_instruments_and_statements(node):
    page = WebUser(node).get("/public/en/states/FRA.html").text
    assert "Rome Statute" in page and "Ljubljana" in page and "Reservation" in page
    assert "Joint statement in support of the International Criminal Court" in page


def test_the_statement_is_shown_beside_the_rome_statute(node):
    page = WebUser(node).get("/public/en/statements/icc-joint-statement-2024-06.html").text
    assert "68 of the 68 recorded signatories were parties to the Rome Statute" in page
    assert "unknown whether they signed" in page  # the 2024 list is partial
    complete = WebUser(node).get("/public/en/statements/icc-joint-statement-2025-02.html").text
    assert "these parties did not sign" in complete


def test_the_atom_feed_has_every_element_rfc_4287_requires(node):
    response = WebUser(node).get("/public/feeds/notifications.atom")
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):  # RFC 4287 §4.1.1: exactly one each
        assert len(feed.findall(f"{ATOM}{required}")) == 1, required
    assert feed.find(f"{ATOM}author/{ATOM}name").text  # §4.1.1: author, as entries have none
    assert feed.find(f"{ATOM}link[@rel='self']") is not None
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 2
    ids = [e.find(f"{ATOM}id").text for e in entries]
    assert len(set(ids)) == 2 and all(i.startswith("urn:judicare:notification:") for i in ids)
    for entry in entries:  # §4.1.2: id, title, updated; content or an alternate link
        for required in ("id", "title", "updated"):
            assert len(entry.findall(f"{ATOM}{required}")) == 1
        stamp = datetime.fromisoformat(entry.find(f"{ATOM}updated").text)
        assert stamp.tzinfo is not None  # RFC 3339 date-time with an offset
        assert entry.find(f"{ATOM}content").text.startswith("Depositary notification")
        assert entry.find(f"{ATOM}link[@rel='alternate']") is not None
    assert datetime.fromisoformat(feed.find(f"{ATOM}updated").text).tzinfo is not None


@pytest.mark.parametrize("name", DATASETS)
def test_json_and_csv_agree_row_for_row(node, name):
    anonymous = WebUser(node)
    document = json.loads(anonymous.get(f"/public/data/{name}.json").content)
    table = list(csv.reader(io.StringIO(anonymous.get(f"/public/data/{name}.csv").text)))
    assert document["schema_version"] == SCHEMA_VERSION and document["dataset"] == name
    assert document["columns"] == table[0] == list(SCHEMA[name]["columns"])
    assert len(document["rows"]) == len(table) - 1 > 0
    for row, cells in zip(document["rows"], table[1:], strict=True):
        assert [csv_cell(v) for v in row.values()] == cells
    schema = json.loads(anonymous.get("/public/data/schema.json").content)
    assert set(schema["datasets"][name]["columns"]) == set(document["columns"])


def _request_facts(app) -> set[str]:
    """Every name, reference and free-text fact of every request, person and case."""
    facts: set[str] = set()
    with app.unit_of_work() as uow:
        s = uow.session
        for row in s.scalars(select(RequestRow)):
            facts.update([row.reference, row.requesting_reference, row.requesting_authority,
                          row.facts_summary, row.subject_and_nature, row.purpose,
                          row.procedure_wished, row.legal_provisions,
                          row.person_to_serve])  # fmt: skip
        facts.update(s.scalars(select(PersonNameRow.name)))
        facts.update(s.scalars(select(IdentityDocumentRow.number)))
        facts.update(s.scalars(select(MeasureRow.details)))
        facts.update(s.scalars(select(CaseRow.reference)))
        facts.update(s.scalars(select(CaseRow.title)))
    return {f.strip() for f in facts if f and len(f.strip()) >= 5}


def test_the_static_export_holds_nothing_from_any_request(node, tmp_path):
    facts = _request_facts(node.app)
    assert len(facts) > 20  # the demo data has requests, persons and documents
    paths = export_portal(node.app, tmp_path / "site").paths
    site = tmp_path / "site"
    for expected in ("feeds/notifications.atom", "en/index.html", "fr/index.html",
                     "nl/instruments/lhc-2023.html", "data/actions.json", "data/actions.csv",
                     "data/schema.json", "portal.css", "en/statistics.html", "nl/statistics.html",
                     "data/statistics.json", "data/statistics.csv",
                     "data/obligation_outcomes.csv"):  # fmt: skip
        assert (site / expected).is_file(), expected
    assert len(paths) == sum(1 for p in site.rglob("*") if p.is_file())
    leaks = {}
    for path in site.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            found = [f for f in facts if f in text]
            if found:
                leaks[str(path.relative_to(site))] = found[:3]
    assert leaks == {}


def test_the_facts_looked_for_include_the_demo_persons_and_references(node):
    facts = _request_facts(node.app)
    assert any("Testbayeva" in f for f in facts)  # a demo person (demo.py)
    with node.app.unit_of_work() as uow:
        references = set(uow.session.scalars(select(RequestRow.reference)))
    assert references and references <= facts


def test_the_export_is_the_live_site(node, tmp_path):
    export_portal(node.app, tmp_path / "site")
    anonymous = WebUser(node)
    for path in ("en/states/BEL.html", "data/notifications.csv", "feeds/notifications.atom"):
        assert (tmp_path / "site" / path).read_bytes() == anonymous.get(f"/public/{path}").content
