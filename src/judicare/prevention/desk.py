"""What the prevention desk pages show: the stored ranking beside the authority's latest
approved assessments, one country's picture, and its cooperation in aggregate (counts only,
never personal data). Read-only; need-to-know as everywhere: an authority sees its own
assessments and counts of its own requests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from judicare.auth.permissions import Permission, Principal, authorize, can
from judicare.prevention import assessments
from judicare.prevention.framework import load_framework
from judicare.prevention.models import AssessmentRow, RiskFitRow, RiskScoreRow
from judicare.requests.models import RequestRow


def latest_fit(session: Session) -> RiskFitRow | None:
    return session.scalar(
        select(RiskFitRow).order_by(RiskFitRow.as_of.desc(), RiskFitRow.id.desc()).limit(1)
    )


def desk(session: Session, principal: Principal) -> dict[str, Any]:
    authorize(principal, Permission.ASSESSMENT_READ)
    fit = latest_fit(session)
    approved: dict[str, dict[str, Any]] = {}
    for row in session.scalars(
        select(AssessmentRow)
        .where(
            AssessmentRow.authority_id == principal.authority_id,
            AssessmentRow.status == assessments.APPROVED,
        )
        .order_by(AssessmentRow.drafted_at, AssessmentRow.id)
    ):
        approved[row.iso3] = assessments.view(row)
    rows = []
    if fit is not None:
        for score in session.scalars(
            select(RiskScoreRow).where(RiskScoreRow.fit_id == fit.id).order_by(RiskScoreRow.rank)
        ):
            rows.append(
                {
                    "country": score.country,
                    "iso3": score.iso3,
                    "risk": score.risk,
                    "rank": score.rank,
                    "relative": score.relative,
                    "assessment": approved.get(score.iso3 or ""),
                }
            )
    return {"fit": fit, "rows": rows}


def cooperation(session: Session, principal: Principal, iso3: str) -> dict[str, int]:
    """Counts of the authority's requests from and to the state."""
    own = RequestRow.authority_id == principal.authority_id
    sent_by = session.scalar(select(func.count()).where(own, RequestRow.requesting_state == iso3))
    sent_to = session.scalar(select(func.count()).where(own, RequestRow.requested_state == iso3))
    return {"from_state": int(sent_by or 0), "to_state": int(sent_to or 0)}


def country(session: Session, principal: Principal, iso3: str) -> dict[str, Any]:
    authorize(principal, Permission.ASSESSMENT_READ)
    scores = session.execute(
        select(RiskFitRow.as_of, RiskFitRow.id, RiskScoreRow)
        .join(RiskScoreRow, RiskScoreRow.fit_id == RiskFitRow.id)
        .where(RiskScoreRow.iso3 == iso3)
        .order_by(RiskFitRow.as_of, RiskFitRow.id)
    ).all()
    by_year: dict[int, RiskScoreRow] = {}
    for as_of, _fit_id, score in scores:
        by_year[as_of] = score  # the latest fit of each year
    latest = by_year[max(by_year)] if by_year else None
    return {
        "iso3": iso3,
        "latest": latest,
        "history": [{"year": year, "risk": by_year[year].risk} for year in sorted(by_year)],
        "assessments": assessments.history(session, principal, iso3),
        "framework": load_framework(),
        "cooperation": cooperation(session, principal, iso3),
    }


def request_context(session: Session, principal: Principal, iso3: str) -> dict[str, Any] | None:
    """The requesting state's statistical risk and the authority's latest approved assessment,
    shown beside the persecution ground as information for a person, never as a finding.
    None when nothing is stored for the state. The assessment only for roles that read them."""
    fit = latest_fit(session)
    score = None
    if fit is not None:
        score = session.scalar(
            select(RiskScoreRow).where(RiskScoreRow.fit_id == fit.id, RiskScoreRow.iso3 == iso3)
        )
    assessment = (
        assessments.latest_approved(session, principal, iso3)
        if can(principal, Permission.ASSESSMENT_READ)
        else None
    )
    if score is None and assessment is None:
        return None
    return {
        "state": iso3,
        "as_of": fit.as_of if fit is not None and score is not None else None,
        "risk": score.risk if score is not None else None,
        "rank": score.rank if score is not None else None,
        "relative": score.relative if score is not None else None,
        "assessment": assessment,
    }
