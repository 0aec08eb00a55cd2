"""Attacks on authentication and sessions (issue 13 section 5), on SQLite and PostgreSQL.

Each test is an attack that succeeded before the fix: guessing passwords without limit,
telling unknown names by the work done, flooding the password hasher, keeping a token or a
session after it should have ended, and a CSRF token planted before sign-in. Time moves by
changing the app's clock, never by sleeping; the hasher is counted, never timed.
"""

from __future__ import annotations

import os
import stat
from datetime import timedelta
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from typer.testing import CliRunner

from judicare.app import FixedClock, create_app
from judicare.asgi import create_api
from judicare.audit.service import list_events
from judicare.auth import passwords
from judicare.auth.service import create_user, ensure_authority
from judicare.auth.sign_in import PasswordGate
from judicare.cli import app as cli
from judicare.files.store import LocalFileStore
from judicare.settings import Settings
from tests.integration.web_support import WebUser

PASSWORD = "correct horse battery"
OTHER_PASSWORD = "a different long secret"
TOKEN = "/api/v1/auth/token"


@pytest.fixture
def api(app):
    """An API with an officer and an administrator of BEL-CA, and an administrator of another
    authority; `client` is the API's test client (its address is "testclient")."""
    with app.unit_of_work() as uow:
        ensure_authority(uow.session, "BEL-CA", "BEL", "test")
        ensure_authority(uow.session, "NLD-CA", "NLD", "test")
        for name, role, authority in (
            ("victim", "officer", "BEL-CA"),
            ("bel.admin", "admin", "BEL-CA"),
            ("nld.admin", "admin", "NLD-CA"),
        ):
            create_user(uow.session, username=name, password=PASSWORD, role=role,
                        authority_id=authority)  # fmt: skip
        uow.commit()
    fastapi = create_api(app)
    return SimpleNamespace(app=app, fastapi=fastapi, client=TestClient(fastapi))


def _sign_in(api, username="victim", password=PASSWORD):
    return api.client.post(TOKEN, json={"username": username, "password": password})


def _token(api, username="victim", password=PASSWORD) -> dict:
    response = _sign_in(api, username, password)
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def _later(api, **delta) -> None:
    """Move the application's clock (App.now() follows clock.today())."""
    api.app.clock = FixedClock(api.app.clock.today() + timedelta(**delta))


def _count_hash_checks(monkeypatch) -> list:
    calls = []
    real = passwords.verify_password

    def counted(password_hash, password):
        calls.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(passwords, "verify_password", counted)
    return calls


def _cli(api, monkeypatch, *args):
    monkeypatch.setenv("JUDICARE_ENVIRONMENT", "test")  # fast hashing stays on
    url = api.app.settings.effective_database_url
    return CliRunner().invoke(cli, [*args, "--db", url], catch_exceptions=False)


def _audit_tags(api, username: str, sign_ins: bool = False) -> list[str]:
    """The audit tags about a user, in order; sign-ins (credentials issued) left out unless
    `sign_ins`."""
    with api.app.unit_of_work() as uow:
        events = list_events(uow.session, subject_type="user", subject_id=username)
    tags = [e["tag"] for e in events]
    return tags if sign_ins else [t for t in tags if t != "account:credential:issue"]


# --- password guessing -------------------------------------------------------------------


def test_thirty_wrong_passwords_then_the_right_one_is_refused(api):
    answers = [_sign_in(api, password=f"guess number {n}").status_code for n in range(30)]
    assert answers[:5] == [401] * 5
    assert set(answers[5:]) == {429}
    right = _sign_in(api)
    assert right.status_code == 429  # the right password during a lockout does not work
    assert right.json()["error"]["code"] == "too_many_attempts"
    assert int(right.headers["Retry-After"]) > 0


