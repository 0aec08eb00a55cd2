"""Where the tests find the EWP data: `../shared/data/ewp/` next to the checkout, or
JUDICARE_EWP_DATA. It is third-party data, never shipped. Absent → the test is skipped with a
message; with CI=true absent fails the run, as for PostgreSQL."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from judicare.prevention.schema import INPUT_FILE

ROOT = Path(__file__).resolve().parents[1]
EWP_DIR = Path(os.environ.get("JUDICARE_EWP_DATA", ROOT.parent / "shared" / "data" / "ewp"))


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def require_ewp_dir() -> Path:
    if not (EWP_DIR / INPUT_FILE).is_file():
        message = (
            f"EWP data not found in {EWP_DIR} (set JUDICARE_EWP_DATA to the folder holding "
            f"{INPUT_FILE}; the data is third-party and never shipped)"
        )
        if in_ci():
            pytest.fail(f"{message} (CI=true: the reproduction tests must run, not skip)")
        pytest.skip(message)
    return EWP_DIR
