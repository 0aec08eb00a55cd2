"""Issue 20, "Done when", end to end on SQLite and PostgreSQL: a victim's question answered
in the victim's language with consent; protection measures kept out of what goes to a state
that must not know them; a state's request and the Court's request for the same person
found and decided with reasons (four-eyes), within need-to-know; a refusal on nationality
producing an obligation to prosecute that is tracked to its end."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from judicare.audit.models import AuditEventRow
from judicare.prosecution.models import ProsecutionObligationRow
from judicare.victims.models import ProtectionMeasureRow
from judicare.victims.schemas import MeasureIn
from judicare.victims.service import request_measure, wire_measures
from tests.conftest import TODAY
from tests.integration.api_support import OTHER, OWN
from tests.integration.exchange_nodes import _deliver, _officer, _outgoing, _send

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

VICTIM = {"role": "victim", "names": [{"name": "Olena Testenko"}], "nationality": "UA"}


@pytest.fixture
def api(demo_api):
    return demo_api


def _person(api, request, role):
    return next(p["id"] for p in request["persons"] if p["role"] == role)


def _tags(api, request_id: int) -> list[str]:
    with api.app.unit_of_work() as uow:
        return list(
            uow.session.scalars(
                select(AuditEventRow.tag)
                .where(AuditEventRow.subject_type == "request",
                       AuditEventRow.subject_id == str(request_id))
                .order_by(AuditEventRow.seq)
            )
        )  # fmt: skip


# --- victims: information in their language, only with consent --------------------------


def test_a_victims_question_is_answered_in_her_language_only_with_consent(api):
    request = api.create(persons=[VICTIM])
    victim = _person(api, request, "victim")
    url = f"/api/v1/requests/{request['id']}"
    officer = api.headers("officer")
    asked = api.client.post(
        f"{url}/victim-information-requests", headers=officer,
        json={"person_id": victim, "question": "Où en est l'affaire ?", "received_on": "2026-11-20"},
    )  # fmt: skip
    assert asked.status_code == 201, asked.text
    task = asked.json()
    assert task["status"] == "open" and task["due"] > "2026-11-20" and not task["overdue"]
    answer = {
        "person_id": victim,
        "step": "answer_to_question",
        "answer": "la demande est en cours d'examen",
        "information_request_id": task["id"],
    }
    # no rights-and-needs record yet, then no consent: nothing is sent
    assert api.client.post(f"{url}/victim-notices", json=answer, headers=officer).status_code == 409
    needs = {"language": "fr", "interpreter_needed": True, "sgbv": True,
             "consent_to_contact": False}  # fmt: skip
    put = api.client.put(f"{url}/victims/{victim}/needs", json=needs, headers=officer)
    assert put.status_code == 200, put.text
    refused = api.client.post(f"{url}/victim-notices", json=answer, headers=officer)
    assert refused.status_code == 409 and "consented" in refused.text
    half = api.client.put(f"{url}/victims/{victim}/needs",
                          json={**needs, "consent_to_contact": True}, headers=officer)  # fmt: skip
    assert half.status_code == 422 and "channel" in half.text
    consent = {**needs, "consent_to_contact": True, "channel": "email", "contact": "o@example.org"}
    assert api.client.put(f"{url}/victims/{victim}/needs", json=consent,
                          headers=officer).status_code == 200  # fmt: skip
    sent = api.client.post(f"{url}/victim-notices", json=answer, headers=officer)
    assert sent.status_code == 201, sent.text
    notice = sent.json()
    assert notice["language"] == "fr" and notice["channel"] == "email"
    assert notice["text"].startswith("Vous nous avez posé une question sur l'affaire")
    assert request["reference"] in notice["text"] and "en cours d'examen" in notice["text"]
    again = api.client.post(f"{url}/victim-notices", json=answer, headers=officer)
    assert again.status_code == 409  # answered once
    view = api.client.get(f"{url}/victims", headers=api.headers("auditor")).json()
    assert view["information_requests"][0]["status"] == "answered"
    assert [n["step"] for n in view["notices"]] == ["answer_to_question"]
    tags = _tags(api, request["id"])
    assert "officer:victim:information:ask" in tags and "officer:victim:information:send" in tags
    # another authority learns nothing of it
    assert (
        api.client.get(f"{url}/victims", headers=api.headers("officer", OTHER)).status_code == 404
    )


def test_no_text_in_a_language_without_one_and_witness_roles_only(api):
    request = api.create(persons=[VICTIM])
    victim = _person(api, request, "victim")
    url = f"/api/v1/requests/{request['id']}"
    api.client.put(f"{url}/victims/{victim}/needs", headers=api.headers("officer"),
                   json={"language": "uk", "consent_to_contact": True, "channel": "phone"})  # fmt: skip
    step = {"person_id": victim, "step": "request_received"}
    sent = api.client.post(f"{url}/victim-notices", json=step, headers=api.headers("officer"))
    assert sent.status_code == 422 and "'uk'" in sent.text and "en, fr, nl" in sent.text
    stranger = api.client.put(f"{url}/victims/999999/needs", headers=api.headers("officer"),
                              json={"language": "fr"})  # fmt: skip
    assert stranger.status_code == 422 and "person_id 999999" in stranger.text


# --- protection measures: decided with reasons, complete, never to a state that must not know


def test_a_measure_is_granted_only_complete_and_by_a_person_who_decides(api):
    request = api.create()
    witness = _person(api, request, "witness")
    url = f"/api/v1/requests/{request['id']}/protection-measures"
    made = api.client.post(url, headers=api.headers("officer"), json={
        "person_id": witness, "measure": "video_hearing", "data": {"hearing_date": "2026-12-10"},
        "reasons": "The witness fears travelling to the requesting state."})  # fmt: skip
    assert made.status_code == 201, made.text
    measure = made.json()
    assert measure["completeness"]["complete"] is False
    assert {c["instrument"] for c in measure["citations"]} == {"coe-mla-1959-p2", "lhc-2023"}
    assert all(c["verified"] is False for c in measure["citations"])
    decide = f"/api/v1/protection-measures/{measure['id']}/decision"
    body = {"grant": True, "reasons": "Necessary to protect the witness."}
    assert api.client.post(decide, json=body, headers=api.headers("officer")).status_code == 403
    incomplete = api.client.post(decide, json=body, headers=api.headers("legal_reviewer"))
    assert incomplete.status_code == 422 and "conducting_authority" in incomplete.text
    refused = api.client.post(decide, headers=api.headers("legal_reviewer"),
                              json={"grant": False, "reasons": "No hearing is planned."})  # fmt: skip
    assert refused.status_code == 200 and refused.json()["decided_by"].startswith("t.legal")
    assert refused.json()["decision_reasons"] == "No hearing is planned."
    hidden = api.client.post(decide, json=body, headers=api.headers("legal_reviewer", OTHER))
    assert hidden.status_code == 404


def test_measures_travel_with_the_request_but_never_to_a_state_that_must_not_know(pair):
    a, b, transport = pair
    who = _officer(a)
    request_id = _outgoing(a, who)
    with a.app.unit_of_work() as uow:
        from judicare.requests.models import RequestRow

        row = uow.session.get(RequestRow, request_id)
        witness = row.persons[0].id
        for measure, withheld in (("anonymity", ["KZ"]), ("relocation_referral", ["NL"])):
            request_measure(uow.session, who, request_id, MeasureIn(
                person_id=witness, measure=measure, withhold_from=withheld,
                data={"referred_to": "national protection programme"},
                reasons="threats reported by the witness"), now=a.clock[0], why="test")  # fmt: skip
        uow.commit()
        # what a document for the Netherlands, or for Kazakhstan, may say
        assert [m["measure"] for m in wire_measures(uow.session, row, "NLD")] == ["anonymity"]
        assert wire_measures(uow.session, row, "KAZ") == []
    _send(a, who, request_id, "NLD-CA")
    _deliver(a, transport)
    with b.app.unit_of_work() as uow:
        arrived = uow.session.scalars(select(ProtectionMeasureRow)).all()
        assert [(m.measure, m.withhold_from) for m in arrived] == [("anonymity", ["KAZ"])]
        assert arrived[0].requested_by == "node BEL-CA" or arrived[0].requested_by.startswith(
            "node "
        )


# --- competing requests: a state's and the Court's, for the same person --------------------

SOUGHT = {"role": "person_sought", "names": [{"name": "Marko Testović"}],
          "birth_date": "1971-04-02", "nationality": "RS"}  # fmt: skip


def _extradition(api, authority=OWN, **changes):
    body = {"kind": "extradition", "persons": [SOUGHT], "measures": [], "crimes": ["war_crimes"],
            "requesting_state": "DE", **changes}  # fmt: skip
    return api.create(authority=authority, **body)


def test_a_state_and_the_court_seek_the_same_person_decided_with_reasons(api):
    state = _extradition(api)
    court = _extradition(api, requesting_state="XIC",
                         requesting_authority="International Criminal Court (test)")  # fmt: skip
    seen = api.client.get(f"/api/v1/requests/{state['id']}/competing",
                          headers=api.headers("legal_reviewer")).json()  # fmt: skip
    found = {c["request_id"]: c for c in seen["competing"]}
    assert court["id"] in found and found[court["id"]]["court"] is True
    assert found[court["id"]]["person_score"] >= 0.75
    governing = found[court["id"]]["governing"]
    assert [d["article"] for d in governing["duties"]] == ["90(1)", "90(8)"]
    url = f"/api/v1/requests/{state['id']}/competing-decisions"
    body = {"other_request_id": court["id"], "priority_to": court["id"],
            "reasons": "The Court has found the case admissible; Germany is a party.",
            "facts": {"same_conduct": True, "court_admissibility": "admissible"}}  # fmt: skip
    assert api.client.post(url, json=body, headers=api.headers("officer")).status_code == 403
    proposed = api.client.post(url, json=body, headers=api.headers("supervisor"))
    assert proposed.status_code == 201, proposed.text
    decision = proposed.json()
    assert decision["status"] == "pending_approval"
    assert decision["rule"].startswith("rome_90:")
    approval = f"/api/v1/competing-decisions/{decision['id']}/approval"
    own = api.client.post(approval, json={"approve": True, "note": "ok"},
                          headers=api.headers("supervisor"))  # fmt: skip
    assert own.status_code == 403 or own.status_code == 409
    other_supervisor = _second_supervisor(api)
    approved = api.client.post(approval, json={"approve": True, "note": "Checked the ruling."},
                               headers=other_supervisor)  # fmt: skip
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "effective"
    assert "supervisor:competing:approve" in _tags(api, court["id"])


def _second_supervisor(api) -> dict:
    from judicare.auth.service import create_user, issue_token, principal_of
    from judicare.demo import DEMO_PASSWORD

    with api.app.unit_of_work() as uow:
        name = f"t.supervisor2.{len(api.tokens)}"
        user = create_user(uow.session, username=name, password=DEMO_PASSWORD,
                           role="supervisor", authority_id=OWN)  # fmt: skip
        token = issue_token(uow.session, principal_of(user), now=api.app.now())
        uow.commit()
    api.tokens[(name, OWN)] = token
    return {"Authorization": f"Bearer {token}"}


def test_a_state_state_competition_cites_ece_17_and_needs_each_criterion_weighed(api):
    first = _extradition(api, requesting_state="FR")
    second = _extradition(api, requesting_state="CH")
    seen = api.client.get(f"/api/v1/requests/{first['id']}/competing",
                          headers=api.headers("legal_reviewer")).json()  # fmt: skip
    governing = {c["request_id"]: c["governing"] for c in seen["competing"]}[second["id"]]
    if governing["rule"] != "ece_17":
        pytest.fail(f"the register should say ECE binds FR, CH and BE: {governing['rule']}")
    assert governing["citations"][0]["article"] == "17"
    url = f"/api/v1/requests/{first['id']}/competing-decisions"
    body = {"other_request_id": second["id"], "priority_to": first["id"],
            "reasons": "Germany asked first for the more serious offences."}  # fmt: skip
    missing = api.client.post(url, json=body, headers=api.headers("legal_reviewer"))
    assert missing.status_code == 422 and "relative_seriousness" in missing.text
    weighed = {c: f"weighed: {c}" for c in governing["criteria"]}
    made = api.client.post(url, json={**body, "criteria": weighed},
                           headers=api.headers("legal_reviewer"))  # fmt: skip
    assert made.status_code == 201, made.text


def test_across_authorities_only_the_bare_fact_and_only_to_the_role_that_decides(api):
    mine = _extradition(api)
    theirs = _extradition(api, authority=OTHER)
    decider = api.client.get(f"/api/v1/requests/{theirs['id']}/competing",
                             headers=api.headers("legal_reviewer", OTHER)).json()  # fmt: skip
    assert decider["another_request_exists_at_this_node"] is True
    assert mine["id"] not in {c["request_id"] for c in decider["competing"]}
    text = str(decider)
    assert mine["reference"] not in text and "DEU" not in text.replace(theirs["reference"], "")
    officer = api.client.get(f"/api/v1/requests/{theirs['id']}/competing",
                             headers=api.headers("officer", OTHER)).json()  # fmt: skip
    assert officer["another_request_exists_at_this_node"] is False
    assert mine["id"] not in {c["request_id"] for c in officer["competing"]}
    hidden = api.client.get(f"/api/v1/requests/{mine['id']}/competing",
                            headers=api.headers("legal_reviewer", OTHER))  # fmt: skip
    assert hidden.status_code == 404
    steal = api.client.post(
        f"/api/v1/requests/{theirs['id']}/competing-decisions",
        json={"other_request_id": mine["id"], "priority_to": theirs["id"], "reasons": "x"},
        headers=api.headers("legal_reviewer", OTHER),
    )
    assert steal.status_code == 404


# --- aut dedere aut judicare: a refusal on nationality, tracked to its end -----------------


def _history(api, obligation_id: int) -> list[str]:
    """The obligation's history in the audit trail: the tags of its entries, oldest first."""
    with api.app.unit_of_work() as uow:
        rows = uow.session.execute(
            select(AuditEventRow.tag, AuditEventRow.details)
            .where(AuditEventRow.tag.like("%prosecution:obligation%"))
            .order_by(AuditEventRow.seq)
        ).all()
    return [tag for tag, details in rows if details.get("obligation") == obligation_id]


