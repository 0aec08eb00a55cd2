"""The seed case (shared/seeds/003): Kazakhstan asks Belgium for mutual legal assistance
about a woman whom Belgium recognised as a refugee fleeing Kazakhstan. Her name is in
Cyrillic in the request and romanised differently in the refugee register.

The screening must show: no treaty basis (only Belgian law), the protected-status match, the
persecution ground and the political-offence question; and no decision may take effect
without a supervisor's approval. On SQLite and PostgreSQL, through the API and the CLI."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from judicare.cli import app as cli
from tests.conftest import built_database
from tests.integration.api_support import DemoApi, build_demo_api, demo_api_on, request_body

REGISTER = """id,names,birth_date,nationality,status,country_of_feared_persecution,status_date
BE-R-0001,Zhanar Nurlankyzy Testbayeva|Janar Testbaieva,1984-03-17,KAZ,refugee,KAZ,2019-05-02
"""
SEED = request_body(
    requesting_state="KZ", requested_state="BE", kind="mla", crimes=[],
    facts_summary="The requesting state investigates statements made abroad by a woman now living in Belgium.",
    persons=[{"role": "suspect", "names": [{"name": "Жанар Нурланқызы Тестбаева"}],
              "birth_date": "1984-03", "nationality": "KZ"}],
)  # fmt: skip


def _build_seed(url: str, tmp_path) -> tuple[DemoApi, int]:
    """The seed case on a migrated database: the demo, the refugee register, the request
    under review."""
    api = build_demo_api(url)
    register = tmp_path / "refugees.csv"
    register.write_text(REGISTER, encoding="utf-8")
    result = CliRunner().invoke(cli, ["persons", "import", str(register), "--register", "refugees",
                                      "--db", url])  # fmt: skip
    assert result.exit_code == 0, result.output
    created = api.create(**SEED)
    version = 1
    for step in ("registered", "under_review"):
        moved = api.client.post(f"/api/v1/requests/{created['id']}/transitions", json={"status": step},
                                headers=api.headers("officer", **{"If-Match": f'"{version}"'}))  # fmt: skip
        version = moved.json()["version"]
    api.app.dispose()
    return api, created["id"]


@pytest.fixture
def seed(request, database_url, tmp_path_factory):
    """The seed case, built once per session and backend and copied for each test."""
    url, (built, request_id) = built_database(
        request, database_url, "seed", lambda url: _build_seed(url, tmp_path_factory.mktemp("seed"))
    )
    api = demo_api_on(url, built)
    yield api, request_id, url
    api.app.dispose()


def test_the_screening_report_of_the_seed_case(seed):
    api, request_id, _ = seed
    report = api.client.get(f"/api/v1/requests/{request_id}/screening",
                            headers=api.headers("legal_reviewer")).json()  # fmt: skip
    basis = report["legal_basis"]
    assert basis["bases"] == []
    assert basis["fallback"]["law"] == "be-mla-2004" and basis["fallback"]["reciprocity"] is True
    findings = {f["ground"]: f for f in report["findings"]}
    # The demo register holds her too (DEMO-R-0001); the imported entry is found as well.
    protected = next(
        f
        for f in report["findings"]
        if f["ground"] == "protected_status" and f["evidence"]["match"]["id"] == "BE-R-0001"
    )
    assert protected["severity"] == "high"
    assert protected["evidence"]["match"]["register"] == "refugees"
    assert protected["evidence"]["match"]["id"] == "BE-R-0001"
    assert protected["evidence"]["match"]["country_of_feared_persecution"] == "KAZ"
    assert {"instrument": "refugee-1951", "article": "33"}.items() <= protected["citations"][
        0
    ].items()
    assert findings["persecution"]["severity"] == "high"
    assert findings["political_offence"]["category"] == "mandatory_refusal"
    assert "unverified" in findings["political_offence"]["explanation"]
    assert report["requires_supervisor"] is True


def test_no_decision_takes_effect_without_a_supervisor(seed):
    api, request_id, _ = seed
    url = f"/api/v1/requests/{request_id}"
    grant = api.client.post(f"{url}/decisions", headers=api.headers("legal_reviewer"), json={
        "outcome": "grant", "reasons": "assistance limited to documents",
        "citations": [{"finding": "protected_status"}]})  # fmt: skip
    assert grant.status_code == 201, grant.text
    assert grant.json()["status"] == "pending_approval" and grant.json()["requires_approval"]
    assert api.client.get(url, headers=api.headers("officer")).json()["status"] == "under_review"
    # The reviewer cannot approve; a second decision waits for the first.
    decision = grant.json()["id"]
    assert api.client.post(f"/api/v1/decisions/{decision}/approval", json={"approve": True, "note": "ok"},
                           headers=api.headers("legal_reviewer")).status_code == 403  # fmt: skip
    assert api.client.post(f"{url}/decisions", headers=api.headers("supervisor"), json={
        "outcome": "refuse", "reasons": "x", "citations": [{"finding": "persecution"}]}).status_code == 409  # fmt: skip
    # A supervisor rejects the proposal; then refuses, but cannot approve her own refusal.
    rejected = api.client.post(f"/api/v1/decisions/{decision}/approval", headers=api.headers("supervisor"),
                               json={"approve": False, "note": "the refugee status requires refusal"})  # fmt: skip
    assert rejected.json()["status"] == "rejected"
    refuse = api.client.post(f"{url}/decisions", headers=api.headers("supervisor"), json={
        "outcome": "refuse", "reasons": "request aimed at a recognised refugee's political opinion",
        "citations": [{"finding": "persecution"}, {"instrument": "be-mla-2004", "article": "4 §2"}]})  # fmt: skip
    own = api.client.post(f"/api/v1/decisions/{refuse.json()['id']}/approval",
                          headers=api.headers("supervisor"), json={"approve": True, "note": "agreed"})  # fmt: skip
    assert own.status_code == 409 and "four-eyes" in own.json()["error"]["message"]
    second = api.client.post(f"/api/v1/decisions/{refuse.json()['id']}/approval",
                             headers={"Authorization": api.headers("supervisor")["Authorization"].replace(
                                 api.tokens[("supervisor", "BEL-CA")], _demo_supervisor_token(api))},
                             json={"approve": True, "note": "agreed"})  # fmt: skip
    assert second.status_code == 200, second.text
    assert api.client.get(url, headers=api.headers("officer")).json()["status"] == "refused"


def test_reasons_must_cite_a_finding_of_the_report_or_a_provision(seed):
    api, request_id, _ = seed
    bad = api.client.post(f"/api/v1/requests/{request_id}/decisions", headers=api.headers("supervisor"),
                          json={"outcome": "grant", "reasons": "fine", "citations": [{"finding": "fiscal_offence"}]})  # fmt: skip
    assert bad.status_code == 422 and "does not contain" in bad.json()["error"]["message"]
    none = api.client.post(f"/api/v1/requests/{request_id}/decisions", headers=api.headers("supervisor"),
                           json={"outcome": "grant", "reasons": "fine", "citations": []})  # fmt: skip
    assert none.status_code == 422


def test_the_cli_screens_a_file_and_a_stored_request(seed, tmp_path):
    _api, request_id, url = seed
    path = tmp_path / "request.json"
    path.write_text(json.dumps(SEED), encoding="utf-8")
    runner = CliRunner()
    from_file = runner.invoke(cli, ["screen", "--file", str(path), "--db", url, "--json"])
    assert from_file.exit_code == 0, from_file.output
    report = json.loads(from_file.stdout)
    assert {"findings", "completeness", "legal_basis"} <= set(report)
    assert {"ground", "category", "severity", "citations", "explanation", "evidence"} <= set(
        report["findings"][0]
    )
    assert "missing" in report["completeness"]
    stored = runner.invoke(
        cli, ["screen", str(request_id), "--as", "sofie.supervisor", "--db", url, "--json"]
    )
    assert stored.exit_code == 0, stored.output
    assert any(f["ground"] == "protected_status" for f in json.loads(stored.stdout)["findings"])
    # Without --as, the local operator screens (as an auditor of the request's authority).
    plain = runner.invoke(cli, ["screen", str(request_id), "--db", url, "--json"])
    assert plain.exit_code == 0, plain.output
    assert json.loads(plain.stdout)["request"]["id"] == request_id
    missing = runner.invoke(cli, ["screen", "999999", "--db", url, "--json"])
    assert missing.exit_code != 0 and len(missing.stderr.strip().splitlines()) == 1


def _demo_supervisor_token(api) -> str:
    from sqlalchemy import select

    from judicare.auth.models import UserRow
    from judicare.auth.service import issue_token, principal_of

    with api.app.unit_of_work() as uow:
        user = uow.session.scalar(select(UserRow).where(UserRow.username == "sofie.supervisor"))
        token = issue_token(uow.session, principal_of(user), now=api.app.now())
        uow.commit()
    return token
