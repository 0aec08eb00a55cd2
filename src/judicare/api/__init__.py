"""The REST API (FastAPI): a thin adapter over the services."""
