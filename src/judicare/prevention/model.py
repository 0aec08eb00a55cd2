"""The EWP's elastic-net logistic regression, reproduced with glum.

The recipe (`shared/reference/early_warning.md` §2.3 and §4.1, read from the EWP's
`3.Modeling/model_3Sep2025.R`): binomial family, mixing α = 0.5, predictors standardised with
the population standard deviation, unpenalised intercept, glmnet's path of 100 λ values from
λ_max down to 1e-4·λ_max, 10-fold cross-validation on binomial deviance, λ that minimises it.
Training rows: complete country-years up to T−2 (the target of T−1 and T is 0 by
construction, not observed). Forecast rows: complete country-years of year T.
glum's objective is glmnet's: mean negative log-likelihood + λ·(0.5·|β|₁ + 0.25·|β|²₂).
"""

from __future__ import annotations

import platform
import warnings
from dataclasses import dataclass, field
from importlib.metadata import version
from typing import Any

import numpy as np
import pandas as pd
from glum import GeneralizedLinearRegressor
from threadpoolctl import threadpool_limits

from judicare.errors import InvalidInput
from judicare.prevention.schema import PREDICTORS, TARGET, CountryYears

MIXING = 0.5
"""glmnet's `alpha = 0.5` in the EWP's `cv.glmnet(family="binomial", alpha=0.5)`."""
N_LAMBDAS = 100
LAMBDA_MIN_RATIO = 1e-4  # glmnet's default when there are more rows than predictors
N_FOLDS = 10
SEED = 90035  # the EWP's `set.seed(90035)`
EWP_LAMBDA_MIN_2025 = 0.002586
"""The λ_min of the EWP's 2025 fit, read from their saved `cv.glmnet` object (reference §4.2)."""
GRADIENT_TOL = 1e-9
"""Convergence of the final fit; the CV paths use glum's default (they only rank λ values)."""
LIBRARIES = ("glum", "numpy", "pandas", "scikit-learn", "scipy")


def library_versions() -> dict[str, str]:
    found = {name: version(name) for name in LIBRARIES}
    found["python"] = platform.python_version()
    return found


@dataclass(frozen=True)
class Design:
    """The training and forecast rows for a forecast made from year T's data."""

    as_of: int
    train: pd.DataFrame
    forecast: pd.DataFrame


def design(data: CountryYears, as_of: int) -> Design:
    frame = data.frame
    years = frame["year"]
    if as_of < int(years.min()) + 2:
        raise InvalidInput(
            f"--as-of {as_of}: the file starts in {int(years.min())}; training needs years up "
            "to as-of − 2, so give a later year"
        )
    if as_of > int(years.max()):
        raise InvalidInput(
            f"--as-of {as_of}: the file ends in {int(years.max())}; a forecast needs the "
            "predictors of the as-of year"
        )
    complete = frame[list(PREDICTORS)].notna().all(axis=1)
    train = frame[(years <= as_of - 2) & complete & frame[TARGET].notna()]
    forecast = frame[(years == as_of) & complete]
    if train[TARGET].nunique() < 2:
        raise InvalidInput(
            f"--as-of {as_of}: the training years (up to {as_of - 2}) hold no onset, "
            "so nothing can be learnt"
        )
    return Design(as_of=as_of, train=train, forecast=forecast)


@dataclass(frozen=True)
class Standardiser:
    mean: np.ndarray
    sd: np.ndarray  # population standard deviation; constant columns keep 1 and get no weight
    constant: np.ndarray

    @classmethod
    def of(cls, x: np.ndarray) -> Standardiser:
        mean = x.mean(axis=0)
        sd = x.std(axis=0)
        constant = sd < 1e-12
        return cls(mean=mean, sd=np.where(constant, 1.0, sd), constant=constant)

    def apply(self, x: np.ndarray) -> np.ndarray:
        z = (x - self.mean) / self.sd
        z[:, self.constant] = 0.0
        return z


