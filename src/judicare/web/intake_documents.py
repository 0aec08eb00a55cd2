"""The documents chosen on the intake form: read from the multipart form, each within the
upload limit, to be written with the request in one transaction; and the names of the
files chosen, which the live completeness panel counts without the files being sent."""

from __future__ import annotations

import json
from dataclasses import dataclass

from starlette.datastructures import FormData

from judicare.web.i18n import Translator

DOCUMENTS = "documents"  # the file field's name and id, and the key of its problems
MAX_CHOSEN = 100  # names of chosen files the live panel lists
# The intake form may carry several documents: its body may be this many times the limit
# of one upload (each file is still checked against that limit, next to the field).
FORM_UPLOADS = 4


@dataclass(frozen=True)
class Attachment:
    """A file sent with the form, read whole (it is within the upload limit)."""

    filename: str
    media_type: str | None  # as the browser declared it
    content: bytes


def chosen_names(value) -> list[str]:
    """The names of the files chosen in the file field, which the page's script copies into a
    hidden field (a JSON list) for the live panel: the files themselves travel only when the
    request is registered. Anything else reads as no file chosen."""
    try:
        names = json.loads(str(value or "[]"))
    except ValueError:
        return []
    if not isinstance(names, list):
        return []
    return [str(n)[:255] for n in names if isinstance(n, str) and n][:MAX_CHOSEN]


def sent_names(form: FormData) -> list[str]:
    """The names of the files sent with the form (to say they were not kept)."""
    return [
        u.filename[:255] for u in form.getlist(DOCUMENTS) if not isinstance(u, str) and u.filename
    ]


async def read_attachments(form: FormData, limit: int, t: Translator):
    """(attachments, problem): each file chosen, within `limit` bytes and not empty; else the
    problem to show next to the file field. A browser cannot send chosen files again, so the
    problem says to choose them again."""
    attachments, problems = [], []
    for upload in form.getlist(DOCUMENTS):
        if isinstance(upload, str) or not upload.filename:
            continue  # no file chosen: the browser sends an empty part
        name = upload.filename[:255]
        content = await upload.read(limit + 1)
        if len(content) > limit:
            problems.append(too_large(t, name, limit))
        elif not content:
            problems.append(t.gettext("%(name)s is empty.", name=name))
        else:
            # checked, as on every way in, when the document is added
            attachments.append(Attachment(name, upload.content_type, content))
    if problems:
        return [], " ".join([*problems, choose_again(t)])
    return attachments, None


def too_large(t: Translator, name: str, limit: int) -> str:
    return t.gettext(
        "%(name)s is too large: at most %(size)s bytes.", name=name, size=t.number(limit)
    )


def choose_again(t: Translator) -> str:
    return t.gettext(
        "A browser cannot keep chosen files when the form comes back: choose the files again."
    )
