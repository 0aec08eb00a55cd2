"""Importing a register of protected persons from the browser, with a progress bar.

The file is checked row by row first (every problem is listed and nothing is written); the
import then runs in the background, all or nothing in one transaction, while the page polls
its progress. Jobs live in this process: with several server workers, run imports from the
command line (`judicare persons import`) instead.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from judicare.app import App
from judicare.auth.permissions import NotFound, Permission, Principal, authorize
from judicare.errors import ImportRejected, JudicareError
from judicare.persons.service import import_register, parse_register_csv
from judicare.web.i18n import Translator
from judicare.web.rendering import Pages
from judicare.web.session import check_csrf, current_principal, language_of

Who = Annotated[Principal, Depends(current_principal)]
MAX_JOBS = 20


@dataclass
class ImportJob:
    id: str
    owner: int
    register: str
    total: int
    done: int = 0
    state: str = "running"  # running | finished | failed
    result: dict = field(default_factory=dict)
    error: str = ""


class Jobs:
    """The import jobs of this process (the latest few are kept for their pages)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, ImportJob] = {}

    def add(self, job: ImportJob) -> None:
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > MAX_JOBS:
                self._jobs.pop(next(iter(self._jobs)))

    def get(self, job_id: str, owner: int) -> ImportJob:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None or job.owner != owner:
            raise NotFound(f"import {job_id} not found (it may have run in another worker)")
        return job


def router(app: App, pages: Pages) -> APIRouter:
    web = APIRouter(include_in_schema=False)
    jobs = Jobs()

    @web.get("/registers")
    def registers(request: Request, who: Who) -> Response:
        authorize(who, Permission.REGISTER_IMPORT)
        return pages.render(request, "registers.html", principal=who, errors={}, problems=[])

    @web.post("/registers/import", dependencies=[Depends(check_csrf)])
    async def start_import(
        request: Request,
        who: Who,
        register_name: Annotated[str, Form(alias="register", max_length=120)] = "",
        file: Annotated[UploadFile | None, File()] = None,
    ) -> Response:
        authorize(who, Permission.REGISTER_IMPORT)
        t = Translator(language_of(request))
        errors = {}
        register = register_name.strip()
        if not register:
            errors["register"] = t.gettext("Give the register a name, e.g. refugees.")
        raw = await file.read(app.settings.max_upload_bytes + 1) if file else b""
        if not raw:
            errors["file"] = t.gettext("Choose a CSV file.")
        text = ""
        if raw:
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                errors["file"] = t.gettext("The file is not UTF-8 text.")
        if errors:
            return pages.render(
                request, "registers.html", status=422, principal=who, errors=errors, problems=[]
            )
        try:
            records = await run_in_threadpool(parse_register_csv, text, register)
        except ImportRejected as rejected:
            return pages.render(
                request,
                "registers.html",
                status=422,
                principal=who,
                errors={"file": t.gettext("The file was not imported; nothing was changed.")},
                problems=rejected.problems[:200],
            )
        job = ImportJob(uuid.uuid4().hex, who.user_id, register, len(records))
        jobs.add(job)
        threading.Thread(target=_run, args=(job, records, who), daemon=True).start()
        return pages.render(request, "register_job.html", principal=who, job=job)

    def _run(job: ImportJob, records, who: Principal) -> None:
        def progress(done: int) -> None:
            job.done = done

        try:
            with app.unit_of_work() as uow:
                job.result = import_register(
                    uow.session, records, actor=who.username, now=app.now(), progress=progress
                )
                uow.commit()
            job.done, job.state = job.total, "finished"
        except JudicareError as failed:
            job.state, job.error = "failed", failed.message
        except Exception as failed:  # the page must say so rather than spin for ever
            job.state, job.error = "failed", f"{type(failed).__name__}: {failed}"

    @web.get("/registers/jobs/{job_id}")
    def job_status(request: Request, job_id: str, who: Who) -> Response:
        authorize(who, Permission.REGISTER_IMPORT)
        job = jobs.get(job_id, who.user_id)
        return pages.render(request, "register_job.html", principal=who, job=job)

    return web
