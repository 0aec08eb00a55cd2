"""The layers hold: the core (domains, services) imports no adapter; the API does not
import the web pages or the exchange; only the composition (`judicare.asgi`) and the
command that serves it put API, exchange and web together."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "judicare"
HTTP_ADAPTERS = {"fastapi", "starlette", "judicare.api", "judicare.web", "judicare.asgi"}
# the modules (relative to src/judicare) that may import them
ADAPTER_MODULES = (
    "api/", "web/", "exchange/http.py", "exchange/routes.py", "asgi.py", "serve.py",
    "exchange/chunk_routes.py",  # the chunked transfer's routes (exchange.chunked)
    "portal/cli.py",  # `judicare portal export` writes the web pages as files
)  # fmt: skip


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _hits(names: set[str], prefixes: set[str]) -> set[str]:
    return {n for n in names if any(n == p or n.startswith(p + ".") for p in prefixes)}


def _modules():
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        yield path.relative_to(SRC).as_posix(), path


def test_the_core_imports_no_adapter():
    offenders = {
        name: sorted(_hits(_imports(path), HTTP_ADAPTERS))
        for name, path in _modules()
        if not name.startswith(ADAPTER_MODULES)
    }
    assert {name: found for name, found in offenders.items() if found} == {}


@pytest.mark.parametrize("name", ["api/app.py", "api/deps.py", "api/models.py"])
def test_the_api_does_not_import_the_web_or_the_composition(name):
    assert not _hits(_imports(SRC / name), {"judicare.web", "judicare.asgi", "judicare.exchange"})


def test_only_the_composition_and_serve_import_it():
    users = [n for n, p in _modules() if _hits(_imports(p), {"judicare.asgi"})]
    assert users == ["serve.py"]
