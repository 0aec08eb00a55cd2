"""A browser-like client for the web pages: its own cookies, signs in through the form and
sends the CSRF token with every post, as a browser would."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from judicare.demo import DEMO_PASSWORD
from tests.waiting import eventually

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class WebUser:
    def __init__(self, api, username: str | None = None, password: str = DEMO_PASSWORD) -> None:
        self.client = TestClient(api.client.app, follow_redirects=False)
        self.csrf = ""
        if username:
            response = self.login(username, password)
            assert response.status_code == 303, response.text

    def get(self, url: str, **kwargs):
        response = self.client.get(url, **kwargs)
        found = CSRF.search(response.text)
        if found:
            self.csrf = found.group(1)
        return response

    def post(self, url: str, data: dict | list | None = None, **kwargs):
        if not self.csrf:
            self.get("/login")
        if isinstance(data, list):  # repeated names (checkboxes) -> lists
            fields: dict = {"csrf_token": self.csrf}
            for name, value in data:
                fields.setdefault(name, []).append(value) if name in fields else fields.update(
                    {name: [value]}
                )
        else:
            fields = {**(data or {}), "csrf_token": self.csrf}
        response = self.client.post(url, data=fields, **kwargs)
        found = CSRF.search(response.text)
        if found:
            self.csrf = found.group(1)
        return response

    def login(self, username: str, password: str = DEMO_PASSWORD):
        self.get("/login")
        response = self.post("/login", {"username": username, "password": password, "next": "/"})
        if response.status_code == 303 and response.headers["location"] == "/":
            self.get("/")  # signing in gives the session a new CSRF token: read it
        return response

    def follow(self, response):
        assert response.status_code == 303, response.text[:2000]
        return self.get(response.headers["location"])


def incoming_form(**changes) -> list[tuple[str, str]]:
    """An incoming request as the intake form sends it (a Cyrillic name, a witness)."""
    fields = {
        "direction": "incoming",
        "kind": "mla",
        "requesting_state": "KAZ",
        "requested_state": "BEL",
        "requesting_authority": "Prosecutor General's Office (fictional test)",
        "received_on": "2026-11-20",
        "urgency": "normal",
        "confidentiality": "normal",
        "facts_summary": "Fictional facts for a test: hearing of a witness about a demonstration.",
        "subject_and_nature": "criminal investigation",
        "purpose": "evidence for trial",
        "requested_execution_date": "2026-12-20",
        "person_count": "1",
        "person-0-role": "witness",
        "person-0-name": "Жанар Нурланқызы Тестбаева",
        "person-0-birth_date": "1984-03",
        "person-0-nationality": "KAZ",
        "go": "submit",
    }
    fields.update(changes)
    return [*fields.items(), ("measures", "hearing_witness")]


def new_request(officer: WebUser) -> int:
    """A request registered through the intake form; its id."""
    response = officer.post("/requests/new", incoming_form())
    assert response.status_code == 303, response.text[:2000]
    return int(re.search(r"/requests/(\d+)$", response.headers["location"]).group(1))


def under_review(officer: WebUser) -> int:
    """A new request moved to under review through the status form; its id."""
    request_id = new_request(officer)
    for status, version in (("registered", "1"), ("under_review", "2")):
        moved = officer.post(
            f"/requests/{request_id}/transitions", {"status": status, "version": version}
        )
        assert moved.status_code == 303, moved.text[:2000]
    return request_id


def wait_for_job(admin: WebUser, job: str, words: str):
    """The job's page once it says `words` (the import runs in the background)."""
    last = {}

    def said():
        last["page"] = admin.get(f"/registers/jobs/{job}")
        return last["page"] if words in last["page"].text else None

    return eventually(said, f"the job page says {words!r}", every=0.05,
                      explain=lambda: last["page"].text[-3000:])  # fmt: skip
