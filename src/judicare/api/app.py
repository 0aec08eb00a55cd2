"""The FastAPI application, built by `create_api(app)` from the app factory's `App`.

Routes are thin: they read the principal, open one unit of work, call one service, commit,
and shape the response. Permissions are decided in `judicare.auth.permissions` only.
"""

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Annotated

from fastapi import Depends, FastAPI, Header, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from judicare import __version__
from judicare.api import docs, errors, headers
from judicare.api.guard import JsonGuard
from judicare.app import App
from judicare.audit.scope import read_trail
from judicare.auth import accounts
from judicare.auth.permissions import Permission, Principal, Unauthenticated, authorize
from judicare.auth.second_factor import check_second_factor
from judicare.auth.service import issue_token, principal_for_token
from judicare.auth.sign_in import SignIn, client_address
from judicare.files.media import download_headers, download_type
from judicare.legal_basis.domain import CooperationKind
from judicare.legal_basis.service import parse_query
from judicare.logs import keep_personal_data_out_of_logs
from judicare.requests import documents as document_service
from judicare.requests import queries, service
from judicare.requests.domain import RequestStatus
from judicare.requests.schemas import (
    AssignIn,
    LinkIn,
    PasswordChangeIn,
    RequestCreate,
    RequestUpdate,
    TokenIn,
    TransitionIn,
)
from judicare.screening import decisions as decision_service
from judicare.screening.service import screen_stored
from judicare.treaties import service as treaty_service

DEFAULT_PURPOSE = "case handling"
MAX_ID = 2_147_483_647  # identifiers are 32-bit integers in the database
RequestId = Annotated[int, Path(ge=1, le=MAX_ID)]
DocumentId = Annotated[int, Path(ge=1, le=MAX_ID)]
bearer = HTTPBearer(auto_error=False, description="An API token from POST /api/v1/auth/token")


