"""Need-to-know holds everywhere, person screening included (issue 13, section 3).

One node hosts two central authorities: Belgium (BEL-CA) and the Netherlands (NLD-CA). Each
test below is an attack by a user of one authority on what belongs to the other, or on what
belongs to the node itself, and says what must happen instead. Every attack succeeded
before need-to-know was extended to screening, registers and the audit trail. On SQLite and
PostgreSQL, through the API, the web pages and the command line.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from judicare.cli import app as cli
from tests.integration.api_support import OTHER, OWN, demo_database
from tests.integration.web_support import WebUser

HTMX = {"HX-Request": "true"}
REFUGEE = "DEMO-R-0001"  # the demo refugee register's entry for the witness of request_body()
HEADER = "id,names,birth_date,nationality,status,country_of_feared_persecution,status_date\n"


@pytest.fixture
def node(request, database_url):
    """A node with the demo data, and users of every role in both authorities (a copy of
    the demo database built once per session)."""
    api = demo_database(request, database_url)
    yield api
    api.app.dispose()


def officer(api, authority: str) -> WebUser:
    return WebUser(api, f"t.officer.{authority}")


def screening_page(api, authority: str, request_id: int) -> str:
    page = officer(api, authority).get(f"/requests/{request_id}/screening", headers=HTMX)
    assert page.status_code == 200, page.text[:500]
    return page.text


def screening_report(api, authority: str, request_id: int) -> dict:
    response = api.client.get(
        f"/api/v1/requests/{request_id}/screening", headers=api.headers("officer", authority)
    )
    assert response.status_code == 200, response.text[:500]
    return response.json()


def refugee_finding(report: dict) -> dict:
    return next(
        f
        for f in report["findings"]
        if f["ground"] == "protected_status" and f["evidence"]["match"]["id"] == REFUGEE
    )


def candidates_section(page: str) -> str:
    """The candidates of the screening page, without the form's one-time token."""
    section = page[page.index('id="candidates"') :]
    return re.sub(r'name="csrf_token" value="[^"]+"', "", section)


def reject_refugee_match(api, authority: str, request_id: int) -> None:
    """An officer says, on her own request, that the refugee is not the person named."""
    done = officer(api, authority).post(
        f"/requests/{request_id}/candidates",
        {"person": "0", "register": "refugees", "entry": REFUGEE, "decision": "rejected",
         "reason": "not the same person, as far as I can tell"},
    )  # fmt: skip
    assert done.status_code == 303, done.text[:500]


# --- screening candidates ---------------------------------------------------------------------


def test_a_belgian_officer_never_sees_a_dutch_request_about_the_same_person(node):
    """The Dutch authority holds a request naming the witness. A Belgian officer registers a
    request naming her too: neither her screening page nor the screening report may show the
    Dutch request, its reference or anything in it."""
    dutch = node.create(authority=OTHER, facts_summary="Dutch facts that Belgium must not see.")
    belgian = node.create(authority=OWN)
    page = screening_page(node, OWN, belgian["id"])
    report = screening_report(node, OWN, belgian["id"])
    for seen in (page, str(report)):
        assert dutch["reference"] not in seen
        assert "Dutch facts" not in seen
    # her own authority's earlier requests about the witness are still found
    earlier = node.create(authority=OWN)
    assert earlier["reference"] in screening_page(node, OWN, belgian["id"])


def test_the_screening_page_is_the_same_whether_or_not_another_authority_asks_about_her(node):
    """No count, order or 'more' betrays another authority's requests: the Belgian
    screening is word for word the same before and after the Dutch authority registers a
    flood of requests about the same person."""
    node.create(authority=OWN)  # an earlier Belgian request: a candidate of her own
    belgian = node.create(authority=OWN)
    page_before = candidates_section(screening_page(node, OWN, belgian["id"]))
    report_before = screening_report(node, OWN, belgian["id"])
    for _ in range(30):
        node.create(authority=OTHER)
    assert candidates_section(screening_page(node, OWN, belgian["id"])) == page_before
    assert screening_report(node, OWN, belgian["id"]) == report_before


