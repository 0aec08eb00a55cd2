"""The dashboard's status counts (issue 22, migration 0049): each authority's number of
requests in each status is stored (`request_status_counts`) and kept on every write of a
request (registration, a status change, a deletion), written when the transaction commits;
the dashboard reads the reader's own authority's counts and counts the requests of other
authorities assigned to the reader. Need-to-know holds exactly as with the query it
replaces: compared with it after every step, for readers of both authorities and readers
with assignments across authorities. Concurrent registrations (PostgreSQL: both waiting
before COMMIT) are both counted. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import delete, func, select

from judicare.auth.permissions import Principal
from judicare.auth.service import create_user, ensure_authority, principal_of
from judicare.requests import queries
from judicare.requests.models import AssignmentRow, RequestRow, RequestStatusCountRow
from judicare.requests.registration import create_request
from judicare.requests.schemas import RequestCreate
from tests.conftest import TODAY
from tests.integration.api_support import OTHER, OWN, request_body
from tests.integration.concurrent_commits import committed_at_once

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def api(demo_api):
    return demo_api


def _as_before(session, who: Principal) -> dict[str, int]:
    """The query the stored counts replace: every request I may see, counted by status."""
    return dict(
        session.execute(
            select(RequestRow.status, func.count())
            .where(queries.visible_to(who))
            .group_by(RequestRow.status)
        ).all()
    )


def _stored(session) -> dict[tuple[str, str], int]:
    return {
        (r.authority_id, r.status): r.requests
        for r in session.scalars(select(RequestStatusCountRow))
        if r.requests
    }


def _recounted(session) -> dict[tuple[str, str], int]:
    return {
        (authority, status): n
        for authority, status, n in session.execute(
            select(RequestRow.authority_id, RequestRow.status, func.count()).group_by(
                RequestRow.authority_id, RequestRow.status
            )
        ).all()
    }


def _principal(session, role: str, authority: str, user_ids: dict) -> Principal:
    from judicare.auth.models import UserRow

    user = session.get(UserRow, user_ids[(role, authority)])
    assert user is not None
    return principal_of(user)


def _check(api, readers) -> dict[tuple[str, str], dict[str, int]]:
    """Every reader's dashboard counts equal the old query's; the stored counts equal a
    recount of every request. Returns the readers' counts."""
    seen = {}
    with api.app.unit_of_work() as uow:
        session = uow.session
        assert _stored(session) == _recounted(session)
        for role, authority in readers:
            who = _principal(session, role, authority, api.user_ids)
            counts = queries.status_counts(session, who)
            assert counts == _as_before(session, who), (role, authority)
            seen[(role, authority)] = counts
    return seen


READERS = [("officer", OWN), ("officer", OTHER), ("supervisor", OWN), ("legal_reviewer", OTHER)]


def _assign_across(api, request_id: int, role: str, authority: str) -> None:
    with api.app.unit_of_work() as uow:
        uow.session.add(
            AssignmentRow(request_id=request_id, user_id=api.user_ids[(role, authority)])
        )
        uow.commit()


# Each step: what it does, then the change it makes to the readers' counts (reader ->
# {status: change}), relative to the step before.
STEPS = [
    ("create own", {("officer", OWN): {"received": 1}, ("supervisor", OWN): {"received": 1}}),
    ("create other", {("officer", OTHER): {"received": 1}, ("legal_reviewer", OTHER): {"received": 1}}),
    ("register own", {("officer", OWN): {"received": -1, "registered": 1},
                      ("supervisor", OWN): {"received": -1, "registered": 1}}),
    ("assign other to own officer", {("officer", OWN): {"received": 1}}),
    ("withdraw other", {("officer", OTHER): {"received": -1, "withdrawn": 1},
                        ("legal_reviewer", OTHER): {"received": -1, "withdrawn": 1},
                        ("officer", OWN): {"received": -1, "withdrawn": 1}}),
    ("withdraw own", {("officer", OWN): {"registered": -1, "withdrawn": 1},
                      ("supervisor", OWN): {"registered": -1, "withdrawn": 1}}),
    ("unassign", {("officer", OWN): {"withdrawn": -1}}),
]  # fmt: skip


def test_each_write_changes_the_counts_as_expected_and_as_the_old_query(api):
    made: dict[str, int] = {}
    before = _check(api, READERS)
    for step, changes in STEPS:
        if step == "create own":
            made["own"] = api.create(authority=OWN)["id"]
        elif step == "create other":
            made["other"] = api.create(authority=OTHER)["id"]
        elif step == "register own":
            assert api.move(made["own"], "registered").status_code == 200
        elif step == "assign other to own officer":
            _assign_across(api, made["other"], "officer", OWN)
        elif step == "withdraw other":
            version = api.client.get(
                f"/api/v1/requests/{made['other']}", headers=api.headers("supervisor", OTHER)
            ).headers["etag"]
            moved = api.client.post(
                f"/api/v1/requests/{made['other']}/transitions",
                json={"status": "withdrawn", "reasons": "withdrawn by the requesting state"},
                headers=api.headers("supervisor", OTHER, **{"If-Match": version}),
            )  # fmt: skip
            assert moved.status_code == 200, moved.text
        elif step == "withdraw own":
            moved = api.move(made["own"], "withdrawn",
                             reasons="withdrawn by the requesting state")  # fmt: skip
            assert moved.status_code == 200, moved.text
        elif step == "unassign":
            with api.app.unit_of_work() as uow:
                uow.session.execute(
                    delete(AssignmentRow).where(AssignmentRow.request_id == made["other"])
                )
                uow.commit()
        after = _check(api, READERS)
        for reader in READERS:
            expected = Counter(before[reader])
            expected.update(changes.get(reader, {}))
            assert after[reader] == {s: n for s, n in expected.items() if n}, (step, reader)
        before = after