def test_a_refusal_on_nationality_creates_an_obligation_tracked_to_its_end(api):
    national = {"role": "person_sought", "names": [{"name": "Jan Testpeeters"}],
                "nationality": "BE"}  # fmt: skip
    request = api.create(kind="extradition", requesting_state="FR", persons=[national],
                         measures=[], crimes=["war_crimes"])  # fmt: skip
    for status in ("registered", "under_review"):
        assert api.move(request["id"], status).status_code == 200
    refusal = {"outcome": "refuse", "consulted": True,
               "reasons": "Belgium does not extradite its nationals; the case goes to its prosecutors.",
               "citations": [{"finding": "nationality"}]}  # fmt: skip
    proposed = api.client.post(f"/api/v1/requests/{request['id']}/decisions", json=refusal,
                               headers=api.headers("legal_reviewer"))  # fmt: skip
    assert proposed.status_code == 201, proposed.text
    assert api.client.get(f"/api/v1/requests/{request['id']}/obligations",
                          headers=api.headers("officer")).json() == []  # fmt: skip
    assert api.approve(proposed.json()["id"]).status_code == 200
    obligations = api.client.get(f"/api/v1/requests/{request['id']}/obligations",
                                 headers=api.headers("officer")).json()  # fmt: skip
    triggers = {o["trigger"]: o for o in obligations}
    # refused on nationality (ECE art. 6(2)); a war crime also engages the Geneva
    # Conventions' grave-breaches articles where they bind both states
    assert "ece_nationality" in triggers, obligations
    assert triggers["ece_nationality"]["binding"] == "yes"
    duty = triggers["ece_nationality"]
    assert duty["citations"][0]["instrument"] == "coe-extradition-1957"
    assert duty["citations"][0]["article"] == "6(2)" and duty["citations"][0]["verified"]
    assert duty["status"] == "open" and duty["inform_requesting_state"] is True
    assert duty["due"] == (TODAY + timedelta(days=90)).isoformat()
    board = api.client.get("/api/v1/obligations", headers=api.headers("officer")).json()
    assert duty["id"] in {o["id"] for o in board}
    other_board = api.client.get("/api/v1/obligations", headers=api.headers("officer", OTHER))
    assert duty["id"] not in {o["id"] for o in other_board.json()}
    step = f"/api/v1/obligations/{duty['id']}/steps"
    skip = api.client.post(step, json={"status": "decision_taken", "note": "x"},
                           headers=api.headers("officer"))  # fmt: skip
    assert skip.status_code == 409 and "submitted_to_prosecutors" in skip.text
    for status in ("submitted_to_prosecutors", "investigation_opened", "decision_taken"):
        moved = api.client.post(step, json={"status": status, "note": f"step {status}"},
                                headers=api.headers("officer"))  # fmt: skip
        assert moved.status_code == 200, moved.text
    no_outcome = api.client.post(step, json={"status": "closed", "note": "done"},
                                 headers=api.headers("officer"))  # fmt: skip
    assert no_outcome.status_code == 409 and "outcome" in no_outcome.text
    closed = api.client.post(step, json={"status": "closed", "outcome": "prosecuted",
                                         "note": "indictment filed"},
                             headers=api.headers("officer")).json()  # fmt: skip
    assert closed["awaiting_information_of_state"] is True
    # the outcome reached, the information of France is drafted at once; France has no node
    # here (the request was registered by hand): it goes as a formal notice, after four-eyes
    assert closed["information"]["status"] == "pending_approval"
    assert closed["information"]["channel"] == "notice"
    assert "prosecuted" in closed["information"]["text"]
    mark = f"/api/v1/obligations/{duty['id']}/informed"
    sent = {"informed_on": TODAY.isoformat(), "note": "notice sent to France by post"}
    early = api.client.post(mark, json=sent, headers=api.headers("officer"))
    assert early.status_code == 409 and "approval" in early.text
    notice = f"/api/v1/requests/{request['id']}/formal-documents/prosecution_outcome_notice"
    assert api.client.get(notice, headers=api.headers("officer")).status_code == 409
    approval = f"/api/v1/obligations/{duty['id']}/information/approval"
    own = api.client.post(approval, json={"approve": True, "note": "mine"},
                          headers=api.headers("officer"))  # fmt: skip
    assert own.status_code in (403, 409)
    approved = api.client.post(approval, json={"approve": True, "note": "checked the outcome"},
                               headers=api.headers("supervisor"))  # fmt: skip
    assert approved.status_code == 200, approved.text
    assert approved.json()["information"]["status"] == "approved"
    assert approved.json()["informed_on"] is None  # not sent yet: the notice is
    not_downloaded = api.client.post(mark, json=sent, headers=api.headers("officer"))
    assert not_downloaded.status_code == 409 and "download" in not_downloaded.text
    document = api.client.get(f"{notice}?lang=fr&format=docx", headers=api.headers("officer"))
    assert document.status_code == 200, document.text
    words = _docx_text(document.content)
    assert "Notification du résultat de la soumission aux fins de poursuites" in words
    assert "Des poursuites ont été engagées contre la personne." in words
    informed = api.client.post(mark, json=sent, headers=api.headers("officer"))
    assert informed.status_code == 200 and informed.json()["informed_on"] == TODAY.isoformat()
    assert informed.json()["information"]["status"] == "sent"
    assert api.client.get(notice, headers=api.headers("officer")).status_code == 409
    board = api.client.get("/api/v1/obligations", headers=api.headers("officer")).json()
    assert duty["id"] not in {o["id"] for o in board}
    history = _history(api, duty["id"])
    assert history == [
        "supervisor:prosecution:obligation:create",
        *["officer:prosecution:obligation:step"] * 4,
        "officer:prosecution:obligation:inform:draft",
        "supervisor:prosecution:obligation:inform:approve",
        "officer:prosecution:obligation:inform:notice",
        "officer:prosecution:obligation:inform",
    ]
    stats = api.client.get("/api/v1/obligations/statistics", headers=api.headers("officer"))
    assert stats.status_code == 200
    prosecuted = stats.json()["by_outcome"]["prosecuted"]
    assert prosecuted == "<5" or prosecuted >= 5  # one case alone is never shown as 1


