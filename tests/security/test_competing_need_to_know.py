"""Issue 20's need-to-know attacks: pieter.officer (the other authority, NLD-CA) tries to
learn of a Belgian request for the same person, through the API and the web pages. He must
learn nothing beyond the bare fact that another request exists at this node, and that only
if his role decides on requests (an officer does not; a legal reviewer does). The Belgian
victims page, measures and obligations stay hidden as if they did not exist. On SQLite and
PostgreSQL."""

from __future__ import annotations

import pytest

from judicare.demo import DEMO_PASSWORD
from tests.integration.api_support import OTHER, OWN, demo_database
from tests.integration.web_support import WebUser

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
SOUGHT = {"role": "person_sought", "names": [{"name": "Goran Securitytestić"}],
          "birth_date": "1968-02-03", "nationality": "RS"}  # fmt: skip
WITNESS = {"role": "witness", "names": [{"name": "Vesna Securitytest"}]}


@pytest.fixture
def node(request, database_url):
    api = demo_database(request, database_url)
    yield api
    api.app.dispose()


def _pieter(api) -> dict:
    token = api.client.post("/api/v1/auth/token",
                            json={"username": "pieter.officer", "password": DEMO_PASSWORD})  # fmt: skip
    assert token.status_code == 201, token.text
    return {"Authorization": f"Bearer {token.json()['token']}"}


def test_pieter_learns_nothing_of_the_belgian_request_and_only_a_decider_learns_the_fact(node):
    body = {"kind": "extradition", "requesting_state": "FR", "measures": [],
            "persons": [SOUGHT, WITNESS]}  # fmt: skip
    belgian = node.create(authority=OWN, **body)
    witness = next(p["id"] for p in belgian["persons"] if p["role"] == "witness")
    measure = node.client.post(
        f"/api/v1/requests/{belgian['id']}/protection-measures", headers=node.headers("officer"),
        json={"person_id": witness, "measure": "anonymity", "reasons": "threats"},
    ).json()  # fmt: skip
    pieter = _pieter(node)
    dutch = node.client.post("/api/v1/requests", headers=pieter,
                             json={**_body(body), "requesting_state": "DE"})  # fmt: skip
    assert dutch.status_code == 201, dutch.text
    dutch = dutch.json()
    secrets = (belgian["reference"], "FRA", "Securitytest", str(belgian["id"]))

    # the officer (no deciding role): not even the bare fact
    seen = node.client.get(f"/api/v1/requests/{dutch['id']}/competing", headers=pieter).json()
    assert seen["competing"] == [] and seen["another_request_exists_at_this_node"] is False
    web = WebUser(node, "pieter.officer")
    page = web.get(f"/requests/{dutch['id']}").text
    assert "Another request exists at this node" not in page
    assert belgian["reference"] not in page

    # a decider of his authority: the bare fact, no detail
    decider = node.client.get(f"/api/v1/requests/{dutch['id']}/competing",
                              headers=node.headers("legal_reviewer", OTHER)).json()  # fmt: skip
    assert decider["another_request_exists_at_this_node"] is True
    assert decider["competing"] == [] and decider["decisions"] == []
    assert belgian["reference"] not in str(decider) and "FRA" not in str(decider)
    reviewer_page = WebUser(node, f"t.legal_reviewer.{OTHER}").get(f"/requests/{dutch['id']}")
    assert "Another request exists at this node" in reviewer_page.text
    assert belgian["reference"] not in reviewer_page.text

    # everything Belgian answers as if it did not exist, by every path
    for url in (f"/api/v1/requests/{belgian['id']}/competing",
                f"/api/v1/requests/{belgian['id']}/victims",
                f"/api/v1/requests/{belgian['id']}/obligations"):  # fmt: skip
        hidden = node.client.get(url, headers=pieter)
        assert hidden.status_code == 404, url
        assert not any(s in hidden.text for s in secrets[:3])
    assert web.get(f"/requests/{belgian['id']}/victims").status_code == 404
    decided = node.client.post(f"/api/v1/protection-measures/{measure['id']}/decision",
                               json={"grant": False, "reasons": "x"},
                               headers=node.headers("legal_reviewer", OTHER))  # fmt: skip
    missing = node.client.post("/api/v1/protection-measures/2147483000/decision",
                               json={"grant": False, "reasons": "x"},
                               headers=node.headers("legal_reviewer", OTHER))  # fmt: skip
    assert decided.status_code == missing.status_code == 404
    assert decided.json()["error"]["message"].replace(str(measure["id"]), "N") == missing.json()[
        "error"
    ]["message"].replace("2147483000", "N")
    board = node.client.get("/api/v1/obligations", headers=pieter).json()
    assert all(o["request_id"] != belgian["id"] for o in board)


def _body(body: dict) -> dict:
    from tests.integration.api_support import request_body

    return request_body(**body)
