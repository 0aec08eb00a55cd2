"""Runs the lawyer-readable cases of `authorize` in src/judicare/auth/cases/authorize.yaml,
and checks the role table as a whole: the one place where access is decided."""

from __future__ import annotations

from importlib import resources

import pytest
import yaml

from judicare.auth.permissions import (
    REQUEST_SCOPED,
    ROLE_PERMISSIONS,
    Forbidden,
    NotFound,
    Permission,
    Principal,
    RequestScope,
    Role,
    authorize,
    can,
)

DOCUMENT = yaml.safe_load(
    (resources.files("judicare.auth") / "cases" / "authorize.yaml").read_text(encoding="utf-8")
)
OUTCOMES = {"forbidden": Forbidden, "not_found": NotFound}


@pytest.mark.parametrize("case", DOCUMENT["cases"], ids=lambda c: c["name"])
def test_case(case):
    values = {**DOCUMENT["defaults"], **case}
    who = Principal(user_id=1, username="t", role=Role(values["role"]),
                    authority_id=values["authority"])  # fmt: skip
    request = values["request"]
    scope = (
        None
        if request is None
        else RequestScope(request_id=42, authority_id=request["authority"],
                          assigned_user_ids=frozenset(request.get("assigned", [])))
    )  # fmt: skip
    permission = Permission(values["permission"])
    if values["outcome"] == "allowed":
        authorize(who, permission, scope)
        return
    with pytest.raises(OUTCOMES[values["outcome"]]) as refused:
        authorize(who, permission, scope)
    if values["outcome"] == "not_found":
        # the answer of a request that does not exist: nothing tells it apart
        assert refused.value.message == "request 42 not found"
        assert refused.value.http_status == 404
    else:
        assert values["role"] in refused.value.message


def test_every_role_has_its_row_and_every_permission_a_role():
    assert set(ROLE_PERMISSIONS) == set(Role)
    assert set().union(*ROLE_PERMISSIONS.values()) == set(Permission)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("permission", list(Permission))
def test_can_and_authorize_agree_without_a_request(role, permission):
    who = Principal(user_id=1, username="t", role=role, authority_id="BEL-CA")
    if can(who, permission):
        authorize(who, permission)
    else:
        with pytest.raises(Forbidden):
            authorize(who, permission)


@pytest.mark.parametrize("permission", sorted(REQUEST_SCOPED))
def test_a_request_scoped_permission_hides_another_authoritys_request(permission):
    role = next(r for r in Role if permission in ROLE_PERMISSIONS[r])
    who = Principal(user_id=1, username="t", role=role, authority_id="BEL-CA")
    elsewhere = RequestScope(request_id=9, authority_id="NLD-CA", assigned_user_ids=frozenset())
    with pytest.raises(NotFound):
        authorize(who, permission, elsewhere)
    assigned = RequestScope(request_id=9, authority_id="NLD-CA", assigned_user_ids=frozenset({1}))
    authorize(who, permission, assigned)
