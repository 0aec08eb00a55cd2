"""`requests.next_due`, the earliest deadline the list sorts by (migration 0041), is exact
after every write of a request's deadlines: registration (the API), any ORM flush that
adds, moves, changes or removes a deadline (`requests.models._keep_next_due`), without
touching the request's version; and the list sorted by deadline reads it. On SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from judicare.auth.models import UserRow
from judicare.auth.service import principal_of
from judicare.requests import queries
from judicare.requests.models import DeadlineRow, RequestRow
from tests.conftest import TODAY

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def api(demo_api):
    return demo_api


def _stored_and_earliest(app) -> dict[int, tuple[date | None, date | None]]:
    """Every request: (its stored next_due, the minimum of its deadlines now)."""
    with app.unit_of_work() as uow:
        earliest = dict(
            uow.session.execute(
                select(DeadlineRow.request_id, func.min(DeadlineRow.due)).group_by(
                    DeadlineRow.request_id
                )
            ).all()
        )
        return {
            request_id: (stored, earliest.get(request_id))
            for request_id, stored in uow.session.execute(
                select(RequestRow.id, RequestRow.next_due)
            )
        }


def _next_due(app, request_id: int) -> tuple[date | None, int]:
    with app.unit_of_work() as uow:
        row = uow.session.get(RequestRow, request_id)
        assert row is not None
        return row.next_due, row.version


def test_registration_stores_the_earliest_deadline_or_none(api):
    dated = api.create(requested_execution_date="2026-11-20")
    undated = api.create(requested_execution_date=None)
    assert _next_due(api.app, dated["id"])[0] == date(2026, 11, 20)
    assert _next_due(api.app, undated["id"])[0] is None
    # and every request of the shared database (the demo's, the other tests') alike
    for request_id, (stored, earliest) in _stored_and_earliest(api.app).items():
        assert stored == earliest, request_id


def test_every_flush_of_deadlines_keeps_it_exact_and_the_version_as_it_was(api):
    app = api.app
    one = api.create(requested_execution_date="2026-12-20")["id"]
    two = api.create(requested_execution_date=None)["id"]
    _, version = _next_due(app, one)

    def deadline(request_id: int, due: date) -> DeadlineRow:
        return DeadlineRow(request_id=request_id, kind="test", due=due, note="")

    with app.unit_of_work() as uow:  # an earlier deadline added: read back at once
        row = uow.session.get(RequestRow, one)
        assert row is not None and row.next_due == date(2026, 12, 20)
        earlier = deadline(one, date(2026, 12, 8))
        uow.session.add(earlier)
        uow.session.flush()
        assert row.next_due == date(2026, 12, 8)
        uow.commit()
        earlier_id = earlier.id
    assert _next_due(app, one) == (date(2026, 12, 8), version)

    with app.unit_of_work() as uow:  # a later one added: the earliest stays
        uow.session.add(deadline(one, date(2027, 1, 5)))
        uow.commit()
    assert _next_due(app, one)[0] == date(2026, 12, 8)

    with app.unit_of_work() as uow:  # its date moved past the others
        moved = uow.session.get(DeadlineRow, earlier_id)
        assert moved is not None
        moved.due = date(2027, 2, 1)
        uow.commit()
    assert _next_due(app, one)[0] == date(2026, 12, 20)

    with app.unit_of_work() as uow:  # moved to the other request: both follow
        moved = uow.session.get(DeadlineRow, earlier_id)
        assert moved is not None
        moved.request_id = two
        uow.commit()
    assert _next_due(app, one)[0] == date(2026, 12, 20)
    assert _next_due(app, two)[0] == date(2027, 2, 1)

    with app.unit_of_work() as uow:  # removed, directly and through the relationship
        uow.session.delete(uow.session.get(DeadlineRow, earlier_id))
        row = uow.session.get(RequestRow, one)
        assert row is not None
        row.deadlines = [d for d in row.deadlines if d.due != date(2026, 12, 20)]
        uow.commit()
    assert _next_due(app, one)[0] == date(2027, 1, 5)
    assert _next_due(app, two)[0] is None

    with app.unit_of_work() as uow:  # the last one removed: none
        row = uow.session.get(RequestRow, one)
        assert row is not None
        row.deadlines = []
        uow.commit()
    assert _next_due(app, one) == (None, version)
    for request_id, (stored, earliest) in _stored_and_earliest(app).items():
        assert stored == earliest, request_id


def test_the_list_sorted_by_deadline_reads_what_was_stored(api):
    soon = api.create(requested_execution_date=TODAY.isoformat())["id"]
    with api.app.unit_of_work() as uow:
        session = uow.session
        who = principal_of(
            session.scalar(select(UserRow).where(UserRow.username == "anna.officer"))
        )
        visible = session.scalars(select(RequestRow).where(queries.visible_to(who))).all()
        for descending in (False, True):
            dated = sorted(
                (r for r in visible if r.next_due is not None),
                key=lambda r: (r.next_due, r.id),
                reverse=descending,
            )
            undated = sorted(
                (r for r in visible if r.next_due is None), key=lambda r: r.id, reverse=descending
            )
            got = queries.list_requests(
                session, who, queries.RequestFilters(limit=100, sort="deadline",
                                                     descending=descending),
                today=TODAY, now=api.app.now(), why="test",
            )  # fmt: skip
            assert [i["id"] for i in got["items"]] == [r.id for r in dated + undated][:100]
            assert all(
                i["next_deadline"] == (r.next_due.isoformat() if r.next_due else None)
                for i, r in zip(got["items"], dated + undated, strict=False)
            )
        assert soon in {r.id for r in visible}
