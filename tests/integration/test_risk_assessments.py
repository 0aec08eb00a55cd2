"""Issue 21, analysts' assessments: an analyst rates a country along the UN Framework (2014),
another person approves it or sends it back (four-eyes), history compared, need-to-know by
authority, every write audited and whole, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from judicare.audit.models import AuditEventRow
from judicare.auth.permissions import Forbidden, NotFound
from judicare.auth.service import create_user, principal_of
from judicare.errors import Conflict, InvalidInput
from judicare.prevention import assessments
from judicare.prevention.models import AssessmentRow

OWN, OTHER = "BEL-CA", "NLD-CA"
RATINGS = [
    {"factor": 1, "rating": "high", "evidence": "Fighting in three provinces since March.",
     "sources": ["UN OCHA situation report 12"]},
    {"factor": 9, "rating": "moderate", "evidence": "Discriminatory citizenship law.",
     "sources": ["Law no. 4 of the state, art. 2"]},
]  # fmt: skip


@pytest.fixture
def people(app):
    from judicare.auth.service import ensure_authority

    with app.unit_of_work() as uow:
        for authority, state in ((OWN, "BEL"), (OTHER, "NLD")):
            ensure_authority(uow.session, authority, state, "test")
        made = {}
        for name, role, authority in (
            ("analyst", "officer", OWN),
            ("reviewer", "legal_reviewer", OWN),
            ("supervisor", "supervisor", OWN),
            ("elsewhere", "legal_reviewer", OTHER),
            ("depositary", "depositary_officer", OWN),
        ):
            user = create_user(uow.session, username=f"risk.{name}", password="x" * 12,
                               role=role, authority_id=authority)  # fmt: skip
            made[name] = principal_of(user)
        uow.commit()
    return made


def _draft(app, who, ratings=RATINGS, state="SDN", summary="Rising risk in the east."):
    with app.unit_of_work() as uow:
        done = assessments.draft(uow.session, who, state, ratings, summary, now=app.now())
        uow.commit()
    return done


def _review(app, who, assessment_id, action, note=""):
    with app.unit_of_work() as uow:
        done = assessments.review(uow.session, who, assessment_id, action, note, now=app.now())
        uow.commit()
    return done


def test_draft_review_and_history(app, people):
    first = _draft(app, people["analyst"])
    assert first["status"] == "awaiting_review" and first["state"] == "SDN"
    assert len(first["ratings"]) == 14
    assert [r["rating"] for r in first["ratings"]].count("not_assessed") == 12
    approved = _review(app, people["reviewer"], first["id"], "approve")
    assert approved["status"] == "approved"
    assert approved["reviewed_by"] == people["reviewer"].user_id

    changed = [dict(RATINGS[0], rating="moderate"), RATINGS[1]]
    second = _draft(app, people["analyst"], changed, state="SD")
    returned = _review(app, people["reviewer"], second["id"], "return", "Cite the 2026 report.")
    assert returned["status"] == "returned"
    third = _draft(app, people["analyst"], changed)
    _review(app, people["supervisor"], third["id"], "approve")

    with app.unit_of_work() as uow:
        history = assessments.history(uow.session, people["reviewer"], "SDN")
        latest = assessments.latest_approved(uow.session, people["reviewer"], "SDN")
    assert [h["id"] for h in history] == [third["id"], second["id"], first["id"]]
    assert latest["id"] == third["id"]
    assert latest["changes"] == [{"factor": 1, "from": "high", "to": "moderate"}]
    assert history[-1]["changes"] is None  # the first approved one has nothing to compare


def test_four_eyes(app, people):
    own = _draft(app, people["supervisor"])
    with pytest.raises(Conflict, match="four-eyes: the person who drafted"):
        _review(app, people["supervisor"], own["id"], "approve")
    with pytest.raises(Forbidden):
        _review(app, people["analyst"], own["id"], "approve")
    _review(app, people["reviewer"], own["id"], "approve")
    with pytest.raises(Conflict, match="approved, not awaiting review"):
        _review(app, people["reviewer"], own["id"], "return", "late")


def test_need_to_know(app, people):
    drafted = _draft(app, people["analyst"])
    with pytest.raises(NotFound):
        _review(app, people["elsewhere"], drafted["id"], "approve")
    with app.unit_of_work() as uow:
        assert assessments.history(uow.session, people["elsewhere"], "SDN") == []
        with pytest.raises(Forbidden):
            assessments.history(uow.session, people["depositary"], "SDN")


@pytest.mark.parametrize(
    ("ratings", "message"),
    [
        ([{"factor": 15, "rating": "high"}], "factor 15 is not one of the 14"),
        ([{"factor": 1, "rating": "severe", "evidence": "x", "sources": ["y"]}], "rating 'severe'"),
        (
            [{"factor": 1, "rating": "high", "sources": ["y"]}],
            "factor 1: rated high, so give the evidence",
        ),
        (
            [{"factor": 1, "rating": "high", "evidence": "x"}],
            "factor 1: rated high, so give at least one source",
        ),
        ([RATINGS[0], RATINGS[0]], "factor 1: rated twice"),
        ([{"factor": 2, "rating": "not_assessed"}], "rate at least one factor"),
    ],
)
def test_bad_ratings_write_nothing(app, people, ratings, message):
    with pytest.raises(InvalidInput, match=message):
        _draft(app, people["analyst"], ratings)
    with app.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(AssessmentRow)) == 0


def test_every_write_is_audited(app, people):
    drafted = _draft(app, people["analyst"])
    _review(app, people["reviewer"], drafted["id"], "return", "Sources are too old.")
    with app.unit_of_work() as uow:
        tags = [
            (e.tag, e.details.get("note"))
            for e in uow.session.scalars(
                select(AuditEventRow)
                .where(AuditEventRow.subject_type == "assessment")
                .order_by(AuditEventRow.seq)
            )
        ]
    assert tags == [
        ("risk.analyst:assessment:draft", None),
        ("risk.reviewer:assessment:return", "Sources are too old."),
    ]


def test_return_needs_a_reason(app, people):
    drafted = _draft(app, people["analyst"])
    with pytest.raises(InvalidInput, match="note: say why"):
        _review(app, people["reviewer"], drafted["id"], "return")
