"""Evidence packages as BagIt bags (RFC 8493), made and checked with the `bagit` library.

A bag holds, under `data/`, the bytes of each evidence item exactly as sealed; two payload
manifests (SHA-256 and SHA-512); `custody-log.json`, a tag file with each item's description
and its whole chain of custody (`evidence.custody`); `bag-info.txt` with the request's
reference (`External-Identifier`); and tag manifests that cover all the tag files, the
custody log included, so that a change to the log is found like a change to the payload.

Checking a bag (`verify`) is always the full validation: every file hashed again. Never the
fast one: bagit's `validate(fast=True)` only compares byte and file counts, and called a bag
with a one-byte change of the same size valid (`reference/reliability_security.md` §1.8).
When the full validation fails on the counts alone (bagit then names no file), the files are
hashed here to name the one that changed, went missing or was added.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import bagit

from judicare.audit.chain import canonical_time
from judicare.evidence import custody
from judicare.evidence.digests import Digests, Hasher, of_file

CUSTODY_LOG = "custody-log.json"
LOG_FORMAT = "judicare-custody-log/1"
ALGORITHMS = ("sha256", "sha512")
BAGIT_TXT = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
AGENT = "Judicare (bagit.py 1.9.0)"


class BagRefused(ValueError):
    """A bag that cannot be made or accepted; `problems` name each file and what is wrong."""

    def __init__(self, problems: Sequence[BagProblem]) -> None:
        self.problems = list(problems)
        first = self.problems[0]
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        super().__init__(f"{first.file}: {first.problem}{more}")


@dataclass(frozen=True, slots=True)
class BagProblem:
    file: str
    problem: str

    def as_dict(self) -> dict[str, str]:
        return {"file": self.file, "problem": self.problem}


@dataclass(frozen=True)
class PackedItem:
    """One item as the bag carries it: its stored bytes (`chunks`), what it is, its chain."""

    uid: str
    kind: str  # original | working_copy
    derived_from: str | None
    description: str
    filename: str
    media_type: str
    size: int
    sha256: str
    sha512: str
    events: Sequence[custody.CustodyEvent]
    chunks: Callable[[], Iterable[bytes]]


@dataclass
class Report:
    valid: bool
    errors: list[BagProblem] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)
    items: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid, "errors": [e.as_dict() for e in self.errors],
            "bag_info": self.info,
            "items": [{k: v for k, v in i.items() if k != "events"} | {"events": len(i["events"])}
                      for i in self.items],
        }  # fmt: skip


# --- making a bag ----------------------------------------------------------------------------


def payload_path(index: int, filename: str) -> str:
    """`data/001-name.ext`: numbered so two items of the same name never collide; no
    separator or leading dot survives from the name given."""
    safe = "".join("_" if c in "/\\" or ord(c) < 32 else c for c in filename).lstrip(".")
    return f"data/{index:03d}-{(safe or 'item')[:180]}"


def build(
    target: Path, items: Sequence[PackedItem], *, reference: str, organisation: str, at: datetime
) -> Path:
    """Write the bag at `target` (which must not exist) whole or not at all: it is made in a
    temporary directory beside it and renamed into place at the end. Each item's bytes are
    hashed on their way into the bag and must still be what was sealed."""
    if target.exists():
        raise BagRefused([BagProblem(str(target), "already exists: choose a new directory")])
    if not items:
        raise BagRefused([BagProblem(reference, "the request has no evidence item to package")])
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".bag-", dir=target.parent))
    try:
        _write(work, items, reference=reference, organisation=organisation, at=at)
        os.replace(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return target


def _write(work: Path, items: Sequence[PackedItem], *, reference, organisation, at) -> None:
    (work / "data").mkdir()
    lines: dict[str, list[str]] = {alg: [] for alg in ALGORITHMS}
    log_items, total = [], 0
    for index, item in enumerate(items, start=1):
        path = payload_path(index, item.filename)
        found = copy_hashing(item.chunks(), work / path)
        if (found.sha256, found.sha512, found.size) != (item.sha256, item.sha512, item.size):
            raise BagRefused([BagProblem(path, (
                f"item {item.uid} no longer matches the digests recorded when it was added "
                f"(SHA-256 {item.sha256}): an incident to report, not to repair"))])  # fmt: skip
        lines["sha256"].append(f"{found.sha256}  {_encode(path)}")
        lines["sha512"].append(f"{found.sha512}  {_encode(path)}")
        total += found.size
        log_items.append(_log_item(path, item))
    (work / "bagit.txt").write_text(BAGIT_TXT, encoding="utf-8")
    for alg in ALGORITHMS:
        (work / f"manifest-{alg}.txt").write_text("\n".join(lines[alg]) + "\n", encoding="utf-8")
    log = {"format": LOG_FORMAT, "request_reference": reference, "items": log_items}
    (work / CUSTODY_LOG).write_text(
        json.dumps(log, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    bag = bagit.Bag(str(work))
    bag.info.update({
        "Source-Organization": organisation, "External-Identifier": reference,
        "External-Description": f"Evidence gathered for request {reference}, with its chain "
                                f"of custody in {CUSTODY_LOG}",
        "Bagging-Date": at.date().isoformat(), "Bag-Software-Agent": AGENT,
        "Payload-Oxum": f"{total}.{len(items)}",
        "Judicare-Bagging-Time": canonical_time(at),
    })  # fmt: skip
    bag.save(manifests=False)  # bag-info.txt and both tag manifests, by the library


def copy_hashing(chunks: Iterable[bytes], destination: Path) -> Digests:
    """Write the chunks to `destination` while both digests are taken: each chunk is
    written by a helper thread while it is hashed (file writes and hashing release the
    GIL), so the copy costs about as much as the slower of the two, not their sum."""
    with destination.open("wb") as out, Hasher() as hasher, ThreadPoolExecutor(1) as writer:
        for chunk in chunks:
            written = writer.submit(out.write, chunk)
            hasher.update(chunk)
            written.result()
        return hasher.digests()


def _log_item(path: str, item: PackedItem) -> dict[str, Any]:
    return {
        "path": path, "uid": item.uid, "kind": item.kind, "derived_from": item.derived_from,
        "description": item.description, "filename": item.filename,
        "media_type": item.media_type, "size": item.size, "sha256": item.sha256,
        "sha512": item.sha512, "events": [e.as_record() for e in item.events],
    }  # fmt: skip


def _encode(path: str) -> str:
    """RFC 8493 §2.1.3: CR, LF and % in a manifest path are percent-encoded."""
    return path.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


# --- checking a bag --------------------------------------------------------------------------


def verify(path: Path) -> Report:
    """The full check of a bag directory: structure, links, every file's SHA-256 and SHA-512,
    nothing missing and nothing added, and every item's chain of custody."""
    problems = unsafe_entries(path)
    if problems:
        return Report(False, problems)
    if (path / "fetch.txt").exists():
        return Report(
            False,
            [
                BagProblem(
                    "fetch.txt",
                    "a bag with remote payload files "
                    "(fetch.txt) is not accepted: send the files in it",
                )
            ],
        )
    try:
        bag = bagit.Bag(str(path))
    except bagit.BagError as exc:
        return Report(False, [BagProblem(_bag_file(str(exc)), f"not a valid bag: {exc}")])
    info = {k: v for k, v in bag.info.items() if isinstance(v, str)}
    problems = _fixity(bag, path)
    items: list[dict[str, Any]] = []
    if not problems:
        items, problems = _custody(bag, path)
    return Report(not problems, problems, info, items)


