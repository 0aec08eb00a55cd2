"""The public portal's pages and files (issue 19), under /public/, without signing in.

One function, `portal_file`, answers every portal path with its bytes; the live routes and
the static export (`portal_export`) both call it, so the exported site is the live site.
Paths are stable and language-prefixed for pages (/public/en/instruments/lhc-2023.html);
links are relative, so the export can be served from any folder of any web server.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import cache
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from jinja2 import Environment

from judicare.api.deps import AppDep
from judicare.db.freshness import PRIMARY, Freshness
from judicare.errors import JudicareError
from judicare.portal import datasets
from judicare.portal import service as portal
from judicare.states import state_name
from judicare.treaties.catalogue import get_instrument
from judicare.treaties.participation import data_as_of as participation_data_as_of
from judicare.treaties.statements import get_statement
from judicare.treaties.wording import for_users
from judicare.web import portal_statistics
from judicare.web.charts import line_chart, world_map, yearly_totals
from judicare.web.freshness import freshness_headers, freshness_note
from judicare.web.i18n import LANGUAGES, Translator
from judicare.web.labels import label
from judicare.web.rendering import build_environment
from judicare.web.session import language_of
from judicare.web.treaty_pages import caveat_items

STYLESHEET = Path(__file__).parent / "static" / "app.css"
TYPES = {
    "html": "text/html; charset=utf-8",
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "atom": "application/atom+xml",
    "css": "text/css; charset=utf-8",
}
DATASETS = (
    "instruments", "actions", "notifications", "statement_signatories",
    *portal_statistics.DATASETS,
)  # fmt: skip


class PortalNotFound(JudicareError):
    code = "not_found"
    http_status = 404


@cache
def _environment() -> Environment:
    return build_environment()


@dataclass(frozen=True)
class PageContext:
    lang: str
    here: str  # the page's path below /public/<lang>/
    freshness: Freshness = PRIMARY  # live pages read from a replica say how old their data is
    as_of: datetime | None = None  # an export read with a replica configured says when

    @property
    def root(self) -> str:
        """From this page back to /public/ (relative, so an export works anywhere)."""
        return "../" * (self.here.count("/") + 1)


def render(template: str, page: PageContext, **context) -> bytes:
    translator = Translator(page.lang)
    html = (
        _environment()
        .get_template(template)
        .render(
            t=translator,
            _=translator.gettext,
            gettext=translator.gettext,
            ngettext=translator.ngettext,
            lang=page.lang,
            languages=LANGUAGES,
            label=lambda group, code: translator.gettext(label(group, code)),
            root=page.root,
            here=page.here,
            plain=for_users,  # the data's words without file names, rows or [UNSURE]
            freshness=freshness_note(translator, page.freshness, page.as_of),
            **context,
        )
    )
    return html.encode("utf-8")


# --- every path of the portal ----------------------------------------------------------------


def portal_paths(data: portal.PortalData) -> list[str]:
    """Every file of the portal, below /public/."""
    pages = ["index.html", "notifications.html", "states/index.html", portal_statistics.PAGE]
    pages += [f"instruments/{i['id']}.html" for i in data.instruments]
    pages += [f"statements/{s}.html" for s in data.statements]
    pages += [f"states/{s}.html" for s in data.states()]
    files = [f"{lang}/{page}" for lang in LANGUAGES for page in pages]
    files += [f"data/{name}.{ext}" for name in DATASETS for ext in ("json", "csv")]
    return [*files, "data/schema.json", "feeds/notifications.atom", "portal.css", "index.html"]


def portal_file(
    data: portal.PortalData,
    path: str,
    *,
    on: date | None = None,
    live: bool = False,
    freshness: Freshness = PRIMARY,
    as_of: datetime | None = None,
) -> tuple[bytes, str]:
    """The bytes and media type of one portal path (below /public/), or PortalNotFound.
    `freshness`: where the data was read; `as_of`: when (said on pages instead of an age)."""
    extension = path.rsplit(".", 1)[-1]
    if path == "portal.css":
        return STYLESHEET.read_bytes(), TYPES["css"]
    if path == "index.html":
        return render("portal/choose.html", PageContext("en", "")), TYPES["html"]
    if path == "feeds/notifications.atom":
        moment = datetime.combine(data.today, time(), tzinfo=UTC)
        feed = datasets.atom_feed(portal.all_notifications(data), base_url="../", updated=moment)
        return feed, TYPES["atom"]
    if path == "data/schema.json":
        import json

        body = json.dumps(datasets.schema_document(), indent=1, ensure_ascii=False) + "\n"
        return body.encode(), TYPES["json"]
    if path.startswith("data/"):
        name, _, ext = path.removeprefix("data/").rpartition(".")
        if name not in DATASETS or ext not in ("json", "csv"):
            raise PortalNotFound(f"no dataset {path}")
        rows = dataset_rows(data, name)
        body = (
            datasets.to_json(name, rows, data.today)
            if ext == "json"
            else datasets.to_csv(name, rows)
        )
        return body, TYPES[ext]
    lang, _, page = path.partition("/")
    if lang not in LANGUAGES or extension != "html":
        raise PortalNotFound(f"no portal page {path}")
    context = PageContext(lang, page, freshness, as_of)
    return _page(data, context, on=on, live=live), TYPES["html"]


def dataset_rows(data: portal.PortalData, name: str) -> list[dict]:
    if name == "instruments":
        return [
            {
                "id": i["id"], "type": "treaty", "title": i["title"],
                "short_title": i["short_title"], "date": i["adopted"],
                "participation_data": i["participation_data"],
            }
            for i in data.instruments
        ] + [
            {
                "id": s.id, "type": s.type, "title": s.title, "short_title": s.title,
                "date": s.date.isoformat(), "participation_data": s.completeness,
            }
            for s in data.statements.values()
        ]  # fmt: skip
    if name == "actions":
        return portal.action_rows(data)
    if name == "statistics":
        return portal_statistics.statistics_rows(data)
    if name == "obligation_outcomes":
        return portal_statistics.outcome_rows(data)
    if name == "notifications":
        return [
            {
                "reference": n["reference"], "instrument": n["instrument"],
                "number": n["number"], "state": n["state"], "action": n["action"],
                "date": n["date"], "issued_at": n["issued_at"], "text_en": n["text_en"],
                "text_fr": n["text_fr"],
            }
            for n in sorted(
                portal.all_notifications(data), key=lambda n: (n["instrument"], n["number"])
            )
        ]  # fmt: skip
    return [
        {
            "statement": st.id, "state": s.state, "state_name": state_name(s.state),
            "date": s.date.isoformat(), "source_url": s.source_url, "unsure": s.unsure,
        }
        for st in data.statements.values()
        for s in st.signatories
    ]  # fmt: skip


def _page(data: portal.PortalData, page: PageContext, *, on: date | None, live: bool) -> bytes:
    here = page.here
    if here == "index.html":
        return render(
            "portal/index.html", page, instruments=data.instruments,
            statements=list(data.statements.values()), notifications=data.notifications,
            datasets=DATASETS, today=data.today, schema_version=datasets.SCHEMA_VERSION,
        )  # fmt: skip
    if here == "notifications.html":
        return render(
            "portal/notifications.html", page, notifications=portal.all_notifications(data)
        )
    if here == portal_statistics.PAGE:
        return render(
            "portal/statistics.html", page, **portal_statistics.page_context(data),
            schema_version=datasets.SCHEMA_VERSION, state_name=state_name,
        )  # fmt: skip
    if here == "states/index.html":
        states = [{"state": s, "name": state_name(s, page.lang)} for s in data.states()]
        return render("portal/states.html", page, states=sorted(states, key=lambda s: s["name"]))
    folder, _, name = here.partition("/")
    code = name.removesuffix(".html")
    if folder == "instruments":
        return _instrument(data, page, code, on or data.today, live)
    if folder == "statements":
        try:
            statement = get_statement(code)
        except JudicareError:
            raise PortalNotFound(f"no statement {code}") from None
        return render(
            "portal/statement.html", page, statement=statement,
            view=portal.statement_view(data, statement),
        )  # fmt: skip
    if folder == "states" and code in data.states():
        return render(
            "portal/state.html", page, state=code, name=state_name(code, page.lang),
            actions=portal.state_actions(data, code),
            statements=portal.state_statements(data, code),
        )  # fmt: skip
    raise PortalNotFound(f"no portal page {page.lang}/{here}")


def _instrument(data, page: PageContext, code: str, on: date, live: bool) -> bytes:
    try:
        instrument_id = get_instrument(code).id
    except JudicareError:
        raise PortalNotFound(f"no instrument {code}") from None
    if instrument_id != code:
        raise PortalNotFound(f"no instrument {code}: its id is {instrument_id}")
    report = portal.states_by_status(data, instrument_id, on)
    data_to = participation_data_as_of(get_instrument(instrument_id))
    statuses = {p["state"]: p["status"] for p in report["parties"]}
    shapes = world_map(statuses)
    for shape in shapes:
        if shape["status"] == "none":
            shape["status"] = report["unlisted_states"] or "unknown"
    return render(
        "portal/instrument.html", page, instrument=data.instrument(instrument_id),
        report=report, chart=line_chart(yearly_totals(report["parties"])), shapes=shapes,
        notifications=data.notifications.get(instrument_id, []), live=live, on=on.isoformat(),
        data_to=data_to, caveats=caveat_items(get_instrument(instrument_id), on, data_to),
    )  # fmt: skip


# --- live routes -------------------------------------------------------------------------------

router = APIRouter(include_in_schema=False)


@router.get("/public")
@router.get("/public/")
def public_home(request: Request) -> Response:
    return RedirectResponse(f"/public/{language_of(request)}/index.html", status_code=303)


@router.get("/public/{path:path}")
def public_file(
    app: AppDep, path: str, on: Annotated[str | None, Query(max_length=10)] = None
) -> Response:
    day = app.clock.today()
    if on:
        try:
            day = date.fromisoformat(on)
        except ValueError:
            return Response(
                "on: not a valid date; use YYYY-MM-DD", status_code=422, media_type="text/plain"
            )
    reading, freshness = app.reading()
    with reading as uow:
        data = portal.load(uow.session, app.clock.today())
        try:
            body, media_type = portal_file(data, path, on=day, live=True, freshness=freshness)
        except PortalNotFound as exc:
            return Response(exc.message, status_code=404, media_type="text/plain")
    return Response(body, media_type=media_type, headers=freshness_headers(freshness))
