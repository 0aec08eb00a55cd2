"""The prevention desk's statistical side: fit and store, read the stored ranking.

A fit is written whole (the fit and every country's score in one transaction) and audited.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from judicare.audit.service import AuditAction, record
from judicare.errors import InvalidInput
from judicare.prevention import model
from judicare.prevention.explain import ranking
from judicare.prevention.models import RiskFitRow, RiskScoreRow
from judicare.prevention.schema import CountryYears, resolve_data_path, sha256_of

MODEL_NAME = "ewp-elastic-net"


def store_fit(
    session: Session, fitted: model.Fit, data: CountryYears, *, actor: str, now: datetime
) -> tuple[RiskFitRow, list[dict[str, Any]]]:
    rows = ranking(fitted, data)
    fit_row = RiskFitRow(
        as_of=fitted.as_of,
        model=MODEL_NAME,
        lambda_=fitted.lambda_,
        lambda_source=fitted.lambda_source,
        seed=fitted.seed,
        data_file=data.path.name,
        data_sha256=fitted.data_sha256,
        versions=fitted.versions,
        intercept=fitted.intercept,
        baseline=fitted.baseline,
        coefficients=fitted.coefficients,
        standardised=fitted.standardised,
        means=fitted.means,
        sds=fitted.sds,
        n_train=fitted.n_train,
        n_positive=fitted.n_positive,
        train_from=fitted.train_years[0],
        train_to=fitted.train_years[1],
        created_at=now,
    )
    session.add(fit_row)
    session.flush()
    session.add_all(
        RiskScoreRow(
            fit_id=fit_row.id,
            ccode=row["ccode"],
            country=row["country"],
            iso3=row["iso3"],
            risk=row["risk"],
            rank=row["rank"],
            relative=row["relative"],
            terms=row["terms"],
            top_terms=row["top_terms"],
            predictor_values=row["values"],
        )
        for row in rows
    )
    record(
        session,
        actor=actor,
        action=AuditAction.COLLECTION,
        tag=f"{actor}:risk_fit:create",
        subject_type="risk_fit",
        subject_id=fit_row.id,
        why=f"statistical risk assessment as of {fitted.as_of}",
        at=now,
        details={**fitted.metadata(), "countries": len(rows)},
    )
    return fit_row, rows


def fit_metadata(row: RiskFitRow) -> dict[str, Any]:
    return {
        "fit_id": row.id,
        "as_of": row.as_of,
        "model": row.model,
        "lambda": row.lambda_,
        "lambda_source": row.lambda_source,
        "mixing": model.MIXING,
        "seed": row.seed,
        "folds": model.N_FOLDS,
        "n_train": row.n_train,
        "n_positive": row.n_positive,
        "train_years": [row.train_from, row.train_to],
        "data_file": row.data_file,
        "data_sha256": row.data_sha256,
        "versions": row.versions,
    }


def latest_fit(session: Session, as_of: int) -> RiskFitRow:
    found = session.scalar(
        select(RiskFitRow)
        .where(RiskFitRow.as_of == as_of)
        .order_by(RiskFitRow.created_at.desc(), RiskFitRow.id.desc())
        .limit(1)
    )
    if found is None:
        raise InvalidInput(
            f"--as-of {as_of}: no stored fit; run `judicare risk fit --data DIR "
            f"--as-of {as_of}` first"
        )
    return found


def stored_ranking(session: Session, as_of: int, data: Path | None = None) -> dict[str, Any]:
    """The ranking of the latest stored fit for `as_of`; with `data`, the file must be the
    one that fit was made from (same SHA-256), else the ranking would not be of that file."""
    fit_row = latest_fit(session, as_of)
    if data is not None:
        digest = sha256_of(resolve_data_path(data))
        if digest != fit_row.data_sha256:
            raise InvalidInput(
                f"--data: the file's SHA-256 {digest[:12]}… is not the one fit {fit_row.id} "
                f"was made from ({fit_row.data_sha256[:12]}…); run `judicare risk fit` on it"
            )
    scores = session.scalars(
        select(RiskScoreRow)
        .where(RiskScoreRow.fit_id == fit_row.id)
        .order_by(RiskScoreRow.rank, RiskScoreRow.country)
    ).all()
    return {
        "fit": fit_metadata(fit_row),
        "rows": [
            {
                "country": score.country,
                "iso3": score.iso3,
                "risk": round(score.risk, 6),
                "rank": score.rank,
                "relative": score.relative,
                "top_terms": score.top_terms,
            }
            for score in scores
        ],
    }