def _docx_text(content: bytes) -> str:
    import io
    import re
    import zipfile

    with zipfile.ZipFile(io.BytesIO(content)) as docx:
        xml = docx.read("word/document.xml").decode("utf-8")
    return " ".join(re.findall(r"<w:t[^>]*>([^<]*)</w:t>", xml)).replace("&apos;", "'")


def test_the_dashboard_shows_overdue_obligations_first(api):
    national = {"role": "person_sought", "names": [{"name": "Piet Testjanssens"}],
                "nationality": "BE"}  # fmt: skip
    ids = []
    for _ in range(2):
        request = api.create(kind="extradition", requesting_state="DE", persons=[national],
                             measures=[], crimes=["torture"])  # fmt: skip
        api.refused_as_national(request["id"])
        ids.append(request["id"])
    with api.app.unit_of_work() as uow:
        late = uow.session.scalars(
            select(ProsecutionObligationRow).where(ProsecutionObligationRow.request_id == ids[1])
        ).all()
        for row in late:
            row.due = TODAY - timedelta(days=1)
        uow.commit()
    board = api.client.get("/api/v1/obligations", headers=api.headers("officer")).json()
    mine = [o for o in board if o["request_id"] in ids]
    assert mine[0]["request_id"] == ids[1] and mine[0]["overdue"] is True
    assert all(o["overdue"] for o in board[: len([o for o in board if o["overdue"]])])


def test_two_requests_holding_the_same_evidence_compete(api):
    first, second = api.create(), api.create()  # two MLA requests, different witnesses' data
    evidence = b"%PDF-1.4 the same seized ledger " + str(first["id"]).encode()
    for request in (first, second):
        uploaded = api.client.post(
            f"/api/v1/requests/{request['id']}/documents?filename=ledger.pdf", content=evidence,
            headers=api.headers("officer", **{"content-type": "application/pdf"}),
        )  # fmt: skip
        assert uploaded.status_code == 201, uploaded.text
    seen = api.client.get(f"/api/v1/requests/{first['id']}/competing",
                          headers=api.headers("officer")).json()  # fmt: skip
    found = {c["request_id"]: c for c in seen["competing"]}
    assert found[second["id"]]["same_evidence"] is True
