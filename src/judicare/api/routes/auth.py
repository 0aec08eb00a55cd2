"""API tokens: sign in for one, sign out, change one's own password."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from judicare.api.deps import AppDep, Token, Who, Work
from judicare.api.models import COMMON_ERRORS, PasswordChangedOut, TokenOut, errors
from judicare.auth import accounts
from judicare.auth.second_factor import check_second_factor
from judicare.auth.service import issue_token
from judicare.auth.sign_in import SignIn, client_address
from judicare.requests.schemas import PasswordChangeIn, TokenIn

router = APIRouter(prefix="/api/v1/auth", tags=["auth"], responses=COMMON_ERRORS)


def get_sign_in(request: Request) -> SignIn:
    """The throttle of sign-ins, one per server (`judicare.asgi.create_api`)."""
    return request.app.state.sign_in


Throttle = Annotated[SignIn, Depends(get_sign_in)]


@router.post("/token", status_code=201, response_model=TokenOut, responses=errors(401, 429))
def token(body: TokenIn, request: Request, app: AppDep, sign_in: Throttle, uow: Work) -> dict:
    """A token valid for settings.api_token_hours. Wrong passwords are throttled per
    account and per address (429 with Retry-After); see judicare.auth.sign_in."""
    who = sign_in.check(body.username, body.password, client_address(request))
    verdict = check_second_factor(uow.session, who, body.totp, app.now())
    if not verdict.accepted:
        uow.commit()  # a wrong code counts towards the lockout
        verdict.raise_if_refused()
    lifetime = timedelta(hours=app.settings.api_token_hours)
    value = issue_token(uow.session, who, name="login", now=app.now(), lifetime=lifetime)
    uow.commit()
    return {"token": value, "username": who.username, "role": who.role.value}


@router.delete("/token", status_code=204, response_class=Response, responses=errors(401, 403, 404))
def revoke_token(app: AppDep, who: Who, token: Token, uow: Work) -> Response:
    """Sign out: the token sent is revoked at once."""
    accounts.revoke_current(uow.session, who, token, app.now())
    uow.commit()
    return Response(status_code=204)


@router.post("/password", response_model=PasswordChangedOut, responses=errors(401, 403, 404, 429))
def change_password(
    body: PasswordChangeIn,
    request: Request,
    app: AppDep,
    sign_in: Throttle,
    who: Who,
    token: Token,
    uow: Work,
) -> dict:
    """Change one's own password (the current one is checked and throttled like a
    sign-in); every other token and web session of the user ends."""
    sign_in.check(who.username, body.current_password, client_address(request))
    ended = accounts.change_own_password(
        uow.session, who, body.new_password, token=token, now=app.now()
    )
    uow.commit()
    return {"username": who.username, "tokens_revoked": ended}