def test_sign_ins_and_lockouts_are_in_the_audit_trail_but_not_each_guess(api):
    """OWASP ASVS 5.0 v5.0.0-16.3.1: every authentication is logged. A sign-in is one entry;
    a flood of wrong guesses is one entry per lockout, never one per guess."""
    _token(api)
    assert _audit_tags(api, "victim", sign_ins=True) == ["account:credential:issue"]
    for n in range(30):
        _sign_in(api, password=f"guess number {n}")
    with api.app.unit_of_work() as uow:
        locked = list_events(uow.session, subject_type="account", subject_id="victim")
    assert [e["tag"] for e in locked] == ["account:sign-in:locked-account"]
    assert locked[0]["details"]["failures"] == 5 and locked[0]["actor"] == "node:sign-in"
    _later(api, days=1)
    assert _sign_in(api, password="guess number 31").status_code == 401  # locked again: +1
    _later(api, days=1)
    assert _sign_in(api, password="guess number 32").status_code == 401
    with api.app.unit_of_work() as uow:
        assert len(list_events(uow.session, subject_type="account", subject_id="victim")) == 3


def test_a_right_password_at_the_threshold_is_no_lockout_in_the_trail(api):
    for n in range(4):
        assert _sign_in(api, password=f"guess number {n}").status_code == 401
    assert _sign_in(api).status_code == 201
    with api.app.unit_of_work() as uow:
        assert list_events(uow.session, subject_type="account", subject_id="victim") == []


def test_failures_are_shared_by_every_process_of_the_node(api):
    other = SimpleNamespace(app=api.app, client=TestClient(create_api(api.app)))  # a 2nd worker
    for n in range(3):
        assert _sign_in(api, password=f"guess number {n}").status_code == 401
    for n in range(2):
        assert _sign_in(other, password=f"other guess {n}").status_code == 401
    assert _sign_in(api).status_code == 429
    assert _sign_in(other).status_code == 429


def test_the_lockout_ends_then_grows_with_each_further_failure(api):
    for n in range(5):
        _sign_in(api, password=f"guess number {n}")
    assert _sign_in(api).status_code == 429
    _later(api, days=1)
    assert _sign_in(api, password="guess number 6").status_code == 401
    second = _sign_in(api)
    assert second.status_code == 429
    assert 110 <= int(second.headers["Retry-After"]) <= 120  # 60 s doubled
    _later(api, days=1)
    assert _sign_in(api).status_code == 201  # and the count starts afresh
    assert _sign_in(api, password="guess number 7").status_code == 401


def test_a_hundred_failures_lock_the_account_until_an_administrator_acts(api, monkeypatch):
    for _ in range(100):
        _later(api, days=1)  # always past the previous lockout
        _sign_in(api, password="guess again and again")
    _later(api, days=30)
    assert _sign_in(api).status_code == 429
    assert _cli(api, monkeypatch, "users", "activate", "victim").exit_code == 0
    assert _sign_in(api).status_code == 201


def test_guesses_sent_all_at_once_cannot_slip_under_the_threshold(api):
    from concurrent.futures import ThreadPoolExecutor

    from judicare.auth.permissions import Unauthenticated
    from judicare.auth.throttle import TooManyAttempts

    sign_in = api.fastapi.state.sign_in
    sign_in.gate = PasswordGate(slots=12, wait_seconds=60)

    def guess(n: int) -> str:
        try:
            sign_in.check("victim", f"parallel guess {n}", "192.0.2.7")
        except Unauthenticated:
            return "checked"
        except TooManyAttempts:
            return "refused"
        return "accepted"

    with ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = list(pool.map(guess, range(24)))
    assert outcomes.count("checked") == 5  # the threshold, however the guesses interleave
    assert outcomes.count("refused") == 19


def test_one_address_guessing_many_names_is_refused(api):
    for n in range(20):  # one guess per name: no account reaches its own threshold
        assert _sign_in(api, username=f"name{n}", password="a common password").status_code == 401
    refused = _sign_in(api)
    assert refused.status_code == 429
    assert "address" in refused.json()["error"]["message"]


