"""The request page's "who takes the next step", from the lawyer-readable cases in
`judicare/screening/cases/next_step.yaml`."""

from __future__ import annotations

from importlib import resources

import pytest
import yaml

from judicare.auth.permissions import Principal, Role
from judicare.screening.next_step import next_step

DATA = yaml.safe_load(
    (resources.files("judicare.screening") / "cases" / "next_step.yaml").read_text("utf-8")
)
CASES = [{**DATA["defaults"], **case} for case in DATA["cases"]]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_next_step(case):
    me = Principal(user_id=1, username="me", role=Role(case["role"]), authority_id="BEL-CA")
    pending, drafted_by_of = [], {}
    if case["pending"]:
        pending = [{"id": 7, "proposed_by": case["pending"]["proposed_by"]}]
        if "drafted_by" in case["pending"]:
            drafted_by_of[7] = case["pending"]["drafted_by"]
    drafts = [{"id": 3, "drafted_by": case["draft"]["drafted_by"]}] if case["draft"] else []
    found = next_step(me, case["status"], pending, drafts, drafted_by_of)
    assert (found.step, found.you_can, found.you_prepare, found.yours) == (
        case["step"], case["you_can"], case["you_prepare"], case["yours"]
    )  # fmt: skip
