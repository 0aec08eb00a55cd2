"""The evidence of a request from the browser: the bag to download (made on the fly from
the sealed items, streamed from a temporary file that is removed once sent)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, Response
from starlette.background import BackgroundTask

from judicare.api.deps import AppDep
from judicare.app import App
from judicare.auth.permissions import Principal
from judicare.evidence import archives, service
from judicare.files.media import download_headers
from judicare.web.request_pages import WHY, RequestId, Who

router = APIRouter(include_in_schema=False)


@router.get("/requests/{request_id}/evidence.bag.zip")
async def download_bag(app: AppDep, request_id: RequestId, who: Who) -> Response:
    work = Path(tempfile.mkdtemp(prefix="judicare-web-bag-"))
    try:
        name, archive = await run_in_threadpool(_make, app, who, request_id, work)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return FileResponse(
        archive, media_type="application/zip", headers=download_headers(name),
        background=BackgroundTask(shutil.rmtree, work, ignore_errors=True),
    )  # fmt: skip


def _make(app: App, who: Principal, request_id: int, work: Path) -> tuple[str, Path]:
    with app.unit_of_work() as uow:
        done = service.export_bag(
            uow.session, app.file_store, who, request_id, work / "bag",
            organisation=who.authority_id, now=app.now(), why=WHY,
        )  # fmt: skip
        uow.commit()
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in done["reference"])
    return f"evidence-{safe}.bag.zip", archives.pack(work / "bag", work / "bag.zip")
