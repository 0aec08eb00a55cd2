"""`judicare portal export DIR`: the whole public portal as static files, byte for byte what
the live server answers under /public/ (one `portal_file` for both), so any web server or
content-delivery network can serve it. Files are written to a temporary folder beside DIR
and moved into place at the end: an interrupted export never leaves half a site.

The portal is read-only, so with a read replica configured (`JUDICARE_READ_DATABASE_URL`,
`--read-db`) the export reads from it, under the same rule as the live pages
(`App.reading`: within `JUDICARE_READ_MAX_LAG_SECONDS`, else the primary); its pages then
say as of when their data is (the replica's replay point, or the primary's time when it
read the primary) and, like the live pages, where it was read and why. Without a replica
the export is the live site, byte for byte."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from judicare.app import App
from judicare.db.freshness import Freshness
from judicare.portal import service as portal
from judicare.web.freshness import as_of
from judicare.web.portal_pages import portal_file, portal_paths


@dataclass(frozen=True)
class PortalExport:
    paths: list[str]  # every file written, below the target folder
    freshness: Freshness  # where the data was read
    as_of: datetime | None  # when the data is from, said on the pages (None: no replica)


def export_portal(app: App, target: Path) -> PortalExport:
    """Write every portal file under `target` (created or replaced)."""
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".portal-", dir=target.parent))
    try:
        reading, freshness = app.reading()
        moment = as_of(freshness, app.now()) if app.read_engine is not None else None
        with reading as uow:
            data = portal.load(uow.session, app.clock.today())
            paths = portal_paths(data)
            for path in paths:
                body, _ = portal_file(data, path, freshness=freshness, as_of=moment)
                out = staging / path
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(body)
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return PortalExport(paths, freshness, moment)