def test_the_web_sign_in_is_throttled_with_a_translated_message(api):
    browser = WebUser(api)
    browser.post("/language", {"lang": "fr", "next": "/login"})
    for n in range(5):
        browser.get("/login")
        assert (
            browser.post("/login", {"username": "victim", "password": f"x{n}"}).status_code == 401
        )
    browser.get("/login")
    page = browser.post("/login", {"username": "victim", "password": PASSWORD})
    assert page.status_code == 429
    assert "Trop de connexions échouées" in page.text
    assert "Retry-After" in page.headers


def test_an_unknown_name_costs_one_password_check_like_a_known_one(api, monkeypatch):
    checks = _count_hash_checks(monkeypatch)
    assert _sign_in(api, username="nobody.here", password="wrong password").status_code == 401
    assert _sign_in(api, username="victim", password="wrong password").status_code == 401
    assert len(checks) == 2
    assert checks[0] is not None and checks[0].startswith("$argon2id$")


def test_throttled_attempts_never_reach_the_password_hasher(api, monkeypatch):
    for n in range(5):
        _sign_in(api, password=f"guess number {n}")
    checks = _count_hash_checks(monkeypatch)
    for n in range(50):
        assert _sign_in(api, password=f"flood {n}").status_code == 429
    assert checks == []


def test_a_flood_beyond_the_hashing_slots_is_refused_at_once(api, monkeypatch):
    gate = api.fastapi.state.sign_in.gate = PasswordGate(slots=1, wait_seconds=0)
    checks = _count_hash_checks(monkeypatch)
    with gate.slot():  # another sign-in is being checked
        busy = _sign_in(api)
    assert busy.status_code == 503
    assert busy.headers["Retry-After"] == "1"
    assert checks == []
    assert _sign_in(api).status_code == 201  # the slot is free again


# --- tokens and sessions -------------------------------------------------------------------


def test_an_api_token_expires(api):
    headers = _token(api)
    assert api.client.get("/api/v1/requests", headers=headers).status_code == 200
    _later(api, days=1)
    refused = api.client.get("/api/v1/requests", headers=headers)
    assert refused.status_code == 401
    assert "expired" in refused.json()["error"]["message"]


def test_a_revoked_token_is_refused(api):
    headers = _token(api)
    assert api.client.delete(TOKEN, headers=headers).status_code == 204
    assert api.client.get("/api/v1/requests", headers=headers).status_code == 401
    assert "account:user:revoke-token" in _audit_tags(api, "victim")


def test_a_deactivated_users_open_session_and_token_end_at_once(api, monkeypatch):
    headers = _token(api)
    browser = WebUser(api, "victim", PASSWORD)
    assert browser.get("/").status_code == 200
    result = _cli(api, monkeypatch, "users", "deactivate", "victim", "--why", "left the service")
    assert result.exit_code == 0, result.output
    assert "deactivated" in result.output
    assert browser.get("/").status_code == 303  # to the sign-in page
    assert api.client.get("/api/v1/requests", headers=headers).status_code == 401
    assert _sign_in(api).status_code == 401
    assert "account:user:deactivate" in _audit_tags(api, "victim")
    assert _cli(api, monkeypatch, "users", "activate", "victim").exit_code == 0
    assert _sign_in(api).status_code == 201
    assert api.client.get("/api/v1/requests", headers=headers).status_code == 401  # still over


def test_an_administrator_ends_a_users_sessions_in_the_web_app(api):
    with api.app.unit_of_work() as uow:
        victim_id = uow.session.execute(
            text("SELECT id FROM users WHERE username = 'victim'")
        ).scalar_one()
    target = f"/admin/users/{victim_id}/deactivate"
    victim = WebUser(api, "victim", PASSWORD)
    foreign = WebUser(api, "nld.admin", PASSWORD)
    assert foreign.post(target).status_code == 404  # not their authority
    admin = WebUser(api, "bel.admin", PASSWORD)
    assert "victim" in admin.get("/admin/users").text
    forged = admin.client.post(target, data={"csrf_token": "planted"})
    assert forged.status_code == 403
    assert victim.get("/").status_code == 200
    assert admin.post(target).status_code == 303
    assert victim.get("/").status_code == 303
    admin.post(f"/admin/users/{victim_id}/activate")
    admin.post(f"/admin/users/{victim_id}/password", {"new_password": OTHER_PASSWORD})
    assert _sign_in(api).status_code == 401
    assert _sign_in(api, password=OTHER_PASSWORD).status_code == 201
    again = WebUser(api, "victim", OTHER_PASSWORD)
    admin.post(f"/admin/users/{victim_id}/revoke-tokens")
    assert again.get("/").status_code == 303
    assert _audit_tags(api, "victim") == [
        "account:user:deactivate",
        "account:user:activate",
        "account:user:set-password",
        "account:user:revoke-tokens",
    ]