def test_an_officer_cannot_adjudicate_or_probe_another_authoritys_request_entry(node):
    """The index entry of a Dutch request is not there for a Belgian officer: deciding on it
    is answered exactly as for an entry that does not exist, and nothing is recorded."""
    from judicare.persons.models import AdjudicationRow

    dutch = node.create(authority=OTHER)
    belgian = node.create(authority=OWN)
    entry = f"{dutch['reference']}#{dutch['persons'][0]['id']}"
    answers = []
    for probed in (entry, "NO-SUCH-REQUEST#1"):
        answer = officer(node, OWN).post(
            f"/requests/{belgian['id']}/candidates",
            {"person": "0", "register": "requests", "entry": probed, "decision": "rejected",
             "reason": "probing"},
        )  # fmt: skip
        answers.append((answer.status_code, answer.text.replace(probed, "ENTRY")))
    assert answers[0][0] == answers[1][0] == 422
    with node.app.unit_of_work() as uow:
        recorded = uow.session.scalars(
            select(AdjudicationRow.id).where(AdjudicationRow.external_id == entry)
        ).all()
    assert recorded == []


# --- adjudications ----------------------------------------------------------------------------


def test_a_dutch_rejection_of_the_refugee_match_does_not_weaken_the_belgian_safeguard(node):
    """A Dutch officer rejects the refugee-register candidate on his own request about the
    same names. The Belgian request still finds her a refugee fearing the requesting state
    (high severity, supervisor required), and the Dutch officer's reason is not shown."""
    belgian = node.create(authority=OWN)
    assert refugee_finding(screening_report(node, OWN, belgian["id"]))["severity"] == "high"
    dutch = node.create(authority=OTHER)
    reject_refugee_match(node, OTHER, dutch["id"])
    assert refugee_finding(screening_report(node, OTHER, dutch["id"]))["severity"] == "low"
    report = screening_report(node, OWN, belgian["id"])
    assert refugee_finding(report)["severity"] == "high"
    assert report["requires_supervisor"] is True
    assert refugee_finding(report)["evidence"]["match"]["adjudication"] is None
    assert "as far as I can tell" not in screening_page(node, OWN, belgian["id"])


def test_a_rejection_counts_only_for_the_request_on_which_it_was_taken(node):
    """Within one authority too, a decision on a candidate belongs to its request: a second
    request about the same person is screened afresh."""
    first = node.create(authority=OWN)
    reject_refugee_match(node, OWN, first["id"])
    assert refugee_finding(screening_report(node, OWN, first["id"]))["severity"] == "low"
    second = node.create(authority=OWN)
    assert refugee_finding(screening_report(node, OWN, second["id"]))["severity"] == "high"


# --- registers --------------------------------------------------------------------------------


def import_by_web(api, username: str, register: str, csv_text: str):
    user = WebUser(api, username)
    return user.post(
        "/registers/import",
        {"register": register},
        files={"file": ("register.csv", csv_text.encode(), "text/csv")},
    )


def refugee_status(api) -> str | None:
    from judicare.persons.models import PersonEntryRow

    with api.app.unit_of_work() as uow:
        return uow.session.scalar(
            select(PersonEntryRow.status).where(
                PersonEntryRow.register == "refugees", PersonEntryRow.external_id == REFUGEE
            )
        )


def test_an_authoritys_administrator_cannot_overwrite_the_nodes_refugee_register(node):
    """The Dutch administrator uploads a 'refugees' file that strips the witness of her
    status. The refugee register belongs to the node: refused, and nothing changes."""
    erased = HEADER + f"{REFUGEE},Zhanar Testbayeva,1984-03-17,KAZ,,,\n"
    for username in ("t.admin.NLD-CA", "admin"):  # either authority's administrator
        answer = import_by_web(node, username, "refugees", erased)
        assert answer.status_code == 403, answer.text[:500]
    assert refugee_status(node) == "refugee"


