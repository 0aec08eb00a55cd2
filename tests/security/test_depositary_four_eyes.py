"""Issue 19, four eyes at the depositary's desk cannot be bypassed, on SQLite and
PostgreSQL: no path (CLI, service, API, web) records a treaty action and issues its
notification with one person. `treaty record` and `treaty import` used to record an action
with its notification issued at once; now every notification is a draft in its drafter's
name, and only another depositary officer issues it (`desk_service.issue`)."""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from judicare.auth.permissions import Principal, Role
from judicare.cli import app as cli
from judicare.errors import ActionRefused
from judicare.files.store import MemoryFileStore
from judicare.treaties import desk_service, repository, service
from judicare.treaties.models import DepositaryActionRow, DepositaryNotificationRow
from tests.conftest import TODAY
from tests.integration.api_support import demo_database
from tests.integration.depositary_support import add_depositaries
from tests.integration.web_support import WebUser

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
SRC = Path(__file__).resolve().parents[2] / "src" / "judicare"
EVA = Principal(1, "eva.depositary", Role.DEPOSITARY_OFFICER, "BEL-DEP")
runner = CliRunner()


def run(*args: str):
    return runner.invoke(cli, list(args), catch_exceptions=False)


def _issued(app) -> int:
    with app.unit_of_work() as uow:
        return uow.session.scalar(
            select(func.count()).where(DepositaryNotificationRow.status == "issued")
        )


def test_the_cli_cannot_record_and_issue_with_one_person(app, migrated_database_url, tmp_path):
    db = migrated_database_url
    add_depositaries(app)
    recorded = run("treaty", "record", "lhc-2023", "BE", "ratification", "2026-01-10",
                   "--db", db, "--as", "eva.depositary")  # fmt: skip
    assert recorded.exit_code == 0, recorded.output
    csv = tmp_path / "actions.csv"
    csv.write_text("instrument,iso3,action,date,source_url,notes\n"
                   "lhc-2023,DE,ratification,2026-01-11,https://example.org/de,\n")  # fmt: skip
    assert run("treaty", "import", str(csv), "--db", db, "--as", "eva.depositary").exit_code == 0
    for number in ("1", "2"):
        alone = run("treaty", "issue", "lhc-2023", number, "--db", db, "--as", "eva.depositary")
        assert alone.exit_code != 0 and "four eyes" in alone.stderr
    assert _issued(app) == 0
    draft_pdf = run("treaty", "notification-pdf", "LHC-2023/1", "-o", str(tmp_path / "d.pdf"),
                    "--db", db, "--as", "eva.depositary")  # fmt: skip
    assert draft_pdf.exit_code != 0 and "is a draft" in draft_pdf.stderr
    # The second officer issues; the notification's PDF is then what a state without a node
    # is sent.
    second = run("treaty", "issue", "lhc-2023", "1", "--db", db, "--as", "jan.depositary")
    assert second.exit_code == 0 and "as a PDF" in second.stdout
    assert _issued(app) == 1
    pdf = tmp_path / "n.pdf"
    made = run("treaty", "notification-pdf", "LHC-2023/1", "-o", str(pdf), "--lang", "fr",
               "--db", db, "--as", "eva.depositary")  # fmt: skip
    assert made.exit_code == 0, made.output
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout  # fmt: skip
    assert "LHC-2023/1" in text and "Belgique" in text and "ratification" in text


def test_no_notification_is_issued_without_a_named_drafter_and_another_officer(app):
    proposed = service.parse_action("lhc-2023", "BEL", "ratification", "2026-01-10")
    with app.unit_of_work() as uow:
        made = service.record_action(uow.session, proposed, TODAY, who=EVA)
        uow.commit()
    assert made["issued_at"] is None
    store = MemoryFileStore()
    with app.unit_of_work() as uow, pytest.raises(ActionRefused, match="four eyes"):
        desk_service.issue(uow.session, store, EVA, "lhc-2023", 1, now=uow_now())
    with app.unit_of_work() as uow:  # a row without a drafter (written by hand) stays a draft
        row = uow.session.scalar(select(DepositaryNotificationRow))
        row.drafted_by = None
        uow.commit()
    other = Principal(9, "jan.depositary", Role.DEPOSITARY_OFFICER, "BEL-DEP")
    with app.unit_of_work() as uow, pytest.raises(ActionRefused, match="four eyes"):
        desk_service.issue(uow.session, store, other, "lhc-2023", 1, now=uow_now())
    with pytest.raises(ValueError, match="named officer"), app.unit_of_work() as uow:
        repository.add_notification(uow.session, "lhc-2023", 2, 1, "x", "y", drafted_by="")
    assert _issued(app) == 0
    assert DepositaryNotificationRow.__table__.c.status.default.arg == "draft"


