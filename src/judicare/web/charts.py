"""Pictures of treaty participation, drawn on the server as SVG so that they need nothing from
the internet: signatures and consents to be bound over time, and a world map by status.

Pure functions: they take the status report's rows and return coordinates; the templates draw.
The map's shapes are Natural Earth 1:110m countries from the `world-atlas` package, vendored
unchanged (static/vendor/README.md).
"""

from __future__ import annotations

import json
from collections import Counter
from functools import cache
from pathlib import Path

import pycountry

ATLAS = Path(__file__).parent / "static" / "vendor" / "world-atlas-2.0.2-countries-110m.json"
MAP_WIDTH, MAP_HEIGHT = 960, 480


def yearly_totals(parties: list[dict]) -> list[dict]:
    """Cumulative signatures and consents to be bound (ratification, accession, ...) by year."""
    signed = Counter(int(p["signed"][:4]) for p in parties if p.get("signed"))
    bound = Counter(
        int(p["consent"]["date"][:4]) for p in parties if p.get("consent") and p["consent"]["date"]
    )
    years = sorted(set(signed) | set(bound))
    if not years:
        return []
    totals, s_total, b_total = [], 0, 0
    for year in range(years[0], years[-1] + 1):
        s_total += signed.get(year, 0)
        b_total += bound.get(year, 0)
        totals.append({"year": year, "signatures": s_total, "consents": b_total})
    return totals


def line_chart(totals: list[dict], width: int = 720, height: int = 260, margin: int = 40) -> dict:
    """Polyline points and axis ticks for the cumulative totals."""
    if not totals:
        return {}
    top = max(max(t["signatures"], t["consents"]) for t in totals) or 1
    first, last = totals[0]["year"], totals[-1]["year"]
    span = max(1, last - first)

    def x(year: int) -> float:
        return round(margin + (width - 2 * margin) * (year - first) / span, 1)

    def y(value: int) -> float:
        return round(height - margin - (height - 2 * margin) * value / top, 1)

    def points(key: str) -> str:
        return " ".join(f"{x(t['year'])},{y(t[key])}" for t in totals)

    step = max(1, span // 8)
    return {
        "width": width,
        "height": height,
        "margin": margin,
        "signatures": points("signatures"),
        "consents": points("consents"),
        "x_ticks": [{"x": x(year), "label": year} for year in range(first, last + 1, step)],
        "y_ticks": [{"y": y(v), "label": v} for v in sorted({0, top // 2, top})],
        "last": totals[-1],
    }


@cache
def country_paths() -> tuple[tuple[str, str, str], ...]:
    """(ISO alpha-3, name, SVG path) for each country of the atlas (equirectangular)."""
    topology = json.loads(ATLAS.read_text(encoding="utf-8"))
    arcs = _decoded_arcs(topology)
    shapes = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        numeric = geometry.get("id")
        country = pycountry.countries.get(numeric=numeric) if numeric else None
        alpha3 = country.alpha_3 if country else _unnumbered(geometry)
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        rings = [_ring(arcs, ring) for polygon in polygons for ring in polygon]
        path = " ".join(_path(ring) for ring in rings)
        shapes.append((alpha3, geometry.get("properties", {}).get("name", alpha3), path))
    return tuple(shapes)


def _path(ring: list[tuple[float, float]]) -> str:
    """An SVG path for a ring; a jump across the antimeridian starts a new sub-path instead
    of drawing a line across the whole map."""
    parts, previous = [], None
    for x, y in ring:
        jump = previous is None or abs(x - previous[0]) > MAP_WIDTH / 2
        parts.append(f"{'M' if jump else 'L'}{x},{y}")
        previous = (x, y)
    return "".join(parts) + "Z"


def _unnumbered(geometry: dict) -> str:
    """Atlas shapes without an ISO number (Kosovo has the user-assigned code XKX)."""
    name = geometry.get("properties", {}).get("name", "")
    return "XKX" if name == "Kosovo" else ""


def _decoded_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    (scale_x, scale_y), (move_x, move_y) = (
        topology["transform"]["scale"],
        topology["transform"]["translate"],
    )
    decoded = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append(_project(x * scale_x + move_x, y * scale_y + move_y))
        decoded.append(points)
    return decoded


def _project(longitude: float, latitude: float) -> tuple[float, float]:
    return (
        round((longitude + 180) / 360 * MAP_WIDTH, 1),
        round((90 - latitude) / 180 * MAP_HEIGHT, 1),
    )


def _ring(arcs: list, indexes: list[int]) -> list[tuple[float, float]]:
    ring: list[tuple[float, float]] = []
    for index in indexes:
        points = arcs[index] if index >= 0 else list(reversed(arcs[~index]))
        ring.extend(points if not ring else points[1:])
    return ring


def world_map(statuses: dict[str, str]) -> list[dict]:
    """Each country's shape with its status for the map's colours and tooltips."""
    return [
        {"state": alpha3, "name": name, "path": path, "status": statuses.get(alpha3, "none")}
        for alpha3, name, path in country_paths()
    ]


def risk_chart(points: list[dict], width: int = 720, height: int = 260, margin: int = 40) -> dict:
    """Polyline and ticks for one country's statistical risk by the year its forecast is made
    from (`{"year", "risk"}`, risk 0–1), drawn in percent."""
    if not points:
        return {}
    top = max(p["risk"] for p in points) or 1.0
    first, last = points[0]["year"], points[-1]["year"]
    span = max(1, last - first)

    def x(year: int) -> float:
        return round(margin + (width - 2 * margin) * (year - first) / span, 1)

    def y(value: float) -> float:
        return round(height - margin - (height - 2 * margin) * value / top, 1)

    return {
        "width": width,
        "height": height,
        "margin": margin,
        "line": " ".join(f"{x(p['year'])},{y(p['risk'])}" for p in points),
        "x_ticks": [{"x": x(p["year"]), "label": p["year"]} for p in points],
        "y_ticks": [{"y": y(v), "label": f"{v:.1%}"} for v in (0.0, top / 2, top)],
        "last": points[-1],
    }
