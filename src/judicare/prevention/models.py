"""Tables of the prevention desk: stored statistical fits and their country scores."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
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


class AssessmentRow(Base):
    """An analyst's assessment of one state along the UN Framework, under four-eyes review."""

    __tablename__ = "atrocity_assessments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    authority_id: Mapped[str] = mapped_column(ForeignKey("authorities.id"), index=True)
    iso3: Mapped[str] = mapped_column(String(3), index=True)
    framework: Mapped[str] = mapped_column(String(24))
    summary: Mapped[str] = mapped_column(Text)
    ratings: Mapped[list] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(24))
    drafted_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    drafted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    review_note: Mapped[str] = mapped_column(Text)
