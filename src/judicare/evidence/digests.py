"""SHA-256 and SHA-512 of a stream in one pass, in constant memory.

A bag's manifests need both digests of every payload file (RFC 8493 §2.1.3; SHA-512 beside
SHA-256 as `reference/reliability_security.md` §1.7 asks). Reading a file twice would halve
the throughput, so each chunk is read once and fed to both hashes. `hashlib` releases the
GIL while it hashes a buffer of more than 2 KiB, so SHA-512 runs in a helper thread while
SHA-256 runs in the caller's: on two cores the pass takes as long as the slower hash, not
the sum of both. Memory is one chunk (1 MiB) plus the chunk the reader fetches next.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Digests:
    size: int
    sha256: str
    sha512: str


class Hasher:
    """Feed chunks with `update`; read `digests()` at the end. Use as a context manager (it
    owns a helper thread)."""

    def __init__(self) -> None:
        self._sha256 = hashlib.sha256()
        self._sha512 = hashlib.sha512()
        self._size = 0
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sha512")

    def __enter__(self) -> Hasher:
        return self

    def __exit__(self, *_: object) -> None:
        self._pool.shutdown(wait=True)

    def update(self, chunk: bytes) -> None:
        self._size += len(chunk)
        if len(chunk) < 4096:
            self._sha256.update(chunk)
            self._sha512.update(chunk)
            return
        pending = self._pool.submit(self._sha512.update, chunk)
        self._sha256.update(chunk)
        pending.result()

    def digests(self) -> Digests:
        return Digests(self._size, self._sha256.hexdigest(), self._sha512.hexdigest())


def read_chunks(handle: BinaryIO, size: int = CHUNK) -> Iterator[bytes]:
    while chunk := handle.read(size):
        yield chunk


def of_chunks(chunks: Iterable[bytes]) -> Digests:
    with Hasher() as hasher:
        for chunk in chunks:
            hasher.update(chunk)
        return hasher.digests()


def of_file(path: Path) -> Digests:
    with path.open("rb") as handle:
        return of_chunks(read_chunks(handle))


def passing_through(chunks: Iterable[bytes], hasher: Hasher) -> Iterator[bytes]:
    """The same chunks, each hashed on its way (to hash while copying, in one read)."""
    for chunk in chunks:
        hasher.update(chunk)
        yield chunk