def _bare_request(session, reference: str, authority: str, status: str, user_id: int):
    row = RequestRow(
        reference=reference, authority_id=authority, direction="incoming", kind="evidence",
        requesting_state="DEU", requested_state="BEL", requesting_authority="test",
        urgency="normal", confidentiality="normal", crimes=[], facts_summary="test",
        status=status, received_on=TODAY, created_by=user_id,
    )  # fmt: skip
    session.add(row)
    return row


def test_unflushed_and_uncommitted_writes_are_read_a_rollback_forgets_them(api):
    """Within a transaction the dashboard reads its own changes (not written to the counts
    until commit); a transaction rolled back changes nothing; the ORM's direct writes
    (a status set, a move to another authority, a deletion) are counted too."""
    creator = api.user_ids[("officer", OWN)]
    with api.app.unit_of_work() as uow:
        session = uow.session
        who = _principal(session, "officer", OWN, api.user_ids)
        start = queries.status_counts(session, who)
        _bare_request(session, "T-COUNTS-ROLLBACK", OWN, "accepted", creator)
        session.flush()
        assert queries.status_counts(session, who) == _as_before(session, who)
        assert (
            queries.status_counts(session, who).get("accepted", 0) == start.get("accepted", 0) + 1
        )
        session.rollback()
    _check(api, READERS)
    with api.app.unit_of_work() as uow:
        row = _bare_request(uow.session, "T-COUNTS-ORM", OWN, "accepted", creator)
        uow.commit()
        request_id = row.id
    _check(api, READERS)
    for change in ({"status": "postponed"}, {"authority_id": OTHER},
                   {"status": "refused", "authority_id": OWN}):  # fmt: skip
        with api.app.unit_of_work() as uow:
            row = uow.session.get(RequestRow, request_id)
            assert row is not None
            uow.session.expire(row)  # the old values not loaded: still known at the flush
            for name, value in change.items():
                setattr(row, name, value)
            uow.commit()
        _check(api, READERS)
    with api.app.unit_of_work() as uow:
        uow.session.delete(uow.session.get(RequestRow, request_id))
        uow.commit()
    _check(api, READERS)


def test_concurrent_registrations_are_both_counted(app):
    """Two registrations of one authority committed at once (PostgreSQL: both wait at a
    barrier just before COMMIT, each holding its count changes unwritten): neither blocks
    the other before commit and both are counted. SQLite serialises writers (no barrier)."""
    with app.unit_of_work() as uow:
        ensure_authority(uow.session, "COUNT-CA", "BE", "counts test authority")
        user = create_user(uow.session, username="officer.counts", password="x" * 12,
                           role="officer", authority_id="COUNT-CA")  # fmt: skip
        uow.commit()
        officer = principal_of(user)
    now = app.now()

    def register(state: str):
        def work(session) -> None:
            body = request_body(requesting_state=state, requested_state="BE")
            create_request(session, officer, RequestCreate.model_validate(body), now=now,
                           basis=None, why="test")  # fmt: skip

        return work

    committed_at_once(app, register("FR"), register("CH"))
    with app.unit_of_work() as uow:
        session = uow.session
        assert _stored(session) == _recounted(session)
        assert queries.status_counts(session, officer) == {"received": 2}
        assert queries.status_counts(session, officer) == _as_before(session, officer)


def test_the_migration_counts_what_was_registered_before(app):
    """0049 fills the counts from the requests already there: down to 0046 and up again."""
    from alembic import command

    from judicare.db.migrate import alembic_config

    with app.unit_of_work() as uow:
        ensure_authority(uow.session, "MIG-CA", "BE", "migration test authority")
        user = create_user(uow.session, username="officer.mig", password="x" * 12,
                           role="officer", authority_id="MIG-CA")  # fmt: skip
        for n, status in enumerate(["received", "received", "accepted"]):
            _bare_request(uow.session, f"T-MIG-{n}", "MIG-CA", status, user.id)
        uow.commit()
    config = alembic_config(app.engine)
    command.downgrade(config, "0046")
    command.upgrade(config, "0049")
    with app.unit_of_work() as uow:
        assert _stored(uow.session) == _recounted(uow.session)
        assert {k: v for k, v in _stored(uow.session).items() if k[0] == "MIG-CA"} == {
            ("MIG-CA", "received"): 2,
            ("MIG-CA", "accepted"): 1,
        }


@pytest.mark.parametrize("status", [None, "received", "registered", "withdrawn", "executed"])
@pytest.mark.parametrize("role,authority", READERS)
def test_the_lists_exact_total_unfiltered_or_by_status_is_the_visible_count(
    api, role, authority, status
):
    """The API list's exact total with no condition but the status comes from the kept
    counts: the same number as counting the visible requests (and a filtered list, counted
    as before, agrees on the same requests)."""
    other = api.create(authority=OTHER)["id"]
    _assign_across(api, other, "officer", OWN)
    with api.app.unit_of_work() as uow:
        session = uow.session
        who = _principal(session, role, authority, api.user_ids)
        visible = select(func.count()).select_from(RequestRow).where(queries.visible_to(who))
        if status:
            visible = visible.where(RequestRow.status == status)
        expected = session.scalar(visible)
        chosen = queries.RequestStatus(status) if status else None
        for filters in (
            queries.RequestFilters(status=chosen, limit=5),
            queries.RequestFilters(status=chosen, limit=5, due_within=100_000),  # counted
        ):
            got = queries.list_requests(session, who, filters, today=TODAY, now=api.app.now(),
                                        why="test")  # fmt: skip
            assert got["total_capped"] is False
            if filters.due_within is None:
                assert got["total"] == expected, (role, authority, status)
            else:
                assert got["total"] <= expected
