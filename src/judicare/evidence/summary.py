"""What an execution report says of each evidence bag sent with the answer: its name, the
payload's size and Payload-Oxum (RFC 8493 §2.2.2: "octetcount.streamcount"), the SHA-256 of
the bag as sent (the archive) and of its SHA-256 payload manifest, and how many custody
entries its log holds. Read from the stored archive's small tag files only (the zip's
directory is read, never the payload), so a bag of any size is summarised in constant
memory."""

from __future__ import annotations

import hashlib
import json
import zipfile
from typing import Any, BinaryIO

from judicare.evidence.bags import CUSTODY_LOG

MAX_TAG_FILE = 16 << 20  # a tag file larger than this is not read (a zip bomb)


class UnreadableBag(ValueError):
    pass


def _read(archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise UnreadableBag(f"the bag has no {name}") from None
    if info.file_size > MAX_TAG_FILE:
        raise UnreadableBag(f"{name} is larger than {MAX_TAG_FILE} bytes")
    return archive.read(info)


def _bag_info(text: str) -> dict[str, str]:
    """bag-info.txt's labels (RFC 8493 §2.2.2; a line starting with whitespace continues the
    previous value)."""
    info: dict[str, str] = {}
    label = ""
    for line in text.splitlines():
        if line[:1] in (" ", "\t") and label:
            info[label] += " " + line.strip()
        elif ":" in line:
            label, _, value = line.partition(":")
            label = label.strip()
            info[label] = value.strip()
    return info


def summarise(handle: BinaryIO, *, name: str, sha256: str) -> dict[str, Any]:
    """The report's line for one bag archive (`handle`: the stored archive, seekable)."""
    try:
        with zipfile.ZipFile(handle) as archive:
            info = _bag_info(_read(archive, "bag-info.txt").decode("utf-8"))
            manifest = _read(archive, "manifest-sha256.txt")
            log = json.loads(_read(archive, CUSTODY_LOG))
    except (zipfile.BadZipFile, UnicodeDecodeError, ValueError) as exc:
        raise UnreadableBag(f"{name}: {exc}") from None
    oxum = info.get("Payload-Oxum", "")
    octets, _, streams = oxum.partition(".")
    if not (octets.isdigit() and streams.isdigit()):
        raise UnreadableBag(f"{name}: bag-info.txt has no valid Payload-Oxum ({oxum!r})")
    entries = sum(len(item.get("events") or []) for item in log.get("items") or [])
    return {
        "name": name, "payload_size": int(octets), "files": int(streams),
        "payload_oxum": oxum, "sha256": sha256,
        "manifest_sha256": hashlib.sha256(manifest).hexdigest(),
        "custody_entries": entries,
        "reference": info.get("External-Identifier", ""),
    }  # fmt: skip
