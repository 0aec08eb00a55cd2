"""Competing requests are found at registration and stored (issue 20, follow-up): the
person engine runs when a request is registered (API, exchange receipt) or its file gains a
document; the pair is stored once with the evidence and score, audited on both requests, and
the request pages read the stored record. Across authorities the audit trail keeps the
need-to-know of the pages. A backfill command finds what was registered before. On SQLite
and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, or_, select
from typer.testing import CliRunner

from judicare.audit.models import AuditEventRow
from judicare.cli import app as cli
from judicare.competing.models import CompetingRequestRow
from judicare.requests.models import RequestRow
from judicare.requests.registration import create_request
from judicare.requests.schemas import RequestCreate
from tests.integration.api_support import OTHER, OWN, request_body
from tests.integration.concurrent_commits import committed_at_once
from tests.integration.exchange_nodes import T0, _deliver, _officer, _send

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
# each test's person sought, named by no other test (the shared database of a backend keeps
# every request)
_PEOPLE = {"stored": ("Dragan Registrović", "1966-07-02"),
           "read": ("Fatima Zehrabegović", "1958-11-23"),
           "decided": ("Nikolai Okhrimenko", "1975-03-09"),
           "across": ("Ljubica Vasiljkova", "1949-05-30"),
           "backfill": ("Tomasz Wieczerzak", "1981-12-14"),
           "intake": ("Radovan Intakević", "1957-06-21"),
           "skip": ("Branimir Preskočić", "1962-02-08")}  # fmt: skip


@pytest.fixture
def api(demo_api):
    return demo_api


def _sought(which: str) -> dict:
    name, born = _PEOPLE[which]
    return {"role": "person_sought", "names": [{"name": name}], "birth_date": born,
            "nationality": "RS"}  # fmt: skip


def _extradition(api, person, authority=OWN, **changes):
    body = {"kind": "extradition", "persons": [person], "measures": [],
            "crimes": ["war_crimes"], "requesting_state": "DE", **changes}  # fmt: skip
    return api.create(authority=authority, **body)


def _pairs(app, *request_ids) -> list[CompetingRequestRow]:
    with app.unit_of_work() as uow:
        rows = uow.session.scalars(
            select(CompetingRequestRow)
            .where(or_(CompetingRequestRow.request_id.in_(request_ids),
                       CompetingRequestRow.other_request_id.in_(request_ids)))
            .order_by(CompetingRequestRow.id)
        ).all()  # fmt: skip
        uow.session.expunge_all()
        return list(rows)


def _audit(app, request_id: int, act: str) -> list[dict]:
    with app.unit_of_work() as uow:
        return list(
            uow.session.scalars(
                select(AuditEventRow.details)
                .where(AuditEventRow.subject_type == "request",
                       AuditEventRow.subject_id == str(request_id),
                       AuditEventRow.tag.like(f"%:{act}"))
                .order_by(AuditEventRow.seq)
            )
        )  # fmt: skip


def test_found_at_registration_stored_once_marking_both_and_audited(api):
    person = _sought("stored")
    first = _extradition(api, person, requesting_state="FR")
    assert _pairs(api.app, first["id"]) == []
    second = _extradition(api, person, requesting_state="CH")
    [pair] = _pairs(api.app, first["id"], second["id"])
    assert (pair.request_id, pair.other_request_id) == (first["id"], second["id"])
    assert pair.status == "open" and pair.found_by == "create"
    assert pair.person_score is not None and pair.person_score >= 0.75
    assert pair.same_evidence is False
    matched = pair.evidence["persons"]
    assert [m["person"] for m in matched] == [second["persons"][0]["id"]]
    assert matched[0]["matched"] == f"{first['reference']}#{first['persons'][0]['id']}"
    for me, other in ((first, second), (second, first)):
        [found] = _audit(api.app, me["id"], "competing:found")
        assert found["other_request"] == other["id"] and found["found_by"] == "create"
        seen = api.client.get(f"/api/v1/requests/{me['id']}/competing",
                              headers=api.headers("legal_reviewer")).json()  # fmt: skip
        shown = {c["request_id"]: c for c in seen["competing"]}[other["id"]]
        assert shown["competition"]["id"] == pair.id
        assert shown["competition"]["found_by"] == "create"
        assert shown["person_score"] == pair.person_score


def test_the_pages_read_the_stored_record_not_a_new_search(api):
    person = _sought("read")
    first = _extradition(api, person)
    second = _extradition(api, person, requesting_state="XIC",
                          requesting_authority="International Criminal Court (test)")  # fmt: skip
    with api.app.unit_of_work() as uow:  # as if registered before detection was stored
        uow.session.execute(delete(CompetingRequestRow).where(
            CompetingRequestRow.request_id == first["id"]))  # fmt: skip
        uow.commit()
    seen = api.client.get(f"/api/v1/requests/{first['id']}/competing",
                          headers=api.headers("legal_reviewer")).json()  # fmt: skip
    assert second["id"] not in {c["request_id"] for c in seen["competing"]}
    refused = api.client.post(
        f"/api/v1/requests/{first['id']}/competing-decisions",
        json={"other_request_id": second["id"], "priority_to": second["id"], "reasons": "x"},
        headers=api.headers("supervisor"),
    )
    assert refused.status_code == 422 and "does not compete" in refused.text


def test_an_effective_decision_marks_the_competition_decided(api):
    from tests.integration.test_victims_competing_prosecution import _second_supervisor

    person = _sought("decided")
    state = _extradition(api, person)
    court = _extradition(api, person, requesting_state="XIC",
                         requesting_authority="International Criminal Court (test)")  # fmt: skip
    body = {"other_request_id": court["id"], "priority_to": court["id"],
            "reasons": "The Court found the case admissible; Germany is a party.",
            "facts": {"same_conduct": True, "court_admissibility": "admissible"}}  # fmt: skip
    made = api.client.post(f"/api/v1/requests/{state['id']}/competing-decisions", json=body,
                           headers=api.headers("supervisor"))  # fmt: skip
    assert made.status_code == 201, made.text
    [pair] = _pairs(api.app, state["id"], court["id"])
    assert pair.status == "open"
    approved = api.client.post(f"/api/v1/competing-decisions/{made.json()['id']}/approval",
                               json={"approve": True, "note": "checked"},
                               headers=_second_supervisor(api))  # fmt: skip
    assert approved.status_code == 200, approved.text
    [pair] = _pairs(api.app, state["id"], court["id"])
    assert (pair.status, pair.decision_id) == ("decided", made.json()["id"])
    assert pair.decided_at is not None


def test_across_authorities_the_audit_trail_names_no_other_request(api):
    person = _sought("across")
    mine = _extradition(api, person)
    theirs = _extradition(api, person, authority=OTHER)
    assert len(_pairs(api.app, mine["id"], theirs["id"])) == 1
    for request in (mine, theirs):
        [found] = _audit(api.app, request["id"], "competing:found")
        assert found["another_request_at_node"] is True
        assert "other_request" not in found and "person_score" not in found
    decider = api.client.get(f"/api/v1/requests/{theirs['id']}/competing",
                             headers=api.headers("legal_reviewer", OTHER)).json()  # fmt: skip
    assert decider["another_request_exists_at_this_node"] is True
    assert decider["competing"] == [] or mine["id"] not in {
        c["request_id"] for c in decider["competing"]
    }
    officer = api.client.get(f"/api/v1/requests/{theirs['id']}/competing",
                             headers=api.headers("officer", OTHER)).json()  # fmt: skip
    assert officer["another_request_exists_at_this_node"] is False


def test_a_request_registered_through_the_web_intake_is_matched_at_once(api):
    import re

    from tests.integration.web_support import WebUser, incoming_form

    person = _sought("intake")
    first = api.create(persons=[{**person, "role": "suspect"}])
    officer = WebUser(api, "anna.officer")
    form = incoming_form(**{"person-0-role": "suspect", "person-0-name": person["names"][0]["name"],
                            "person-0-birth_date": person["birth_date"],
                            "person-0-nationality": "SRB"})  # fmt: skip
    registered = officer.post("/requests/new", form)
    assert registered.status_code == 303, registered.text[:2000]
    second = int(re.search(r"/requests/(\d+)$", registered.headers["location"]).group(1))
    [pair] = _pairs(api.app, first["id"])
    assert (pair.request_id, pair.other_request_id) == (first["id"], second)
    assert pair.found_by == "create"
    page = officer.get(f"/requests/{second}").text
    assert first["reference"] in page and "found on 2026-11-23" in page


def test_a_document_added_later_finds_the_same_evidence(api):
    first, second = api.create(), api.create()
    evidence = b"%PDF-1.4 a seized register, page " + str(first["id"]).encode()
    for request in (first, second):
        uploaded = api.client.post(
            f"/api/v1/requests/{request['id']}/documents?filename=register.pdf",
            content=evidence,
            headers=api.headers("officer", **{"content-type": "application/pdf"}),
        )  # fmt: skip
        assert uploaded.status_code == 201, uploaded.text
    pairs = [p for p in _pairs(api.app, first["id"], second["id"])
             if {p.request_id, p.other_request_id} == {first["id"], second["id"]}]  # fmt: skip
    assert len(pairs) == 1 and pairs[0].same_evidence is True
    assert len(pairs[0].evidence["digests"]) == 1


def test_backfill_stores_what_was_registered_before_and_only_the_node_admin_runs_it(api):
    person = _sought("backfill")
    first = _extradition(api, person)
    second = _extradition(api, person, requesting_state="CH")
    with api.app.unit_of_work() as uow:
        uow.session.execute(delete(CompetingRequestRow).where(
            CompetingRequestRow.request_id == first["id"]))  # fmt: skip
        uow.commit()
    url = str(api.app.engine.url.render_as_string(hide_password=False))
    runner = CliRunner()
    refused = runner.invoke(cli, ["competing", "backfill", "--as", "anna.officer",
                                  "--db", url, "--json"])  # fmt: skip
    assert refused.exit_code != 0 and "may not register import" in refused.output
    assert _pairs(api.app, first["id"]) == []
    done = runner.invoke(cli, ["competing", "backfill", "--as", "nina.nodeadmin",
                               "--db", url, "--json"])  # fmt: skip
    assert done.exit_code == 0, done.output
    assert '"competitions_stored_or_updated"' in done.stdout
    [pair] = _pairs(api.app, first["id"])
    assert pair.other_request_id == second["id"] and pair.found_by == "backfill"
    again = runner.invoke(cli, ["competing", "backfill", "--as", "nina.nodeadmin",
                                "--db", url, "--json"])  # fmt: skip
    assert again.exit_code == 0 and len(_pairs(api.app, first["id"])) == 1


def test_a_request_received_over_the_exchange_is_matched_at_receipt(pair):
    a, b, transport = pair
    person = {"role": "suspect", "names": [{"name": "Ilija Exchangović"}],
              "birth_date": "1970-01-15", "nationality": "RS"}  # fmt: skip
    local = _officer(b)
    with b.app.unit_of_work() as uow:  # Germany's request, registered by hand at NLD-CA
        body = request_body(requesting_state="DE", requested_state="NL", persons=[person])
        _, earlier, _ = create_request(uow.session, local, RequestCreate.model_validate(body),
                                       now=T0, basis=None, why="test")  # fmt: skip
        uow.commit()
    sender = _officer(a)
    with a.app.unit_of_work() as uow:  # Belgium's, for the same person, sent to NLD-CA
        body = request_body(direction="outgoing", requesting_state="BE", requested_state="NL",
                            persons=[person])  # fmt: skip
        _, outgoing, _ = create_request(uow.session, sender,
                                        RequestCreate.model_validate(body), now=T0, basis=None,
                                        why="test")  # fmt: skip
        uow.commit()
    _send(a, sender, outgoing["id"], "NLD-CA")
    _deliver(a, transport)
    with b.app.unit_of_work() as uow:
        received = uow.session.scalar(
            select(RequestRow.id).where(RequestRow.id != earlier["id"])
            .order_by(RequestRow.id.desc()).limit(1)
        )  # fmt: skip
    [found] = _pairs(b.app, earlier["id"])
    assert (found.request_id, found.other_request_id) == (earlier["id"], received)
    assert found.found_by == "exchange" and found.person_score is not None


def test_two_registrations_committed_at_once_store_their_competition_once(app):
    """Two requests for the same person registered at the same instant: neither transaction
    sees the other's persons before it commits (PostgreSQL: both wait at a barrier just
    before COMMIT). The detection run again after the commit stores the pair exactly once,
    audited once on each request. SQLite serialises writers (no barrier there: the second
    transaction cannot begin before the first commits); the same holds."""
    officer = _registered_officer(app, "RACE-CA", "officer.race")
    person = {"role": "person_sought", "names": [{"name": "Miroslav Istovremenić"}],
              "birth_date": "1969-04-17", "nationality": "RS"}  # fmt: skip

    def register(state: str):
        def work(session) -> tuple[int, int]:
            body = request_body(kind="extradition", requesting_state=state,
                                requested_state="BE", persons=[person],
                                measures=[], crimes=["war_crimes"])  # fmt: skip
            created = create_request(session, officer, RequestCreate.model_validate(body),
                                     now=T0, basis=None, why="test")  # fmt: skip
            return created.id, len(session.scalars(select(CompetingRequestRow)).all())

        return work

    (fr, fr_saw), (ch, ch_saw) = committed_at_once(app, register("FR"), register("CH"))
    if app.engine.dialect.name == "postgresql":  # the race is real: neither saw the other
        assert (fr_saw, ch_saw) == (0, 0)
    ids = sorted([fr, ch])
    [pair] = _pairs(app, *ids)
    assert [pair.request_id, pair.other_request_id] == ids
    assert pair.found_by == "create" and pair.status == "open"
    for request_id in ids:
        [found] = _audit(app, request_id, "competing:found")
        assert found["competition"] == pair.id and found["found_by"] == "create"


def _registered_officer(app, authority: str, username: str):
    from judicare.auth.service import create_user, ensure_authority, principal_of

    with app.unit_of_work() as uow:
        ensure_authority(uow.session, authority, "BE", "detection test authority")
        user = create_user(uow.session, username=username, password="x" * 12,
                           role="officer", authority_id=authority)  # fmt: skip
        uow.commit()
        return principal_of(user)


def test_only_a_request_naming_a_sought_person_is_compared_at_registration(app):
    """A request being registered has no document yet, so without a sought person it cannot
    compete: no detection runs for it, and none is queued for after the commit. With a
    sought person both passes run."""
    from judicare.db.engine import AFTER_COMMIT_WORK

    officer = _registered_officer(app, "SKIP-CA", "officer.skip")
    witness_only = request_body(persons=[
        {"role": "witness", "names": [{"name": "Aida Svjedokić"}]},
        {"role": "victim", "names": [{"name": "Emina Žrtvić"}]},
    ])  # fmt: skip
    sought = request_body(kind="extradition", measures=[], crimes=["war_crimes"],
                          persons=[_sought("skip")])  # fmt: skip
    queued = {}
    for name, body in (("witness_only", witness_only), ("sought", sought)):
        with app.unit_of_work() as uow:
            create_request(uow.session, officer, RequestCreate.model_validate(body), now=T0,
                           basis=None, why="test")  # fmt: skip
            queued[name] = len(uow.session.info.get(AFTER_COMMIT_WORK, []))
            uow.commit()
    assert queued == {"witness_only": 0, "sought": 1}


def test_a_document_registered_with_its_request_finds_the_same_evidence(app):
    """The web intake registers a request and its documents in one transaction: a request
    naming no sought person still competes with another holding the same document."""
    from judicare.requests.documents import add_document

    officer = _registered_officer(app, "DOCS-CA", "officer.docs")
    evidence = b"%PDF-1.4 a seized ledger registered with its request"
    ids = []
    for state in ("FR", "CH"):
        with app.unit_of_work() as uow:
            created = create_request(uow.session, officer,
                                     RequestCreate.model_validate(request_body(
                                         requesting_state=state)),
                                     now=T0, basis=None, why="test")  # fmt: skip
            add_document(uow.session, app.file_store, officer, created.id, "ledger.pdf",
                         "application/pdf", evidence, now=T0, why="test",
                         limit=1_000_000)  # fmt: skip
            uow.commit()
            ids.append(created.id)
    [pair] = _pairs(app, *ids)
    assert [pair.request_id, pair.other_request_id] == ids
    assert pair.same_evidence is True and pair.person_score is None
