"""The portal's cooperation statistics on SQLite and PostgreSQL: what is counted (incoming
requests, first decision on the merits, first execution), that the disclosure rule is applied
before anything leaves the service, and that a pair of states with three requests is "<5"
on every page and in every file, and cannot be worked out from the exact totals."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from judicare.auth.models import AuthorityRow, UserRow
from judicare.auth.permissions import Principal, Role
from judicare.portal import service as portal
from judicare.portal import statistics, tables
from judicare.portal.tables import Observed
from judicare.prosecution import service as prosecution
from judicare.prosecution.models import ProsecutionObligationRow
from judicare.requests.models import RequestRow, TransitionRow
from judicare.screening.models import DecisionRow
from judicare.web.portal_pages import portal_file
from tests.conftest import TODAY
from tests.unit.test_suppression import attacker

RECEIVED = date(2025, 1, 10)
FACT = "Secret fact about Ivan Statsenko in Rivertown"  # must never be published


def _at(days: int) -> datetime:
    return datetime.combine(RECEIVED + timedelta(days=days), time(9), tzinfo=UTC)


def _seed(app) -> None:
    """Nine UKR→BEL requests decided 10–18 days and executed 40–48 days after receipt, three
    RWA→BEL requests decided after 100 days, two outgoing requests, two obligations."""
    with app.unit_of_work() as uow:
        s = uow.session
        s.add(AuthorityRow(id="STAT-CA", state="BEL", name="Statistics test authority"))
        s.flush()
        user = UserRow(username="stat.officer", display_name="Stat Officer", role="officer",
                       authority_id="STAT-CA", password_hash="x")  # fmt: skip
        s.add(user)
        s.flush()
        plan = [("UKR", "BEL", "incoming", 10 + i, 40 + i) for i in range(9)]
        plan += [("RWA", "BEL", "incoming", 100, None) for _ in range(3)]
        plan += [("BEL", "NLD", "outgoing", 5, 6) for _ in range(2)]
        requests = []
        for n, (requesting, requested, direction, decided, executed) in enumerate(plan):
            row = RequestRow(
                reference=f"STAT-REF-{n:04d}", authority_id="STAT-CA", direction=direction,
                kind="mla", requesting_state=requesting, requested_state=requested,
                requesting_authority="Prosecutor of Rivertown", urgency="normal",
                confidentiality="normal", crimes=["war_crimes"], facts_summary=FACT,
                legal_basis_instrument="lhc-2023", status="executed", received_on=RECEIVED,
                created_by=user.id,
            )  # fmt: skip
            s.add(row)
            s.flush()
            requests.append(row)
            moves = [
                ("under_review", "postponed", decided // 2),
                ("postponed", "accepted", decided),
            ]
            if executed is not None:
                moves += [("accepted", "in_execution", executed - 1),
                          ("in_execution", "executed", executed)]  # fmt: skip
            for before, after, day in moves:
                s.add(TransitionRow(request_id=row.id, from_status=before, to_status=after,
                                    reasons="because", citations=[], decided_by=user.id,
                                    decided_at=_at(day)))  # fmt: skip
        decision = DecisionRow(request_id=requests[0].id, outcome="refused", reasons="x",
                               citations=[], requires_approval=False, status="effective",
                               findings=[], proposed_by=user.id)  # fmt: skip
        s.add(decision)
        s.flush()
        for status, outcome in (("closed", "acquitted"), ("open", None)):
            s.add(ProsecutionObligationRow(
                request_id=requests[0].id, decision_id=decision.id, authority_id="STAT-CA",
                requesting_state="UKR", trigger="nationality", citations=[],
                responsible="STAT-CA", due=TODAY, status=status, outcome=outcome,
            ))  # fmt: skip
        uow.commit()


def _rows(app):
    with app.unit_of_work() as uow:
        return statistics.load(uow.session)


def test_the_service_counts_incoming_requests_and_their_first_decision(app):
    _seed(app)
    published = _rows(app)
    detail = {r.key: r for r in published.requests if r.table == "detail"}
    ukr = detail[("UKR", "BEL", "mla", "lhc-2023", 2025)]
    assert ukr.median_days_to_decision == 14  # 10..18: acceptance, not the postponement
    assert ukr.median_days_to_execution == 44  # 40..48
    assert ukr.requests.shown() == "x"  # hidden, or the total less 9 would give RWA away
    assert ("RWA", "BEL", "mla", "lhc-2023", 2025) not in detail  # under a small pair
    rwa = next(r for r in published.requests if r.table == "pair" and r.key[0] == "RWA")
    assert rwa.requests.shown() == "<5" and rwa.requests.exact is None
    assert rwa.median_days_to_decision is None
    assert not any("NLD" in r.key for r in published.requests)  # outgoing: counted over there
    year = next(r for r in published.requests if r.table == "year")
    assert year.requests.shown() == "12" and year.requests.exact == 12
    assert year.median_days_to_decision == 14  # the nine; the three at 100 days left out
    outcomes = {k: c.shown() for k, c in published.obligations}
    assert outcomes["acquitted"] == "<5" and outcomes["open"] == "<5"
    assert outcomes["convicted"] == "<5"  # a zero beside a small group is hidden too
    assert outcomes["all"] == "<5"  # two: exact, it would pin the three "<5" beside it


def test_an_empty_node_publishes_zeros_and_no_rows(app):
    published = _rows(app)
    assert [r for r in published.requests if r.table == "detail"] == []
    assert dict(published.obligations)["all"].shown() == "0"


def test_a_pair_with_three_requests_shows_under_5_everywhere(app):
    _seed(app)
    with app.unit_of_work() as uow:
        data = portal.load(uow.session, TODAY)
        pages = {lang: portal_file(data, f"{lang}/statistics.html")[0].decode()
                 for lang in ("en", "fr", "nl")}  # fmt: skip
        document = json.loads(portal_file(data, "data/statistics.json")[0])
        table = list(
            csv.DictReader(io.StringIO(portal_file(data, "data/statistics.csv")[0].decode()))
        )
        outcomes = json.loads(portal_file(data, "data/obligation_outcomes.json")[0])
    words = {"en": "Cooperation statistics", "fr": "Statistiques de la coopération",
             "nl": "Statistieken van de samenwerking"}  # fmt: skip
    for lang, page in pages.items():
        assert f'<html lang="{lang}">' in page and "<caption" in page and words[lang] in page
        assert "Rwanda" in page or "RWA" in page
        assert ">12<" in page and ">x<" in page and ">3<" not in page and ">9<" not in page
        assert FACT not in page and "STAT-REF" not in page and "Rivertown" not in page
    rows = document["rows"]
    rwanda = [r for r in rows if r["requesting_state"] == "RWA"]
    assert {r["table"] for r in rwanda} == {"pair"}
    assert all(r["requests_shown"] == "<5" and r["requests"] is None for r in rwanda)
    assert all(r["requests"] == 12 for r in rows if r["table"] in ("kind", "year", "all"))
    # CSV and JSON agree, cell for cell
    assert len(table) == len(rows) and document["schema_version"] == "2.0"
    for line, row in zip(table, rows, strict=True):
        assert line == {k: "" if v is None else str(v) for k, v in row.items()}
    ukr = [r for r in rows if r["requesting_state"] == "UKR"]
    assert [(r["requests_shown"], r["requests_low"], r["requests_high"]) for r in ukr] == [
        ("x", 5, None), ("x", 5, None),
    ]  # fmt: skip
    # the attacker's linear programme over every published row, read from the JSON alone
    dims = ("requesting_state", "requested_state", "kind", "instrument", "year")
    published = [(r["table"], tuple(r[d] for d in dims), r["requests_low"], r["requests_high"])
                 for r in rows]  # fmt: skip
    assert attacker(published) == {
        ("pair", ("RWA", "BEL", None, None, None)): pytest.approx((1, 4))
    }
    # and the combination under it, never published, is not narrowed either (the only one
    # the published categories allow: it is the pair's 1 to 4)
    rwa_cell = ("RWA", "BEL", "mla", "lhc-2023", 2025)
    assert attacker(published, [rwa_cell])[("cell", rwa_cell)] == pytest.approx((1, 4))
    assert {r["outcome"]: r["obligations_shown"] for r in outcomes["rows"]}["acquitted"] == "<5"
    dumped = json.dumps(document) + json.dumps(outcomes)
    assert "STAT-CA" not in dumped and "STAT-REF" not in dumped and "Stat Officer" not in dumped


def test_the_authoritys_own_obligation_figures_follow_the_same_rule(app):
    _seed(app)
    with app.unit_of_work() as uow:
        user_id = uow.session.scalar(select(UserRow.id).where(UserRow.username == "stat.officer"))
        figures = prosecution.statistics(
            uow.session, Principal(user_id, "stat.officer", Role.OFFICER, "STAT-CA")
        )
    assert figures["open"] == "<5" and figures["by_outcome"]["acquitted"] == "<5"
    assert figures["by_outcome"]["convicted"] == "<5"  # not 0: that would tell the outcome


def test_a_tiny_table_publishes_its_total_alone_and_says_so(app):
    """Six requests: whatever is hidden, the marks alone would narrow a small kind, so only
    the total is published; the page says each other table is withheld, and the files
    agree."""
    observed = [Observed("RWA", "NLD", "mla", "none", 2024, None, None)] * 3
    observed += [
        Observed("KAZ", "BEL", "extradition", "lhc-2023", 2024, None, None),
        Observed("RWA", "BEL", "extradition", "lhc-2023", 2025, None, None),
        Observed("KAZ", "NLD", "extradition", "lhc-2023", 2024, None, None),
    ]
    publication = tables.suppress(observed)
    assert publication.withheld == ("detail", "pair", "kind", "instrument", "year")
    with app.unit_of_work() as uow:
        data = portal.load(uow.session, TODAY)
        data._statistics = statistics.Statistics(
            publication.rows, statistics.outcome_rows({"open": 0}), publication.withheld
        )
        page = portal_file(data, "en/statistics.html")[0].decode()
        document = json.loads(portal_file(data, "data/statistics.json")[0])
        table = list(
            csv.DictReader(io.StringIO(portal_file(data, "data/statistics.csv")[0].decode()))
        )
    assert page.count("This table is not published") == 5  # the detail table too
    assert [(r["table"], r["requests"], r["requests_shown"]) for r in document["rows"]] == [
        ("all", 6, "6")
    ]
    assert [(r["table"], r["requests"], r["requests_shown"]) for r in table] == [("all", "6", "6")]
