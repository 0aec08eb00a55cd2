"""The API's routers, one module-level `APIRouter` per domain; `ROUTERS` in the order they are
included (`judicare.api.app.build_api`). A new operation goes in its domain's module, with a
`response_model` and its error `responses`."""

from judicare.api.routes import (
    audit,
    auth,
    basis,
    competing,
    documents,
    evidence,
    formal_documents,
    prosecution,
    requests,
    screening,
    system,
    treaties,
    victims,
)

ROUTERS = (
    system.router,
    auth.router,
    requests.router,
    documents.router,
    formal_documents.router,
    formal_documents.verify_router,
    evidence.router,
    screening.router,
    audit.router,
    treaties.router,
    basis.router,
    victims.router,
    competing.router,
    prosecution.router,
)
