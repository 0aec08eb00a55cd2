"""`judicare node ...` on SQLite and PostgreSQL: init, show, fingerprint confirmation,
peers, rotation, sending a request, a delivery round and the outbox with its dead letters."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import select
from typer.testing import CliRunner

from judicare.app import create_app
from judicare.auth.models import UserRow
from judicare.auth.service import create_user, ensure_authority, principal_of
from judicare.cli import app
from judicare.requests.schemas import RequestCreate
from judicare.requests.service import create_request
from judicare.settings import Settings
from tests.integration.api_support import request_body

runner = CliRunner()


def node(*args: str):
    return runner.invoke(app, ["node", *args], catch_exceptions=False)


def _outgoing_request(url: str, new_user: bool = True) -> int:
    judicare = create_app(Settings(database_url=url, environment="test"))
    with judicare.unit_of_work() as uow:
        if new_user:
            ensure_authority(uow.session, "BEL-CA", "BEL", "test")
            create_user(uow.session, username="cli.officer", password="x" * 12, role="officer",
                        authority_id="BEL-CA")  # fmt: skip
        user = uow.session.scalar(select(UserRow).where(UserRow.username == "cli.officer"))
        who = principal_of(user)
        body = request_body(direction="outgoing", requesting_state="BE", requested_state="NL")
        _, detail, _ = create_request(uow.session, who, RequestCreate.model_validate(body),
                                      now=datetime.now(UTC), basis=None, why="test")  # fmt: skip
        uow.commit()
    judicare.dispose()
    return detail["id"]


def test_node_commands(database_url, tmp_path):
    keys, other = str(tmp_path / "keys"), str(tmp_path / "other-keys")
    init = ["init", "--node-id", "BEL-CA", "--state", "BE", "--authority", "A",
            "--endpoint", "http://127.0.0.1:9"]  # fmt: skip
    made = node(*init, "--keys-dir", keys)
    assert made.exit_code == 0, made.output
    again = node(*init, "--keys-dir", keys)
    assert again.exit_code == 3 and "rotate" in again.output
    peer = node("init", "--node-id", "NLD-CA", "--state", "NL", "--authority", "B",
                "--endpoint", "http://127.0.0.1:9", "--keys-dir", other)  # fmt: skip
    fingerprint = node("fingerprint", "--keys-dir", other).stdout.strip()
    assert fingerprint in peer.stdout
    card = tmp_path / "nld.card.json"
    assert node("show", "--card", str(card), "--keys-dir", other).exit_code == 0
    assert runner.invoke(app, ["db", "upgrade", "--db", database_url]).exit_code == 0

    wrong = node("peers", "add", str(card), "--fingerprint", "0000 1111", "--keys-dir", keys,
                 "--db", database_url)  # fmt: skip
    assert wrong.exit_code == 2 and "do not add this peer" in wrong.output
    added = node("peers", "add", str(card), "--fingerprint", fingerprint.lower(),
                 "--keys-dir", keys, "--db", database_url)  # fmt: skip
    assert added.exit_code == 0, added.output
    listed = json.loads(node("peers", "list", "--json", "--db", database_url).stdout)
    assert [p["node_id"] for p in listed] == ["NLD-CA"] and listed[0]["fingerprint"] == fingerprint

    assert node("rotate", "--keys-dir", keys).exit_code == 0
    request_id = _outgoing_request(database_url)
    sent = node("send-request", str(request_id), "--to", "NLD-CA", "--as", "cli.officer",
                "--keys-dir", keys, "--db", database_url)  # fmt: skip
    assert sent.exit_code == 0, sent.output
    twice = node("send-request", str(request_id), "--to", "NLD-CA", "--as", "cli.officer",
                 "--keys-dir", keys, "--db", database_url)  # fmt: skip
    assert twice.exit_code == 3 and "already sent" in twice.output
    more = _outgoing_request(database_url, new_user=False)
    supplement = node("send-request", str(more), "--to", "NLD-CA", "--as", "cli.officer",
                      "--supplements", str(request_id), "--keys-dir", keys, "--db", database_url)  # fmt: skip
    assert supplement.exit_code == 0 and "Supplementary request" in supplement.stdout
    not_received = node("answer", str(request_id), "--text", "done", "--as", "cli.officer",
                        "--keys-dir", keys, "--db", database_url)  # fmt: skip
    assert not_received.exit_code == 2 and "did not arrive through the exchange" in (
        not_received.output
    )
    letters = node("messages", str(request_id), "--as", "cli.officer", "--json", "--db",
                   database_url)  # fmt: skip
    assert [m["type"] for m in json.loads(letters.stdout)["messages"]] == ["request"]
    nobody = node("messages", str(request_id), "--as", "nobody", "--db", database_url)
    assert nobody.exit_code == 2 and "unknown user" in nobody.output
    round_ = node("deliver", "--once", "--keys-dir", keys, "--db", database_url)
    assert "retried 1" in round_.stdout  # nothing listens on port 9: retried later, not lost
    pending = json.loads(node("outbox", "--status", "pending", "--db", database_url).stdout)
    first = next(m for m in pending if m["type"] == "request/2")
    assert first["attempts"] == 1 and first["last_error"]
    # the supplementary request waits for the request it follows (order in a conversation)
    assert [m["attempts"] for m in pending if m["type"] == "supplementary_request/2"] == [0]
    assert json.loads(node("outbox", "--status", "dead", "--db", database_url).stdout) == []
    removed = node("peers", "remove", "NLD-CA", "--keys-dir", keys, "--db", database_url)
    assert removed.exit_code == 0
    judicare = create_app(Settings(database_url=database_url, environment="test"))
    with judicare.unit_of_work() as uow:
        from judicare.exchange.models import PeerRow

        assert uow.session.scalar(select(PeerRow.active)) is False
    judicare.dispose()
