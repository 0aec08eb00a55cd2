"""What a document's sender says about it, checked once for every way in (API upload, request
page, intake form), and how it is handed back: always as an attachment, never as something a
browser would run in the application's origin.

Pure: plain values in, plain values or an error out.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from judicare.errors import InvalidInput, UnsupportedMediaType

NEUTRAL = "application/octet-stream"
MAX_DECLARED = 255  # a Content-Type longer than this is refused, not trimmed
_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,62}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,62}")
# Types a browser would render or run if it ever displayed the download inline: they are
# handed back as neutral bytes (the stored type is kept and shown).
ACTIVE = frozenset(
    {
        "text/html",
        "application/xhtml+xml",
        "image/svg+xml",
        "text/xml",
        "application/xml",
        "text/javascript",
        "application/javascript",
        "application/ecmascript",
        "text/ecmascript",
        "application/x-shockwave-flash",
        "text/xsl",
        "application/xslt+xml",
        "multipart/x-mixed-replace",
    }
)


def checked_media_type(declared: str | None) -> str:
    """The sender's word for the file's type if it is a plain type/subtype (RFC 6838 names,
    parameters dropped) that fits the column; else the neutral one. A declaration longer than
    `MAX_DECLARED` is no browser's: it is refused (415) rather than guessed at."""
    if declared is not None and len(declared) > MAX_DECLARED:
        raise UnsupportedMediaType(
            f"the declared media type is {len(declared)} characters long: at most "
            f"{MAX_DECLARED}, e.g. application/pdf"
        )
    plain = (declared or "").split(";", 1)[0].strip().lower()
    return plain if _PLAIN.fullmatch(plain) else NEUTRAL


def checked_filename(name: str) -> str:
    """A document's name as given, unless it holds a control character (NUL, a line break,
    DEL...): such a name cannot be stored on PostgreSQL or sent back in a header safely."""
    bad = next((c for c in name if unicodedata.category(c) == "Cc"), None)
    if bad is not None:
        raise InvalidInput(
            f"the filename contains a control character (U+{ord(bad):04X}): rename the file"
        )
    return name


def download_type(stored: str) -> str:
    """The Content-Type a download is sent with: the stored type, unless a browser would run
    it (HTML, SVG, XML, scripts) or it is not a plain type."""
    plain = stored.split(";", 1)[0].strip().lower()
    return NEUTRAL if plain in ACTIVE or not _PLAIN.fullmatch(plain) else plain


def content_disposition(filename: str) -> str:
    """`attachment` with the name twice (RFC 6266 §4.3): `filename` in plain ASCII for old
    clients, and `filename*` in UTF-8 (RFC 8187) with the name exactly as uploaded."""
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\%' else "_" for c in filename)
    fallback = fallback.strip() or "document"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def download_headers(filename: str) -> dict[str, str]:
    """Every document download, API or page: an attachment that is never sniffed."""
    return {
        "Content-Disposition": content_disposition(filename),
        "X-Content-Type-Options": "nosniff",
    }
