"""`judicare portal export DIR`: the whole public portal as static files, byte for byte what
the live server answers under /public/ (one `portal_file` for both), so any web server or
content-delivery network can serve it. Files are written to a temporary folder beside DIR
and moved into place at the end: an interrupted export never leaves half a site."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from judicare.app import App
from judicare.portal import service as portal
from judicare.web.portal_pages import portal_file, portal_paths


def export_portal(app: App, target: Path) -> list[str]:
    """Write every portal file under `target` (created or replaced); return their paths."""
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".portal-", dir=target.parent))
    try:
        with app.unit_of_work() as uow:
            data = portal.load(uow.session, app.clock.today())
            paths = portal_paths(data)
            for path in paths:
                body, _ = portal_file(data, path)
                out = staging / path
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(body)
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return paths
