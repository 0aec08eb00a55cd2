"""An API on a demo database, with a token for every role in two authorities."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi.testclient import TestClient

from judicare.app import FixedClock, create_app
from judicare.asgi import create_api
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

    def move(self, request_id: int, status: str, role: str = "supervisor", **extra):
        """An operational step through POST .../transitions, with the current ETag."""
        version = self.client.get(
            f"/api/v1/requests/{request_id}", headers=self.headers(role)
        ).headers.get("etag", '"1"')
        return self.client.post(
            f"/api/v1/requests/{request_id}/transitions", json={"status": status, **extra},
            headers=self.headers(role, **{"If-Match": version}),
        )  # fmt: skip

    def under_review(self, **changes) -> dict:
        """A new request registered and under review, ready for a decision."""
        created = self.create(**changes)
        for status in ("registered", "under_review"):
            moved = self.move(created["id"], status)
            assert moved.status_code == 200, moved.text
        return moved.json()

    def decide(
        self,
        request_id: int,
        outcome: str,
        role: str = "legal_reviewer",
        authority: str = OWN,
        **extra,
    ):
        """Propose a decision through its route (POST .../decisions)."""
        body = {
            "outcome": outcome,
            "reasons": f"test: {outcome}",
            "consulted": True,
            "citations": [{"instrument": "be-mla-2004", "article": "4 §2"}],
            **extra,
        }
        return self.client.post(f"/api/v1/requests/{request_id}/decisions", json=body,
                                headers=self.headers(role, authority))  # fmt: skip

    def approve(
        self, decision_id: int, role: str = "supervisor", authority: str = OWN, approve: bool = True
    ):
        return self.client.post(
            f"/api/v1/decisions/{decision_id}/approval",
            json={"approve": approve, "note": "test: four-eyes"},
            headers=self.headers(role, authority),
        )

    def refused_as_national(self, request_id: int) -> None:
        """Extradition of a national refused: the request moved under review, a refusal on
        the finding of nationality proposed and approved (what opens an obligation)."""
        for status in ("registered", "under_review"):
            moved = self.move(request_id, status)
            assert moved.status_code == 200, moved.text
        refusal = {"outcome": "refuse", "consulted": True, "reasons": "national",
                   "citations": [{"finding": "nationality"}]}  # fmt: skip
        made = self.client.post(f"/api/v1/requests/{request_id}/decisions", json=refusal,
                                headers=self.headers("legal_reviewer"))  # fmt: skip
        assert made.status_code == 201, made.text
        approved = self.approve(made.json()["id"])
        assert approved.status_code == 200, approved.text

    def decided(self, request_id: int, outcome: str) -> dict:
        """A decision proposed by the legal reviewer and, where four-eyes requires it,
        approved by the supervisor: the way a request reaches accepted, refused, postponed."""
        proposed = self.decide(request_id, outcome)
        assert proposed.status_code == 201, proposed.text
        if proposed.json()["status"] == "pending_approval":
            approved = self.approve(proposed.json()["id"])
            assert approved.status_code == 200, approved.text
        return self.client.get(
            f"/api/v1/requests/{request_id}", headers=self.headers("supervisor")
        ).json()


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


def demo_api_on(database_url: str, built: DemoApi | None = None) -> DemoApi:
    """An API on `database_url`; with `built`, the tokens and user ids of the demo API
    that built the database (`build_demo_api`) this one is a copy of."""
    app = create_app(
        Settings(database_url=database_url, environment="test"),
        clock=FixedClock(TODAY),
        file_store=MemoryFileStore(),
    )
    api = DemoApi(app=app, client=TestClient(create_api(app)))
    if built is not None:
        api.tokens, api.user_ids = dict(built.tokens), dict(built.user_ids)
    return api


def build_demo_api(database_url: str) -> DemoApi:
    api = demo_api_on(database_url)
    app = api.app
    upgrade_database(app)
    load_demo(app)
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


def demo_database(request, database_url: str) -> DemoApi:
    """An API on a copy of a demo database built once per session and backend (see
    `tests.conftest.built_database`): the same as `build_demo_api(database_url)`, faster.
    The caller disposes of `api.app`."""
    from tests.conftest import built_database

    def build(url: str) -> DemoApi:
        built = build_demo_api(url)
        built.app.dispose()
        return built

    url, built = built_database(request, database_url, "demo", build)
    return demo_api_on(url, built)