def test_nobody_can_import_into_the_internal_index_of_requests(node, tmp_path):
    """The 'requests' register is written by Judicare as requests are registered; a file
    cannot add to it or overwrite it, not even the node administrator's, not even from the
    command line."""
    belgian = node.create(authority=OWN)
    forged = HEADER + f"{belgian['reference']}#{belgian['persons'][0]['id']},Someone Else,,,,,\n"
    path = tmp_path / "requests.csv"
    path.write_text(forged, encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        ["persons", "import", str(path), "--register", "requests", "--db",
         node.app.settings.effective_database_url],
    )  # fmt: skip
    assert result.exit_code != 0 and "requests" in result.stderr
    answer = import_by_web(node, "nina.nodeadmin", "requests", forged)
    assert answer.status_code == 403, answer.text[:500]
    assert belgian["reference"] in screening_page(node, OWN, node.create(authority=OWN)["id"])


def test_the_node_administrator_keeps_the_refugee_register(node):
    answer = import_by_web(
        node, "nina.nodeadmin", "refugees", HEADER + "NEW-1,Oleg Primerov,1971,UKR,refugee,RUS,\n"
    )
    assert answer.status_code == 200, answer.text[:500]


# --- the audit trail ----------------------------------------------------------------------------


def audit_items(api, role: str, authority: str, **query) -> list[dict]:
    response = api.client.get(
        "/api/v1/audit", params={"limit": 500, **query}, headers=api.headers(role, authority)
    )
    assert response.status_code == 200, response.text[:500]
    return response.json()["items"]


def test_an_authoritys_auditor_reads_only_that_authoritys_trail(node):
    """The Dutch auditor asks the trail about a Belgian request, and reads it page by page:
    nothing about Belgian requests or by Belgian users comes back, through the API or the
    web page; the Dutch authority's own trail does."""
    belgian = node.create(authority=OWN)
    dutch = node.create(authority=OTHER)
    about = {"subject_type": "request", "subject_id": str(belgian["id"])}
    assert audit_items(node, "auditor", OTHER, **about) == []
    everything = audit_items(node, "auditor", OTHER)
    assert all(e["actor"] != f"t.officer.{OWN}" for e in everything)
    assert not any(
        e["subject_type"] == "request" and e["subject_id"] == str(belgian["id"]) for e in everything
    )
    assert any(e["subject_id"] == str(dutch["id"]) for e in everything)
    auditor = WebUser(node, f"t.auditor.{OTHER}")
    page = auditor.get(f"/audit?subject_type=request&subject_id={belgian['id']}")
    assert page.status_code == 200 and f"t.officer.{OWN}" not in page.text
    # The check of the whole chain counts the whole node's entries: the node's auditor's.
    assert auditor.get("/audit/verify").status_code == 403


def test_the_node_auditor_reads_the_whole_trail(node):
    belgian = node.create(authority=OWN)
    dutch = node.create(authority=OTHER)
    seen = {e["subject_id"] for e in audit_items(node, "node_auditor", OTHER)}
    assert {str(belgian["id"]), str(dutch["id"])} <= seen
    assert WebUser(node, "hugo.nodeauditor").get("/audit/verify").status_code == 200


# --- a node upgraded with requests and decisions already stored ----------------------------------


def test_an_upgraded_node_gives_each_indexed_person_and_decision_its_authority(node):
    """Entries and decisions stored before need-to-know reached screening get, on upgrade,
    the authority of their request and of the user who decided: none is left readable by
    every authority."""
    from judicare.db import migrate
    from judicare.persons.models import AdjudicationRow, PersonEntryRow

    dutch = node.create(authority=OTHER)
    reject_refugee_match(node, OTHER, dutch["id"])
    migrate.downgrade(node.app.engine, "0010")
    migrate.upgrade(node.app.engine)
    with node.app.unit_of_work() as uow:
        owner = uow.session.scalar(
            select(PersonEntryRow.authority_id).where(
                PersonEntryRow.external_id.startswith(f"{dutch['reference']}#")
            )
        )
        decided = uow.session.execute(
            select(AdjudicationRow.authority_id, AdjudicationRow.request_id)
        ).all()
    assert owner == OTHER
    assert decided == [(OTHER, None)]  # a decision of old: within its authority only
    belgian = node.create(authority=OWN)
    assert dutch["reference"] not in screening_page(node, OWN, belgian["id"])
    assert refugee_finding(screening_report(node, OWN, belgian["id"]))["severity"] == "high"
