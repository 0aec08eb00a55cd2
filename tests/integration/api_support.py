"""An API on a demo database, with a token for every role in two authorities."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi.testclient import TestClient

from judicare.api.app import create_api
from judicare.app import FixedClock, create_app
from judicare.auth.permissions import Role
from judicare.auth.service import create_user, ensure_authority, issue_token, principal_of
from judicare.bootstrap import upgrade_database
from judicare.demo import DEMO_PASSWORD, load_demo
from judicare.files.store import MemoryFileStore
from judicare.settings import Settings
from tests.conftest import TODAY

OWN, OTHER = "BEL-CA", "NLD-CA"


@dataclass
class DemoApi:
    app: object
    client: TestClient
    tokens: dict = field(default_factory=dict)  # (role, authority) -> token
    user_ids: dict = field(default_factory=dict)

    def headers(self, role: str, authority: str = OWN, **extra) -> dict:
        return {"Authorization": f"Bearer {self.tokens[(role, authority)]}", **extra}

    def create(self, role: str = "officer", authority: str = OWN, **changes) -> dict:
        body = request_body(**changes)
        response = self.client.post(
            "/api/v1/requests", json=body, headers=self.headers(role, authority)
        )
        assert response.status_code == 201, response.text
        return response.json()


def request_body(**changes) -> dict:
    body = {
        "direction": "incoming",
        "kind": "mla",
        "requesting_state": "KZ",
        "requested_state": "BE",
        "requesting_authority": "Prosecutor General's Office (test)",
        "facts_summary": "Test facts: hearing of a witness about events in a fictional town.",
        "received_on": "2026-11-01",
        "requested_execution_date": "2026-11-10",
        "persons": [
            {"role": "witness", "names": [{"name": "Жанар Тестбаева"},
                                          {"name": "Zhanar Testbayeva", "form": "romanisation"}],
             "birth_date": "1984-03", "nationality": "KZ"},
        ],
        "measures": [{"measure": "hearing_witness"}],
    }  # fmt: skip
    body.update(changes)
    return body


def build_demo_api(database_url: str) -> DemoApi:
    app = create_app(
        Settings(database_url=database_url, environment="test"),
        clock=FixedClock(TODAY),
        file_store=MemoryFileStore(),
    )
    upgrade_database(app)
    load_demo(app)
    api = DemoApi(app=app, client=TestClient(create_api(app)))
    with app.unit_of_work() as uow:
        ensure_authority(uow.session, OTHER, "NLD", "test")
        for role in Role:
            for authority in (OWN, OTHER):
                user = create_user(
                    uow.session, username=f"t.{role.value}.{authority}", password=DEMO_PASSWORD,
                    role=role.value, authority_id=authority,
                )  # fmt: skip
                api.tokens[(role.value, authority)] = issue_token(
                    uow.session, principal_of(user), now=app.now()
                )
                api.user_ids[(role.value, authority)] = user.id
        uow.commit()
    return api
