"""What an API route needs, reached through FastAPI dependencies (as in Netflix Dispatch):
the `App` the server was composed with, the caller, the purpose given, a unit of work.

Routers are module-level (`judicare.api.routes.*`, `judicare.exchange.routes`); none closes
over the app. `judicare.asgi.create_api` puts the app in `api.state.judicare`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from judicare.app import App
from judicare.auth.permissions import Principal, Unauthenticated
from judicare.auth.service import principal_for_token
from judicare.db.engine import UnitOfWork

DEFAULT_PURPOSE = "case handling"
MAX_ID = 2_147_483_647  # identifiers are 32-bit integers in the database
Identifier = Annotated[int, Path(ge=1, le=MAX_ID)]
RequestId = Identifier
DocumentId = Identifier
DecisionId = Identifier
bearer = HTTPBearer(auto_error=False, description="An API token from POST /api/v1/auth/token")


# The dependencies that only read what the request already holds are coroutines: FastAPI
# runs a plain function in its thread pool, a hop there and back for each (two of them on
# every API call), where these need no thread.


async def get_app(request: Request) -> App:
    return request.app.state.judicare


AppDep = Annotated[App, Depends(get_app)]


async def bearer_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> str:
    if credentials is None:
        raise Unauthenticated("send Authorization: Bearer <API token>")
    return credentials.credentials


Token = Annotated[str, Depends(bearer_token)]


def principal(app: AppDep, token: Token) -> Principal:
    with app.unit_of_work() as uow:
        return principal_for_token(uow.session, token, app.now())


async def purpose(x_purpose: Annotated[str | None, Header(max_length=500)] = None) -> str:
    return x_purpose or DEFAULT_PURPOSE


def work(app: AppDep) -> Iterator[UnitOfWork]:
    with app.unit_of_work() as uow:
        yield uow


def principal_in_work(
    app: AppDep, token: Token, uow: Annotated[UnitOfWork, Depends(work)]
) -> Principal:
    """The caller, read in the route's own unit of work (`Work`, the same one FastAPI gives
    the route) rather than in a transaction of its own: one pooled connection, one BEGIN and
    one COMMIT fewer per call. For hot write routes (registering a request); the token is
    still read fresh, in the transaction that then does the work."""
    assert uow.session is not None
    return principal_for_token(uow.session, token, app.now())


Who = Annotated[Principal, Depends(principal)]
WhoInWork = Annotated[Principal, Depends(principal_in_work)]
Why = Annotated[str, Depends(purpose)]
Work = Annotated[UnitOfWork, Depends(work)]