def unsafe_entries(root: Path) -> list[BagProblem]:
    """Links, devices and other non-regular files anywhere in the bag, named: a bag is
    plain files and directories only."""
    problems = []
    for base, dirs, files in os.walk(root, followlinks=False):
        for name in [*dirs, *files]:
            full = Path(base) / name
            mode = full.lstat().st_mode
            relative = full.relative_to(root).as_posix()
            if stat.S_ISLNK(mode):
                problems.append(
                    BagProblem(
                        relative,
                        "is a symbolic link: a bag holds plain "
                        "files only; put the file itself in the bag",
                    )
                )
            elif not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                problems.append(BagProblem(relative, "is not a regular file"))
    return problems


def _fixity(bag: bagit.Bag, path: Path) -> list[BagProblem]:
    try:
        bag.validate(fast=False)
        return []
    except bagit.BagValidationError as exc:
        named = _merged([_detail(d) for d in exc.details or []])
        return named or _name_files(bag, path) or [BagProblem(_bag_file(str(exc)), str(exc))]
    except bagit.BagError as exc:
        return [BagProblem(_bag_file(str(exc)), str(exc))]


def _merged(problems: list[BagProblem]) -> list[BagProblem]:
    """One problem per file: a changed file fails both manifests, and is one change."""
    first: dict[str, BagProblem] = {}
    for problem in problems:
        first.setdefault(problem.file, problem)
    return list(first.values())


