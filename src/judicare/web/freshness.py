"""What a read-only page says about where its data came from (`db.freshness`): "data as of
N seconds ago" when read from a replica, or why it read from the primary instead. The same
facts travel as headers (`X-Judicare-Read-From`, `X-Judicare-Data-Age`) for the CSV and
JSON exports, which have no place for a sentence."""

from __future__ import annotations

from judicare.db.freshness import Fallback, Freshness, ReadFrom
from judicare.web.i18n import Translator


def freshness_note(t: Translator, freshness: Freshness) -> str:
    """One sentence for the page, or "" when there is nothing to say (no replica)."""
    if freshness.source is ReadFrom.REPLICA:
        return t.ngettext(
            "Data as of %(num)d second ago (read from a replica of the database).",
            "Data as of %(num)d seconds ago (read from a replica of the database).",
            freshness.shown_seconds or 0,
        )
    if freshness.fallback is Fallback.TOO_FAR_BEHIND:
        return t.gettext(
            "Read from the primary database: the replica is %(seconds)s seconds behind, "
            "more than the %(bound)s allowed.",
            seconds=t.number(freshness.shown_seconds or 0),
            bound=t.number(freshness.bound_seconds or 0),
        )
    if freshness.fallback is Fallback.LAG_UNKNOWN:
        return t.gettext(
            "Read from the primary database: the replica cannot say how far behind it is."
        )
    if freshness.fallback is Fallback.UNREACHABLE:
        return t.gettext("Read from the primary database: the replica does not answer.")
    return ""


def freshness_headers(freshness: Freshness) -> dict[str, str]:
    headers = {"X-Judicare-Read-From": freshness.source.value}
    if freshness.source is ReadFrom.REPLICA and freshness.shown_seconds is not None:
        headers["X-Judicare-Data-Age"] = str(freshness.shown_seconds)
    return headers
