"""One clock: nothing in the application reads the wall clock but `judicare.clock`. The
moment and the date come from the app's clock, handed to every component; the two places
that choose the process's clock (the app factory's default and the CLI's) build a
`SystemClock`, nothing else does."""

from __future__ import annotations

import ast
from importlib import resources
from pathlib import Path

SOURCE = Path(str(resources.files("judicare")))
WALL_CLOCK = {("datetime", "now"), ("datetime", "utcnow"), ("date", "today"), ("time", "time"),
              ("datetime", "today"), ("time", "time_ns"), ("time", "localtime"), ("time", "gmtime")}  # fmt: skip
CHOOSE_THE_CLOCK = {"app.py", "cli_support.py"}  # create_app's default, command_clock


def _reads(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        function = node.func
        if (
            isinstance(function, ast.Attribute)
            and isinstance(function.value, ast.Name)
            and (function.value.id, function.attr) in WALL_CLOCK
        ):
            found.append(
                f"{path.relative_to(SOURCE)}:{node.lineno}: {function.value.id}.{function.attr}()"
            )
        if (
            isinstance(function, ast.Name)
            and function.id == "SystemClock"
            and path.relative_to(SOURCE).as_posix() not in CHOOSE_THE_CLOCK
        ):
            found.append(f"{path.relative_to(SOURCE)}:{node.lineno}: SystemClock()")
    return found


def test_only_the_clock_module_reads_the_wall_clock():
    reads = [
        read
        for path in sorted(SOURCE.rglob("*.py"))
        if path.relative_to(SOURCE).as_posix() != "clock.py"
        for read in _reads(path)
    ]
    assert reads == []


def test_the_check_sees_a_wall_clock_read():
    sample = SOURCE / "clock.py"
    assert any("datetime.now()" in read for read in _reads(sample))
