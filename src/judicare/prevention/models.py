"""Tables of the prevention desk: stored statistical fits and their country scores."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from judicare.db.base import Base, utcnow


class RiskFitRow(Base):
    """One fit of the statistical model, with everything needed to audit it later."""

    __tablename__ = "risk_fits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    as_of: Mapped[int] = mapped_column(Integer, index=True)
    model: Mapped[str] = mapped_column(String(40))
    lambda_: Mapped[float] = mapped_column("lambda", Float)
    lambda_source: Mapped[str] = mapped_column(String(8))
    seed: Mapped[int] = mapped_column(Integer)
    data_file: Mapped[str] = mapped_column(String(255))
    data_sha256: Mapped[str] = mapped_column(String(64))
    versions: Mapped[dict] = mapped_column(JSON)
    intercept: Mapped[float] = mapped_column(Float)
    baseline: Mapped[float] = mapped_column(Float)
    coefficients: Mapped[dict] = mapped_column(JSON)
    standardised: Mapped[dict] = mapped_column(JSON)
    means: Mapped[dict] = mapped_column(JSON)
    sds: Mapped[dict] = mapped_column(JSON)
    n_train: Mapped[int] = mapped_column(Integer)
    n_positive: Mapped[int] = mapped_column(Integer)
    train_from: Mapped[int] = mapped_column(Integer)
    train_to: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RiskScoreRow(Base):
    """One country's forecast under a stored fit."""

    __tablename__ = "risk_scores"
    __table_args__ = (UniqueConstraint("fit_id", "ccode", name="uq_risk_scores_fit_ccode"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    fit_id: Mapped[int] = mapped_column(ForeignKey("risk_fits.id"), index=True)
    ccode: Mapped[int] = mapped_column(Integer)
    country: Mapped[str] = mapped_column(String(120))
    iso3: Mapped[str | None] = mapped_column(String(3), nullable=True, index=True)
    risk: Mapped[float] = mapped_column(Float)
    rank: Mapped[int] = mapped_column(Integer)
    relative: Mapped[float | None] = mapped_column(Float, nullable=True)
    terms: Mapped[dict] = mapped_column(JSON)
    top_terms: Mapped[list] = mapped_column(JSON)
    predictor_values: Mapped[dict] = mapped_column(JSON)