def _detail(detail: Any) -> BagProblem:
    if isinstance(detail, bagit.ChecksumMismatch):
        return BagProblem(
            detail.path,
            f"changed: its {detail.algorithm} is {detail.found}, "
            f"the manifest says {detail.expected}",
        )
    if isinstance(detail, bagit.FileMissing):
        return BagProblem(detail.path, "missing: listed in the manifest, not in the bag")
    if isinstance(detail, bagit.UnexpectedFile):
        return BagProblem(detail.path, "added: in the bag, in no manifest")
    return BagProblem(getattr(detail, "path", "?"), str(detail))


def _name_files(bag: bagit.Bag, path: Path) -> list[BagProblem]:
    """What bagit's count check (Payload-Oxum) did not name: each file's own fault."""
    missing, added = bag.compare_manifests_with_fs()
    problems = [BagProblem(p, "missing: listed in the manifest, not in the bag") for p in missing]
    problems += [BagProblem(p, "added: in the bag, in no manifest") for p in added]
    for relative, expected in bag.entries.items():
        if relative in missing or not (path / relative).is_file():
            continue
        found = of_file(path / relative)
        for alg, value in (("sha256", found.sha256), ("sha512", found.sha512)):
            if alg in expected and expected[alg].lower() != value:
                problems.append(
                    BagProblem(
                        relative,
                        f"changed: its {alg} is {value}, the manifest says {expected[alg].lower()}",
                    )
                )
                break
    return problems


def _bag_file(message: str) -> str:
    for name in ("bagit.txt", "bag-info.txt", "manifest-", "tagmanifest-"):
        if name in message:
            return name.rstrip("-") + ("*.txt" if name.endswith("-") else "")
    return "bag"


def _custody(bag: bagit.Bag, path: Path) -> tuple[list[dict[str, Any]], list[BagProblem]]:
    """The custody log: present, covered by the tag manifests, one entry per payload file
    with the manifest's digests, each chain unbroken (the audit chain's own check)."""
    if CUSTODY_LOG not in bag.entries:
        return [], [
            BagProblem(
                CUSTODY_LOG,
                "missing or not covered by the tag manifests: this bag carries no chain of custody",
            )
        ]
    try:
        log = json.loads((path / CUSTODY_LOG).read_text(encoding="utf-8"))
        items = list(log["items"])
        if log.get("format") != LOG_FORMAT:
            raise ValueError(f"format {log.get('format')!r}, expected {LOG_FORMAT!r}")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return [], [BagProblem(CUSTODY_LOG, f"unreadable: {exc}")]
    problems: list[BagProblem] = []
    listed = {str(i.get("path")) for i in items if isinstance(i, dict)}
    for relative in sorted(set(bag.payload_entries()) - listed):
        problems.append(BagProblem(relative, f"has no entry in {CUSTODY_LOG}"))
    for item in items:
        problems += _check_item(bag, item)
    return items, problems


def _check_item(bag: bagit.Bag, item: Any) -> list[BagProblem]:
    if not isinstance(item, dict) or not isinstance(item.get("events"), list):
        return [BagProblem(CUSTODY_LOG, "an item entry is malformed")]
    where = str(item.get("path"))
    expected = bag.payload_entries().get(where)
    if expected is None:
        return [BagProblem(where, f"is in {CUSTODY_LOG} but not in the bag")]
    if expected.get("sha256") != item.get("sha256") or expected.get("sha512") != item.get("sha512"):
        return [BagProblem(where, f"its digests in {CUSTODY_LOG} differ from the manifests")]
    try:
        events = [custody.from_record(e) for e in item["events"]]
    except custody.CustodyRefused as exc:
        return [BagProblem(where, f"custody log: {exc}")]
    return [BagProblem(where, f"custody log: {p.message}")
            for p in custody.check_chain(str(item.get("uid")), events)]  # fmt: skip
