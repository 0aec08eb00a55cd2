"""PDF/A-3b through WeasyPrint, with the request's machine-readable JSON embedded as an
associated file, and nothing fetched from a network while rendering."""

from __future__ import annotations

import hashlib
from datetime import datetime

from weasyprint import HTML, Attachment
from weasyprint.urls import FatalURLFetchingError, URLFetcher

from judicare.errors import InvalidInput

JSON_NAME = "request.json"


class RemoteResource(InvalidInput):
    code = "document_template_fetches"


class LocalOnly(URLFetcher):
    """Refuses every URL that is not a local file or inline data (a template that names a
    web font or image fails, rather than reaching the internet)."""

    def fetch(self, url, headers=None):
        if not url.startswith(("file:", "data:")):
            raise FatalURLFetchingError(f"a formal document may not fetch {url}: use local files")
        return super().fetch(url, headers)


def render_pdf(
    html: str,
    embedded_json: bytes,
    *,
    created: datetime,
    description: str,
    json_name: str = JSON_NAME,
) -> bytes:
    """The same inputs give the same bytes: the dates come from `created` (the app's clock)
    and the file identifier from the content."""
    identifier = hashlib.sha256(html.encode("utf-8") + embedded_json).hexdigest()[:32]
    attachment = Attachment(
        string=embedded_json.decode("utf-8"),
        name=json_name,
        description=description,
        created=created,
        modified=created,
        relationship="Data",
    )
    document = HTML(string=html, base_url=None, url_fetcher=LocalOnly())
    try:
        pdf: bytes = document.write_pdf(
            pdf_variant="pdf/a-3b",
            pdf_identifier=identifier.encode("ascii"),
            attachments=[attachment],
        )
    except FatalURLFetchingError as exc:
        raise RemoteResource(f"the document template is refused: {exc}") from None
    return pdf
