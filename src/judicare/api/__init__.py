"""The REST API (FastAPI): a thin adapter over the services. `app.build_api` builds it
from the routers in `routes/` (one per domain), each operation answering a model of
`models` (or a domain's read model) and its errors as `models.ErrorOut`; `deps` gives the
routes the app, the caller, the purpose and a unit of work. `judicare.asgi` composes it
with the exchange and the web pages."""