def create_api(app: App) -> FastAPI:
    api = FastAPI(
        title="Judicare",
        version=__version__,
        description="Requests for mutual legal assistance and extradition in cases of "
        "international crimes: register, lifecycle, legal basis, audit.",
        docs_url=None,  # served from this server by `docs.install`, not from a CDN
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    docs.install(api)
    errors.install(api)
    keep_personal_data_out_of_logs()
    api.state.judicare = app
    sign_in = api.state.sign_in = SignIn.for_app(app)
    token_lifetime = timedelta(hours=app.settings.api_token_hours)

    def principal(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Principal:
        if credentials is None:
            raise Unauthenticated("send Authorization: Bearer <API token>")
        with app.unit_of_work() as uow:
            return principal_for_token(uow.session, credentials.credentials, app.now())

    async def purpose(x_purpose: Annotated[str | None, Header(max_length=500)] = None) -> str:
        return x_purpose or DEFAULT_PURPOSE

    def work() -> Iterator:
        with app.unit_of_work() as uow:
            yield uow

    def bearer_token(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> str:
        if credentials is None:
            raise Unauthenticated("send Authorization: Bearer <API token>")
        return credentials.credentials

    Who = Annotated[Principal, Depends(principal)]
    Token = Annotated[str, Depends(bearer_token)]
    Why = Annotated[str, Depends(purpose)]
    Work = Annotated[object, Depends(work)]

    @api.get("/api/v1/health", tags=["system"])
    def health() -> dict:
        return {"status": "ok", "version": __version__}

    @api.post("/api/v1/auth/token", tags=["auth"], status_code=201)
    def token(body: TokenIn, request: Request, uow: Work) -> dict:
        """A token valid for settings.api_token_hours. Wrong passwords are throttled per
        account and per address (429 with Retry-After); see judicare.auth.sign_in."""
        who = sign_in.check(body.username, body.password, client_address(request))
        verdict = check_second_factor(uow.session, who, body.totp, app.now())
        if not verdict.accepted:
            uow.commit()  # a wrong code counts towards the lockout
            verdict.raise_if_refused()
        value = issue_token(uow.session, who, name="login", now=app.now(), lifetime=token_lifetime)
        uow.commit()
        return {"token": value, "username": who.username, "role": who.role.value}

    @api.delete("/api/v1/auth/token", tags=["auth"], status_code=204)
    def revoke_token(who: Who, token: Token, uow: Work) -> Response:
        """Sign out: the token sent is revoked at once."""
        accounts.revoke_current(uow.session, who, token, app.now())
        uow.commit()
        return Response(status_code=204)

    @api.post("/api/v1/auth/password", tags=["auth"])
    def change_password(
        body: PasswordChangeIn, request: Request, who: Who, token: Token, uow: Work
    ) -> dict:
        """Change one's own password (the current one is checked and throttled like a
        sign-in); every other token and web session of the user ends."""
        sign_in.check(who.username, body.current_password, client_address(request))
        ended = accounts.change_own_password(
            uow.session, who, body.new_password, token=token, now=app.now()
        )
        uow.commit()
        return {"username": who.username, "tokens_revoked": ended}

    @api.get("/api/v1/requests", tags=["requests"])
    def list_requests(
        who: Who,
        why: Why,
        uow: Work,
        status: RequestStatus | None = None,
        state: Annotated[str | None, Query(min_length=2, max_length=3)] = None,
        kind: CooperationKind | None = None,
        overdue: bool | None = None,
        person: Annotated[str | None, Query(min_length=2, max_length=200)] = None,
        q: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
        limit: Annotated[int, Query(ge=1, le=queries.MAX_LIMIT)] = 20,
        offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    ) -> dict:
        filters = queries.RequestFilters(
            status, state, kind.value if kind else None, overdue, person, q, limit, offset
        )
        result = queries.list_requests(
            uow.session, who, filters, today=app.clock.today(), now=app.now(), why=why
        )
        uow.commit()
        return result

    @api.post("/api/v1/requests", tags=["requests"], status_code=201)
    def create_request(
        body: RequestCreate,
        who: Who,
        why: Why,
        uow: Work,
        response: Response,
        idempotency_key: Annotated[str | None, Header(min_length=8, max_length=200)] = None,
    ) -> dict:
        basis = app.basis.get(uow.session)
        status_code, result, replayed = service.create_request(
            uow.session,
            who,
            body,
            now=app.now(),
            basis=basis,
            why=why,
            idempotency_key=idempotency_key,
        )
        uow.commit()
        response.status_code = status_code
        response.headers["ETag"] = f'"{result["version"]}"'
        response.headers["Location"] = f"/api/v1/requests/{result['id']}"
        if replayed:
            response.headers["Idempotent-Replayed"] = "true"
        return result

    @api.get("/api/v1/requests/{request_id}", tags=["requests"])
    def get_request(
        request_id: RequestId, who: Who, why: Why, uow: Work, response: Response
    ) -> dict:
        result = service.get_request(uow.session, who, request_id, now=app.now(), why=why)
        return _committed(uow, response, result)

    @api.patch("/api/v1/requests/{request_id}", tags=["requests"])
    def update_request(
        request_id: RequestId,
        body: RequestUpdate,
        who: Who,
        why: Why,
        uow: Work,
        response: Response,
        if_match: Annotated[str | None, Header(max_length=100)] = None,
    ) -> dict:
        result = service.update_request(
            uow.session, who, request_id, body, if_match=if_match, now=app.now(), why=why
        )
        return _committed(uow, response, result)

    @api.post("/api/v1/requests/{request_id}/transitions", tags=["requests"])
    def transition(
        request_id: RequestId,
        body: TransitionIn,
        who: Who,
        why: Why,
        uow: Work,
        response: Response,
        if_match: Annotated[str | None, Header(max_length=100)] = None,
    ) -> dict:
        result = service.transition_request(
            uow.session, who, request_id, body, if_match=if_match, now=app.now(), why=why
        )
        return _committed(uow, response, result)

    @api.post("/api/v1/requests/{request_id}/links", tags=["requests"], status_code=201)
    def link(request_id: RequestId, body: LinkIn, who: Who, why: Why, uow: Work) -> dict:
        result = service.link_requests(uow.session, who, request_id, body, now=app.now(), why=why)
        uow.commit()
        return result

    @api.post("/api/v1/requests/{request_id}/assignments", tags=["requests"], status_code=201)
    def assign(request_id: RequestId, body: AssignIn, who: Who, why: Why, uow: Work) -> dict:
        result = service.assign(uow.session, who, request_id, body.user_id, now=app.now(), why=why)
        uow.commit()
        return result

    @api.post("/api/v1/requests/{request_id}/documents", tags=["documents"], status_code=201)
    async def upload(
        request_id: RequestId,
        request: Request,
        who: Who,
        why: Why,
        filename: Annotated[str, Query(min_length=1, max_length=255)],
    ) -> dict:
        media_type = request.headers.get("content-type", "application/octet-stream")
        body = await request.body()
        return await run_in_threadpool(
            document_service.upload_document,
            app,
            who,
            request_id,
            filename,
            media_type,
            body,
            why,
        )

    @api.get("/api/v1/requests/{request_id}/documents/{document_id}", tags=["documents"])
    def download(request_id: RequestId, document_id: DocumentId, who: Who, why: Why) -> Response:
        stored = document_service.read_document(app, who, request_id, document_id, why)
        return Response(
            content=stored.content,
            media_type=download_type(stored.media_type),
            headers=download_headers(stored.filename),
        )

    @api.get("/api/v1/requests/{request_id}/screening", tags=["screening"])
    def screening(request_id: RequestId, who: Who, why: Why, uow: Work) -> dict:
        report = screen_stored(
            uow.session, app.basis.get(uow.session), who, request_id, now=app.now(), why=why
        )
        uow.commit()
        return report

    @api.post("/api/v1/requests/{request_id}/decisions", tags=["screening"], status_code=201)
    def decide(
        request_id: RequestId, body: decision_service.DecisionIn, who: Who, why: Why, uow: Work
    ) -> dict:
        result = decision_service.propose(
            uow.session, who, app.basis.get(uow.session), request_id, body, now=app.now(), why=why
        )
        uow.commit()
        return result

    @api.post("/api/v1/decisions/{decision_id}/approval", tags=["screening"])
    def approval(
        decision_id: DocumentId, body: decision_service.ApprovalIn, who: Who, why: Why, uow: Work
    ) -> dict:
        result = decision_service.approve(
            uow.session, who, decision_id, body, now=app.now(), why=why
        )
        uow.commit()
        return result

    @api.get("/api/v1/requests/{request_id}/follow-ups", tags=["screening"])
    def follow_ups(request_id: RequestId, who: Who, uow: Work) -> list[dict]:
        return decision_service.follow_ups(uow.session, who, request_id)

    @api.get("/api/v1/audit", tags=["audit"])
    def audit(
        who: Who,
        uow: Work,
        subject_type: Annotated[str | None, Query(max_length=40)] = None,
        subject_id: Annotated[str | None, Query(max_length=120)] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        offset: Annotated[int, Query(ge=0, le=100_000_000)] = 0,
    ) -> dict:
        events = read_trail(
            uow.session,
            who,
            subject_type=subject_type,
            subject_id=subject_id,
            limit=limit,
            offset=offset,
        )
        return {"items": events, "limit": limit, "offset": offset}

    @api.get("/api/v1/treaties", tags=["treaties"])
    def treaties(who: Who) -> list[dict]:
        authorize(who, Permission.TREATY_READ)
        return treaty_service.list_instruments()

    @api.get("/api/v1/treaties/{instrument_id}/status", tags=["treaties"])
    def treaty_status(instrument_id: str, who: Who, uow: Work, on: date | None = None) -> dict:
        authorize(who, Permission.TREATY_READ)
        participation = treaty_service.participation_for(uow.session, instrument_id)
        return treaty_service.status_report(participation, on or app.clock.today())

    @api.get("/api/v1/basis", tags=["legal basis"])
    def basis(
        who: Who,
        uow: Work,
        requesting: Annotated[str, Query(alias="from", min_length=2, max_length=3)],
        requested: Annotated[str, Query(alias="to", min_length=2, max_length=3)],
        kind: CooperationKind,
        on: date | None = None,
        crime: Annotated[list[str] | None, Query(max_length=20)] = None,
        conduct_date: date | None = None,
    ) -> dict:
        authorize(who, Permission.TREATY_READ)
        query = parse_query(
            requesting, requested, kind.value, on or app.clock.today(), crime or (), conduct_date
        )
        return app.basis.get(uow.session).resolve(query).as_dict()

    from judicare.web.intake_documents import FORM_UPLOADS

    limit = app.settings.max_upload_bytes
    guarded = JsonGuard(
        api, app.settings.max_json_bytes, limit,
        larger_forms={"/requests/new": FORM_UPLOADS * limit + app.settings.max_json_bytes},
    )  # fmt: skip
    api.add_middleware(_Passthrough, guard=guarded)
    from judicare.exchange.http import install_exchange
    from judicare.exchange.views import install_request_exchange

    node = install_exchange(api, app)
    install_request_exchange(api, app, node, Who=Who, Why=Why, Work=Work)
    from judicare.web.app import install_web

    install_web(api, app)
    headers.install(api, production=app.settings.environment == "production")
    return api


def _committed(uow, response: Response, result: dict) -> dict:
    """Commit the unit of work and give the client the request's new ETag."""
    uow.commit()
    response.headers["ETag"] = f'"{result["version"]}"'
    return result


class _Passthrough:
    """Installs the JSON guard as the outermost layer of the application."""

    def __init__(self, app, guard: JsonGuard) -> None:
        guard.app = app
        self.guard = guard

    async def __call__(self, scope, receive, send):
        return await self.guard(scope, receive, send)