def uow_now():
    from datetime import UTC, datetime

    return datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def _issues(keyword: ast.keyword) -> bool:
    """A keyword that would make a new notification row issued."""
    value = keyword.value.value if isinstance(keyword.value, ast.Constant) else ...
    if keyword.arg == "status":
        return value != "draft"
    return keyword.arg in ("issued_at", "issued_by") and value is not None


def test_only_the_desks_issue_sets_a_notification_issued():
    """Read the code: the one place that marks a notification issued (or names who issued
    it) is `desk_service.issue`, which refuses its drafter."""
    writers = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                targets = node.targets if isinstance(node, ast.Assign) else []
                for target in targets:
                    names = target.elts if isinstance(target, ast.Tuple) else [target]
                    if any(isinstance(n, ast.Attribute) and n.attr == "issued_by" for n in names):
                        writers.append(f"{path.relative_to(SRC)}:{function.name}")
                if (
                    isinstance(node, ast.Call)
                    and getattr(node.func, "id", "") == "DepositaryNotificationRow"
                    and any(_issues(k) for k in node.keywords)
                ):
                    writers.append(f"{path.relative_to(SRC)}:{function.name} (row)")
    assert writers == ["treaties/desk_service.py:issue"]


@pytest.fixture
def node(request, database_url):
    api = demo_database(request, database_url)
    yield api
    api.app.dispose()


def test_the_api_has_no_route_that_records_a_treaty_action(node):
    def routes(app, prefix=""):
        for route in getattr(app, "routes", ()):
            included = getattr(route, "original_router", None)  # FastAPI's included router
            if included is not None:
                yield from routes(included, prefix + route.include_context.prefix)
                continue
            path = prefix + getattr(route, "path", "")
            if hasattr(route, "app") and getattr(route.app, "routes", None) is not None:
                yield from routes(route.app, path)
            else:
                yield path, set(getattr(route, "methods", ()) or ())

    application = node.client.app
    while not hasattr(application, "routes") and hasattr(application, "app"):
        application = application.app  # through the middleware
    found = list(routes(application))
    assert len(found) > 50  # the whole application was read
    writes = sorted(
        path
        for path, methods in found
        if any(word in path for word in ("treat", "depositar", "desk"))
        and methods - {"GET", "HEAD"}
    )
    # the desk's web forms only, each through desk_service (four eyes: tested below)
    assert writes == [
        "/treaties/desk/issue", "/treaties/desk/receive", "/treaties/desk/{deposit}/full-powers",
    ]  # fmt: skip


def test_the_web_desk_cannot_receive_and_issue_with_one_person(node):
    eva = WebUser(node, "eva.depositary")
    files = {"original": ("instrument.pdf", b"%PDF-1.7 scanned", "application/pdf")}
    eva.post("/treaties/desk/receive", {
        "instrument": "lhc-2023", "state": "BEL", "act": "ratification",
        "deposited_on": "2026-03-02", "signatory": "The King", "capacity": "head_of_state",
        "location": "Vault"}, files=files)  # fmt: skip
    page = eva.follow(eva.post("/treaties/desk/issue", {"instrument": "lhc-2023", "number": "1"}))
    assert "four eyes" in page.text
    assert eva.get("/treaties/desk/notifications/lhc-2023/1.pdf").status_code != 200
    with node.app.unit_of_work() as uow:
        issued = uow.session.scalar(
            select(func.count()).where(DepositaryNotificationRow.status == "issued")
        )
        recorded = uow.session.scalar(
            select(func.count()).where(DepositaryActionRow.origin == "register")
        )
    assert issued == 0 and recorded == 1
    jan = WebUser(node, "jan.depositary")
    jan.follow(jan.post("/treaties/desk/issue", {"instrument": "lhc-2023", "number": "1"}))
    desk = eva.get("/treaties/desk").text
    assert "/treaties/desk/notifications/lhc-2023/1.pdf?lang=fr" in desk
    pdf = eva.get("/treaties/desk/notifications/lhc-2023/1.pdf?lang=fr")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
