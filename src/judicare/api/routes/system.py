"""Whether the server answers, and which version."""

from fastapi import APIRouter

from judicare import __version__
from judicare.api.models import COMMON_ERRORS, HealthOut

router = APIRouter(prefix="/api/v1", tags=["system"], responses=COMMON_ERRORS)


@router.get("/health", response_model=HealthOut)
def health() -> dict:
    return {"status": "ok", "version": __version__}
