"""A bag as one file (a zip archive) for the exchange, and its careful unpacking on receipt.

A received archive is hostile until proven otherwise. Before a byte is written, every entry
is checked: no absolute path, no `..`, no drive letter or backslash, no symbolic link or
other special file, no two entries with the same name, no two entries sharing bytes (the
overlapping-entry zip bomb, CVE-2024-0450, which this Python, 3.11.7, does not refuse by
itself: `reference/reliability_security.md` item 7), at most `max_entries` entries, and a
declared total and compression ratio within the limits. Then, while unpacking, the bytes
actually produced are counted: an archive whose headers lie is stopped at the limit, not
after. Unpacking happens in a temporary directory that is removed whatever the outcome.
"""

from __future__ import annotations

import os
import stat
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path, PurePosixPath

from judicare.evidence.bags import BagProblem, BagRefused
from judicare.evidence.digests import CHUNK

BAG_MEDIA_TYPE = "application/vnd.judicare.evidence-bag+zip"


@dataclass(frozen=True, slots=True)
class Limits:
    max_total: int = 4 << 30  # bytes unpacked, all entries together
    max_entries: int = 10_000
    max_ratio: int = 200  # unpacked bytes per packed byte, per entry (beyond 1 MiB)


def pack(bag_dir: Path, out: Path) -> Path:
    """The bag directory as a zip archive, entries stored (evidence is rarely compressible,
    and stored entries keep packing at disk speed), in a stable order."""
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for path in sorted(p for p in bag_dir.rglob("*") if p.is_file()):
            archive.write(path, path.relative_to(bag_dir).as_posix())
    return out


def unpack(archive_path: Path, target: Path, limits: Limits = Limits()) -> None:
    """Unpack a received bag archive into `target` (an empty directory), or raise
    `BagRefused` naming the entry and the problem."""
    try:
        with zipfile.ZipFile(archive_path) as archive:
            infos = archive.infolist()
            _check_entries(archive_path, infos, limits)
            _extract(archive, infos, target, limits)
    except zipfile.BadZipFile as exc:
        raise BagRefused([BagProblem("archive", f"not a readable zip archive: {exc}")]) from None


def _check_entries(archive_path: Path, infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    if len(infos) > limits.max_entries:
        raise BagRefused(
            [
                BagProblem(
                    "archive",
                    f"has {len(infos)} entries; the most accepted "
                    f"is {limits.max_entries} (a zip bomb?)",
                )
            ]
        )
    problems, seen, declared = [], set(), 0
    for info in infos:
        problem = _path_problem(info.filename) or _type_problem(info)
        key = info.filename.rstrip("/").casefold()
        if problem is None and key in seen:
            problem = "appears twice in the archive"
        seen.add(key)
        declared += info.file_size
        ratio_limit = limits.max_ratio * max(info.compress_size, 1)
        if problem is None and info.file_size > (1 << 20) and info.file_size > ratio_limit:
            problem = (f"unpacks to {info.file_size} bytes from {info.compress_size}: over the "
                       f"ratio of {limits.max_ratio} to 1 (a zip bomb?)")  # fmt: skip
        if problem:
            problems.append(BagProblem(info.filename, problem))
    if problems:
        raise BagRefused(problems)
    if declared > limits.max_total:
        raise BagRefused(
            [
                BagProblem(
                    "archive",
                    f"unpacks to {declared} bytes; the most accepted is {limits.max_total}",
                )
            ]
        )
    overlap = _overlap(archive_path, infos)
    if overlap:
        raise BagRefused(
            [
                BagProblem(
                    overlap, "shares its bytes with another entry: an overlapping-entry zip bomb"
                )
            ]
        )


def _path_problem(name: str) -> str | None:
    if "\\" in name or "\x00" in name:
        return "has a backslash or NUL in its path: paths in a bag use /"
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return "has an absolute path: every path in a bag is relative to the bag"
    parts = PurePosixPath(name).parts
    if any(part == ".." for part in parts):
        return "climbs out of the bag with '..' (path traversal)"
    if not parts:
        return "has an empty path"
    return None


def _type_problem(info: zipfile.ZipInfo) -> str | None:
    mode = info.external_attr >> 16
    # Unix archivers put the file's mode in the high bits; a type of 0 means none given.
    if info.create_system == 3 and stat.S_IFMT(mode):
        if stat.S_ISLNK(mode):
            return "is a symbolic link: a bag holds plain files only"
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            return "is a device, pipe or other special file"
    return None


def _overlap(archive_path: Path, infos: list[zipfile.ZipInfo]) -> str | None:
    """The first entry whose local header starts inside the previous entry's data."""
    spans = []
    with archive_path.open("rb") as handle:
        for info in infos:
            handle.seek(info.header_offset)
            header = handle.read(30)
            if len(header) < 30 or header[:4] != b"PK\x03\x04":
                return info.filename
            name_len, extra_len = struct.unpack("<HH", header[26:30])
            end = info.header_offset + 30 + name_len + extra_len + info.compress_size
            spans.append((info.header_offset, end, info.filename))
    spans.sort()
    for (_, end, _), (start, _, name) in pairwise(spans):
        if start < end:
            return name
    return None


def _extract(archive: zipfile.ZipFile, infos, target: Path, limits: Limits) -> None:
    written = 0
    root = target.resolve()
    for info in infos:
        destination = (root / info.filename).resolve()
        if destination != root and root not in destination.parents:
            raise BagRefused([BagProblem(info.filename, "would be written outside the bag")])
        if info.is_dir():
            destination.mkdir(parents=True, exist_ok=True)
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(info) as source, open(destination, "xb") as out:
            for chunk in _chunks(source):
                written += len(chunk)
                if written > limits.max_total:
                    raise BagRefused(
                        [
                            BagProblem(
                                info.filename,
                                "the archive unpacks to more "
                                f"than {limits.max_total} bytes (its headers "
                                "understate it: a zip bomb?)",
                            )
                        ]
                    )
                out.write(chunk)
        os.chmod(destination, 0o600)


def _chunks(source) -> Iterator[bytes]:
    while chunk := source.read(CHUNK):
        yield chunk