def lambda_path(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """glmnet's path: λ_max = max|Zᵀ(y − ȳ)| / (n·α), 100 values log-evenly to 1e-4·λ_max."""
    n = len(y)
    lambda_max = float(np.max(np.abs(z.T @ (y - y.mean()))) / (n * MIXING))
    return np.exp(np.linspace(np.log(lambda_max), np.log(lambda_max * LAMBDA_MIN_RATIO), N_LAMBDAS))


def _regressor(**kwargs: Any) -> GeneralizedLinearRegressor:
    return GeneralizedLinearRegressor(family="binomial", l1_ratio=MIXING, max_iter=1000, **kwargs)


def _quiet_fit(model: GeneralizedLinearRegressor, z: np.ndarray, y: np.ndarray) -> None:
    # One thread: glum's OpenMP threads fight each other on a busy machine (a CV fit went
    # from 7 s to 200 s at load 14 on 2 cores); results are identical either way.
    with warnings.catch_warnings(), threadpool_limits(limits=1):
        warnings.simplefilter("ignore")
        model.fit(z, y)


def _fit_path(z: np.ndarray, y: np.ndarray, path: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    model = _regressor(alpha_search=True, alphas=path)
    _quiet_fit(model, z, y)
    return np.asarray(model.intercept_path_), np.asarray(model.coef_path_)


def _fit_one(z: np.ndarray, y: np.ndarray, lam: float) -> tuple[float, np.ndarray]:
    model = _regressor(alpha=lam, gradient_tol=GRADIENT_TOL)
    _quiet_fit(model, z, y)
    return float(model.intercept_), np.asarray(model.coef_)


def _deviance(y: np.ndarray, eta: np.ndarray) -> np.ndarray:
    """Binomial deviance per observation, for each column of linear predictors."""
    p = np.clip(1.0 / (1.0 + np.exp(-eta)), 1e-12, 1 - 1e-12)
    return -2.0 * (y[:, None] * np.log(p) + (1 - y[:, None]) * np.log(1 - p))


def fold_ids(n: int, seed: int = SEED, folds: int = N_FOLDS) -> np.ndarray:
    """Random balanced folds (glmnet's `sample(rep(1:nfolds, length = n))`, numpy's RNG)."""
    return np.random.default_rng(seed).permutation(np.arange(n) % folds)


def cross_validate(
    x: np.ndarray, y: np.ndarray, path: np.ndarray, seed: int = SEED
) -> tuple[np.ndarray, np.ndarray]:
    """Mean out-of-fold binomial deviance and its standard error, per λ of the path; each
    fold standardises on its own training rows, as glmnet does."""
    folds = fold_ids(len(y), seed)
    per_fold = np.empty((N_FOLDS, len(path)))
    for k in range(N_FOLDS):
        held = folds == k
        scaler = Standardiser.of(x[~held])
        intercepts, coefs = _fit_path(scaler.apply(x[~held]), y[~held], path)
        eta = scaler.apply(x[held]) @ coefs.T + intercepts
        per_fold[k] = _deviance(y[held], eta).mean(axis=0)
    weights = np.bincount(folds, minlength=N_FOLDS).astype(float)
    mean = np.average(per_fold, axis=0, weights=weights)
    var = np.average((per_fold - mean) ** 2, axis=0, weights=weights) / (N_FOLDS - 1)
    return mean, np.sqrt(var)


@dataclass(frozen=True)
class Fit:
    """One fitted model and what is needed to audit it later."""

    as_of: int
    lambda_: float
    lambda_source: str  # "cv" or "fixed"
    intercept: float  # original scale
    coefficients: dict[str, float]  # original scale (log-odds per unit)
    standardised: dict[str, float]  # per standard deviation of the training rows
    baseline: float  # log-odds of a training-average country-year
    means: dict[str, float]
    sds: dict[str, float]
    n_train: int
    n_positive: int
    train_years: tuple[int, int]
    seed: int
    data_sha256: str
    versions: dict[str, str]
    path: tuple[float, ...] = ()
    cv_deviance: tuple[float, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    def linear(self, rows: pd.DataFrame) -> np.ndarray:
        x = rows[list(PREDICTORS)].to_numpy(dtype=float)
        beta = np.array([self.coefficients[name] for name in PREDICTORS])
        return np.asarray(self.intercept + x @ beta)

    def predict(self, rows: pd.DataFrame) -> np.ndarray:
        return np.asarray(1.0 / (1.0 + np.exp(-self.linear(rows))))

    def terms(self, row: pd.Series) -> dict[str, float]:
        """The log-odds as baseline + Σ terms: coefficient per SD × standardised value."""
        return {
            name: self.standardised[name] * ((float(row[name]) - self.means[name]) / self.sds[name])
            for name in PREDICTORS
        }

    def metadata(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of,
            "model": "ewp-elastic-net",
            "lambda": self.lambda_,
            "lambda_source": self.lambda_source,
            "mixing": MIXING,
            "seed": self.seed,
            "folds": N_FOLDS,
            "n_train": self.n_train,
            "n_positive": self.n_positive,
            "train_years": list(self.train_years),
            "data_sha256": self.data_sha256,
            "versions": self.versions,
        }


def fit(data: CountryYears, as_of: int, lam: float | None = None, seed: int = SEED) -> Fit:
    """Fit for a forecast from year `as_of`'s data; λ by 10-fold CV unless given."""
    rows = design(data, as_of).train
    x = rows[list(PREDICTORS)].to_numpy(dtype=float)
    y = rows[TARGET].to_numpy(dtype=float)
    scaler = Standardiser.of(x)
    z = scaler.apply(x)
    path = lambda_path(z, y)
    cv_mean: np.ndarray = np.array([])
    if lam is None:
        cv_mean, _ = cross_validate(x, y, path, seed)
        chosen = float(path[int(np.argmin(cv_mean))])
        source = "cv"
    else:
        if not lam > 0:
            raise InvalidInput(f"--lambda must be positive; got {lam}")
        chosen, source = float(lam), "fixed"
    b0, beta_s = _fit_one(z, y, chosen)
    beta_s = np.where(scaler.constant, 0.0, beta_s)
    beta = beta_s / scaler.sd
    intercept = float(b0 - np.sum(beta * scaler.mean))
    return Fit(
        as_of=as_of,
        lambda_=chosen,
        lambda_source=source,
        intercept=intercept,
        coefficients={n: float(b) for n, b in zip(PREDICTORS, beta, strict=True)},
        standardised={n: float(b) for n, b in zip(PREDICTORS, beta_s, strict=True)},
        baseline=float(b0),
        means={n: float(m) for n, m in zip(PREDICTORS, scaler.mean, strict=True)},
        sds={n: float(s) for n, s in zip(PREDICTORS, scaler.sd, strict=True)},
        n_train=len(rows),
        n_positive=int(y.sum()),
        train_years=(int(rows["year"].min()), int(rows["year"].max())),
        seed=seed,
        data_sha256=data.sha256,
        versions=library_versions(),
        path=tuple(float(v) for v in path),
        cv_deviance=tuple(float(v) for v in cv_mean),
    )
