"""File stores. Documents are stored by the SHA-256 of their content (so the key is also
the integrity check); the database holds only their metadata."""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

from judicare.errors import JudicareError

CHUNK = 1 << 16


class TooLarge(JudicareError):
    code = "payload_too_large"
    http_status = 413


class FileStore(Protocol):
    def put(self, chunks: Iterable[bytes], max_bytes: int) -> tuple[str, int, str]:
        """Store the bytes; return (storage key, size, sha256)."""

    def get(self, key: str) -> bytes: ...

    def open_chunks(self, key: str, size: int = CHUNK) -> Iterator[bytes]:
        """The stored bytes in pieces of at most `size`, never the whole file at once."""

    def exists(self, key: str) -> bool: ...

    def open(self, key: str) -> BinaryIO:
        """The stored bytes as a seekable file (a zip's directory is read without reading
        the whole file); the caller closes it."""

    def remove(self, key: str) -> bool:
        """Remove the bytes (True if they were there). Only `files.removal` calls this: it
        checks that no row still references the key, and audits the removal first."""


def _digest_and_collect(chunks: Iterable[bytes], max_bytes: int, sink) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    for chunk in chunks:
        size += len(chunk)
        if size > max_bytes:
            raise TooLarge(f"the file is larger than the limit of {max_bytes} bytes")
        digest.update(chunk)
        sink(chunk)
    return size, digest.hexdigest()


class LocalFileStore:
    """A directory; files are written to a temporary name, synced, then renamed, so a crash
    never leaves a half-written document under its final name."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, chunks: Iterable[bytes], max_bytes: int) -> tuple[str, int, str]:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)  # documents: owner only
        handle, temp = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as out:
                size, sha = _digest_and_collect(chunks, max_bytes, out.write)
                out.flush()
                os.fsync(out.fileno())
            final = self.root / sha[:2] / sha
            final.parent.mkdir(exist_ok=True, mode=0o700)
            os.replace(temp, final)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        return f"sha256/{sha}", size, sha

    def get(self, key: str) -> bytes:
        sha = key.removeprefix("sha256/")
        return (self.root / sha[:2] / sha).read_bytes()

    def exists(self, key: str) -> bool:
        sha = key.removeprefix("sha256/")
        return (self.root / sha[:2] / sha).is_file()

    def open(self, key: str) -> BinaryIO:
        sha = key.removeprefix("sha256/")
        return (self.root / sha[:2] / sha).open("rb")

    def remove(self, key: str) -> bool:
        sha = key.removeprefix("sha256/")
        path = self.root / sha[:2] / sha
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        return True

    def open_chunks(self, key: str, size: int = CHUNK) -> Iterator[bytes]:
        sha = key.removeprefix("sha256/")
        with (self.root / sha[:2] / sha).open("rb") as handle:
            while chunk := handle.read(size):
                yield chunk


class MemoryFileStore:
    """The fake for tests."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def put(self, chunks: Iterable[bytes], max_bytes: int) -> tuple[str, int, str]:
        parts: list[bytes] = []
        size, sha = _digest_and_collect(chunks, max_bytes, parts.append)
        self.files[f"sha256/{sha}"] = b"".join(parts)
        return f"sha256/{sha}", size, sha

    def get(self, key: str) -> bytes:
        return self.files[key]

    def exists(self, key: str) -> bool:
        return key in self.files

    def open(self, key: str) -> BinaryIO:
        return io.BytesIO(self.files[key])

    def remove(self, key: str) -> bool:
        return self.files.pop(key, None) is not None

    def open_chunks(self, key: str, size: int = CHUNK) -> Iterator[bytes]:
        data = memoryview(self.files[key])
        for start in range(0, len(data), size):
            yield bytes(data[start : start + size])