def test_a_password_change_ends_the_other_sessions(api):
    mine, stolen = _token(api), _token(api)
    wrong = api.client.post("/api/v1/auth/password", headers=mine,
                            json={"current_password": "not it at all", "new_password": OTHER_PASSWORD})  # fmt: skip
    assert wrong.status_code == 401
    changed = api.client.post("/api/v1/auth/password", headers=mine,
                              json={"current_password": PASSWORD, "new_password": OTHER_PASSWORD})  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert api.client.get("/api/v1/requests", headers=stolen).status_code == 401
    assert api.client.get("/api/v1/requests", headers=mine).status_code == 200
    assert _sign_in(api).status_code == 401
    assert _sign_in(api, password=OTHER_PASSWORD).status_code == 201
    assert "account:user:change-password" in _audit_tags(api, "victim")


def test_the_cli_resets_a_password_and_revokes_tokens(api, monkeypatch):
    headers = _token(api)
    result = _cli(api, monkeypatch, "users", "set-password", "victim", "--password", OTHER_PASSWORD)
    assert result.exit_code == 0, result.output
    assert api.client.get("/api/v1/requests", headers=headers).status_code == 401
    assert _sign_in(api, password=OTHER_PASSWORD).status_code == 201
    headers = _token(api, password=OTHER_PASSWORD)
    assert _cli(api, monkeypatch, "users", "revoke-tokens", "victim").exit_code == 0
    assert api.client.get("/api/v1/requests", headers=headers).status_code == 401
    unknown = _cli(api, monkeypatch, "users", "deactivate", "nobody.here")
    assert unknown.exit_code == 2 and "unknown user" in unknown.output
    assert _audit_tags(api, "victim") == ["account:user:set-password", "account:user:revoke-tokens"]


# --- CSRF and files --------------------------------------------------------------------


def test_a_csrf_token_from_before_sign_in_is_refused_after(api):
    browser = WebUser(api)
    browser.get("/login")
    planted, cookie = browser.csrf, browser.client.cookies.get("judicare_session")
    assert browser.login("victim", PASSWORD).status_code == 303
    assert browser.csrf != planted
    assert browser.client.cookies.get("judicare_session") != cookie
    refused = browser.client.post("/language", data={"lang": "fr", "csrf_token": planted})
    assert refused.status_code == 403
    assert browser.post("/language", {"lang": "fr"}).status_code == 303


def test_the_sqlite_database_and_its_directories_are_the_owners_only(tmp_path):
    data = tmp_path / "data"
    sqlite = create_app(
        Settings(environment="test", data_dir=data, database_url=f"sqlite:///{data}/j.db")
    )
    with sqlite.engine.connect() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
        connection.execute(text("INSERT INTO t VALUES (1)"))
        connection.commit()
        created = {p.name: stat.S_IMODE(os.stat(p).st_mode) for p in data.iterdir()}
    sqlite.dispose()
    assert stat.S_IMODE(os.stat(data).st_mode) == 0o700
    assert created["j.db"] == 0o600
    assert created["j.db-wal"] == 0o600 and created["j.db-shm"] == 0o600
    store = LocalFileStore(data / "files")
    key, _, _ = store.put([b"a document"], max_bytes=100)
    assert stat.S_IMODE(os.stat(data / "files").st_mode) == 0o700
    stored = data / "files" / key.removeprefix("sha256/")[:2]
    assert stat.S_IMODE(os.stat(stored).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(stored / key.removeprefix("sha256/")).st_mode) == 0o600
