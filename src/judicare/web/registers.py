"""Importing a register of protected persons from the browser, with its progress.

Only the node administrator imports, and only the node's national registers (refugees and
the like); the internal index of requests is never imported (judicare.persons.registers).

The whole import runs in the background, so the form answers at once: first the file is
checked row by row (every problem is named by its row and nothing is written), then it is
imported all or nothing in one transaction. The page polls both phases. A small file's
problems come back with the form itself, next to the file field; a large file's come back on
the progress page, in the same form. Jobs (and their progress) live in this process; the
import itself takes its register's lock and one of the node's import slots on PostgreSQL
(`persons.service.import_register`), so servers never import the same register at once.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from judicare.api.deps import AppDep
from judicare.app import App
from judicare.auth.permissions import NotFound, Permission, Principal, authorize
from judicare.errors import ImportRejected, JudicareError
from judicare.persons.domain import PersonRecord
from judicare.persons.registers import authorize_import
from judicare.persons.service import import_register, parse_register_csv
from judicare.web.i18n import Translator
from judicare.web.rendering import PagesDep, pages_of
from judicare.web.session import check_csrf, current_principal, language_of

Who = Annotated[Principal, Depends(current_principal)]
MAX_JOBS = 20
MAX_RUNNING = 2  # imports running at once in one process
MAX_PROBLEMS = 200
PROGRESS_EVERY = 250  # rows checked between two updates of the progress
QUICK_CHECK = 0.3  # seconds the form waits, so a small file's problems come back with it


@dataclass
class ImportJob:
    id: str
    owner: int
    register: str
    total: int = 0  # rows in the file, once read
    done: int = 0  # rows checked, then persons imported, in the current phase
    phase: str = "checking"  # checking | importing | finished | failed | rejected
    result: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    error: str = ""
    checked: threading.Event = field(default_factory=threading.Event)

    @property
    def running(self) -> bool:
        return self.phase in ("checking", "importing")

    def move_to(self, phase: str) -> None:
        self.phase = phase
        self.checked.set()  # any phase after "checking" ends the check


class Jobs:
    """The import jobs of this process (the latest few are kept for their pages)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, ImportJob] = {}

    def add(self, job: ImportJob) -> bool:
        """Keep a new job, unless MAX_RUNNING are running already (an import holds its file
        in memory: they are not to pile up). Finished jobs make room, oldest first; a
        running one is never dropped."""
        with self._lock:
            if sum(j.running for j in self._jobs.values()) >= MAX_RUNNING:
                return False
            self._jobs[job.id] = job
            for old in [i for i, j in self._jobs.items() if not j.running]:
                if len(self._jobs) <= MAX_JOBS:
                    break
                self._jobs.pop(old)
            return True

    def get(self, job_id: str, owner: int) -> ImportJob:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None or job.owner != owner:
            raise NotFound(f"import {job_id} not found (it may have run in another worker)")
        return job


def check_file(
    text: str, register: str, progress: Callable[[int, int], None]
) -> list[PersonRecord]:
    """The register service's own check, telling the page how far it has got."""
    return parse_register_csv(text, register, progress, every=PROGRESS_EVERY)


router = APIRouter(include_in_schema=False)


jobs = Jobs()


def form_page(request, who, *, status=200, errors=None, problems=(), register=""):
    pages = pages_of(request)
    return pages.render(
        request,
        "registers.html",
        status=status,
        principal=who,
        errors=errors or {},
        problems=list(problems),
        register=register,
    )


@router.get("/registers")
def registers(app: AppDep, pages: PagesDep, request: Request, who: Who) -> Response:
    authorize(who, Permission.REGISTER_IMPORT)
    return form_page(request, who)


@router.post("/registers/import", dependencies=[Depends(check_csrf)])
async def start_import(
    app: AppDep,
    pages: PagesDep,
    request: Request,
    who: Who,
    register_name: Annotated[str, Form(alias="register", max_length=120)] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    authorize(who, Permission.REGISTER_IMPORT)
    register = register_name.strip()
    if register:
        authorize_import(who, register)
    t = Translator(language_of(request))
    raw = await file.read(app.settings.max_upload_bytes + 1) if file else b""
    text, errors = _read(t, register, raw)
    if errors:
        return form_page(request, who, status=422, errors=errors, register=register)
    job = ImportJob(uuid.uuid4().hex, who.user_id, register)
    if not jobs.add(job):
        busy = t.gettext("Other imports are still running: try again when they end.")
        return form_page(request, who, status=429, errors={"file": busy}, register=register)
    threading.Thread(target=_run, args=(app, job, text, who), daemon=True).start()
    await run_in_threadpool(job.checked.wait, QUICK_CHECK)
    if job.phase == "rejected":
        return form_page(
            request,
            who,
            status=422,
            errors={"file": _rejected(t)},
            problems=job.problems,
            register=register,
        )
    return job_page(request, who, job)


def job_page(request, who, job: ImportJob) -> Response:
    pages = pages_of(request)
    t = Translator(language_of(request))
    errors = {"file": _rejected(t)} if job.phase == "rejected" else {}
    return pages.render(
        request,
        "register_job.html",
        principal=who,
        job=job,
        errors=errors,
        problems=job.problems,
        register=job.register,
    )


def _run(app: App, job: ImportJob, text: str, who: Principal) -> None:
    try:
        records = check_file(text, job.register, _progress(job))
    except ImportRejected as rejected:
        job.problems = rejected.problems[:MAX_PROBLEMS]
        return job.move_to("rejected")
    except Exception as failed:  # the page must say so rather than spin for ever
        return _failed(job, failed)
    job.total, job.done = len(records), 0
    job.move_to("importing")
    try:
        with app.unit_of_work() as uow:
            job.result = import_register(
                uow.session, records, principal=who, now=app.now(), progress=_done(job)
            )
            uow.commit()
    except Exception as failed:
        return _failed(job, failed)
    job.done = job.total
    job.move_to("finished")


@router.get("/registers/jobs/{job_id}")
def job_status(app: AppDep, pages: PagesDep, request: Request, job_id: str, who: Who) -> Response:
    authorize(who, Permission.REGISTER_IMPORT)
    return job_page(request, who, jobs.get(job_id, who.user_id))


def _read(t: Translator, register: str, raw: bytes) -> tuple[str, dict[str, str]]:
    """The file's text, or what is wrong with the form."""
    errors = {}
    if not register:
        errors["register"] = t.gettext("Give the register a name, e.g. refugees.")
    text = ""
    if not raw:
        errors["file"] = t.gettext("Choose a CSV file.")
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            errors["file"] = t.gettext("The file is not UTF-8 text.")
    return text, errors


def _rejected(t: Translator) -> str:
    return t.gettext("The file was not imported; nothing was changed.")


def _progress(job: ImportJob) -> Callable[[int, int], None]:
    def checked(done: int, total: int) -> None:
        job.total, job.done = total, done

    return checked


def _done(job: ImportJob) -> Callable[[int], None]:
    def imported(done: int) -> None:
        job.done = done

    return imported


def _failed(job: ImportJob, failed: Exception) -> None:
    if isinstance(failed, JudicareError):
        job.error = failed.message
    else:
        job.error = f"{type(failed).__name__}: {failed}"
    job.move_to("failed")
