"""What a read-only page says about where its data came from (`db.freshness`): "data as of
N seconds ago" when read from a replica, or why it read from the primary instead. The same
facts travel as headers (`X-Judicare-Read-From`, `X-Judicare-Data-Age`) for the CSV and
JSON exports, which have no place for a sentence. A static export (`judicare portal
export`), read once and served for long after, gives the moment instead: "data as of
6 Dec 2026, 00:45:12 UTC"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from judicare.db.freshness import Fallback, Freshness, ReadFrom
from judicare.web.i18n import Translator


def as_of(freshness: Freshness, now: datetime) -> datetime:
    """The moment the data read reflects: the replica's replay point (`now` less its lag)
    when read from a replica, else `now` (the primary's present). Whole seconds, UTC."""
    lag = freshness.lag_seconds if freshness.source is ReadFrom.REPLICA else None
    moment = now - timedelta(seconds=lag or 0)
    return moment.astimezone(UTC).replace(microsecond=0)


def freshness_note(t: Translator, freshness: Freshness, moment: datetime | None = None) -> str:
    """One sentence for the page, or "" when there is nothing to say (no replica).
    `moment`: the data's as-of time (`as_of`), said instead of an age (a static export)."""
    if moment is not None and freshness.fallback is not Fallback.NONE:
        said = t.gettext("Data as of %(time)s.", time=_moment(t, moment))
        return f"{said} {freshness_note(t, freshness)}"
    if freshness.source is ReadFrom.REPLICA:
        if moment is not None:
            return t.gettext(
                "Data as of %(time)s (read from a replica of the database).",
                time=_moment(t, moment),
            )
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


def _moment(t: Translator, moment: datetime) -> str:
    return f"{t.datetime(moment.astimezone(UTC))} UTC"


def freshness_headers(freshness: Freshness) -> dict[str, str]:
    headers = {"X-Judicare-Read-From": freshness.source.value}
    if freshness.source is ReadFrom.REPLICA and freshness.shown_seconds is not None:
        headers["X-Judicare-Data-Age"] = str(freshness.shown_seconds)
    return headers
