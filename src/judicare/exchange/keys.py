"""The node's own keys: an Ed25519 signing key and an X25519 encryption key per generation.

Private keys never enter the database. `FileKeyStore` keeps them as files readable by the
owner only (0600, in a 0700 directory) in the key directory from the settings
(`JUDICARE_NODE_KEYS_DIR`, default `<data_dir>/node-keys`); `MemoryKeyStore` is the fake
for tests. Rotation adds a generation and retires the previous one: retired keys stay, so
that messages signed or encrypted before the rotation still verify and open.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Protocol

from nacl.public import PrivateKey
from nacl.signing import SigningKey

from judicare.exchange.errors import ExchangeError, NodeNotInitialised


def key_id(public: bytes) -> str:
    """A short, stable name for a public key (128 bits of its SHA-256)."""
    return hashlib.sha256(public).hexdigest()[:32]


def fingerprint(public: bytes) -> str:
    """The full SHA-256 of a public key in groups of four, to read out over the phone."""
    digest = hashlib.sha256(public).hexdigest().upper()
    return " ".join(digest[i : i + 4] for i in range(0, len(digest), 4))


def normalise_fingerprint(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch in "0123456789ABCDEF")


@dataclass(frozen=True, slots=True)
class NodeIdentity:
    """Who this node is: one central authority of one state, reachable at `endpoint`."""

    node_id: str
    state: str
    authority: str
    endpoint: str


@dataclass(frozen=True, slots=True)
class KeyGeneration:
    number: int
    signing: SigningKey
    encryption: PrivateKey
    created_at: datetime
    retired_at: datetime | None = None

    @property
    def signing_public(self) -> bytes:
        return bytes(self.signing.verify_key)

    @property
    def encryption_public(self) -> bytes:
        return bytes(self.encryption.public_key)

    @property
    def signing_id(self) -> str:
        return key_id(self.signing_public)

    @property
    def encryption_id(self) -> str:
        return key_id(self.encryption_public)


@dataclass(frozen=True, slots=True)
class KeyRing:
    identity: NodeIdentity
    generations: tuple[KeyGeneration, ...] = field(default_factory=tuple)

    @property
    def current(self) -> KeyGeneration:
        return self.generations[-1]

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.current.signing_public)

    def encryption_key(self, wanted_id: str) -> PrivateKey | None:
        for generation in self.generations:
            if generation.encryption_id == wanted_id:
                return generation.encryption
        return None

    def rotated(self, now: datetime) -> KeyRing:
        """A new generation becomes current; the old one is retired, not deleted."""
        old = replace(self.current, retired_at=now)
        new = KeyGeneration(
            len(self.generations) + 1, SigningKey.generate(), PrivateKey.generate(), now
        )
        return replace(self, generations=(*self.generations[:-1], old, new))


def new_ring(identity: NodeIdentity, now: datetime) -> KeyRing:
    first = KeyGeneration(1, SigningKey.generate(), PrivateKey.generate(), now)
    return KeyRing(identity, (first,))


class KeyStore(Protocol):
    def load(self) -> KeyRing | None: ...

    def stamp(self) -> object:
        """Changes whenever the stored keys change (so a running server sees a rotation)."""

    def save(self, ring: KeyRing) -> None: ...


class MemoryKeyStore:
    """The fake for tests."""

    def __init__(self, ring: KeyRing | None = None) -> None:
        self.ring = ring

    def load(self) -> KeyRing | None:
        return self.ring

    def stamp(self) -> object:
        return id(self.ring)

    def save(self, ring: KeyRing) -> None:
        self.ring = ring


class FileKeyStore:
    """`node.json` (identity and public keys) and one 0600 file per private key."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def stamp(self) -> object:
        try:
            return (self.directory / "node.json").stat().st_mtime_ns
        except FileNotFoundError:
            return None

    def load(self) -> KeyRing | None:
        meta_path = self.directory / "node.json"
        if not meta_path.exists():
            return None
        self._check_permissions(meta_path)
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        generations = []
        for item in meta["generations"]:
            number = item["number"]
            signing = SigningKey(self._read_secret(f"gen-{number:04d}.signing.key"))
            encryption = PrivateKey(self._read_secret(f"gen-{number:04d}.encryption.key"))
            generation = KeyGeneration(
                number, signing, encryption, datetime.fromisoformat(item["created_at"]),
                datetime.fromisoformat(item["retired_at"]) if item["retired_at"] else None,
            )  # fmt: skip
            if generation.signing_id != item["signing_id"]:
                raise ExchangeError(
                    f"the signing key file of generation {number} in {self.directory} does "
                    "not match node.json: restore the key directory from its backup"
                )
            generations.append(generation)
        return KeyRing(NodeIdentity(**meta["identity"]), tuple(generations))

    def save(self, ring: KeyRing) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.directory, 0o700)
        for generation in ring.generations:
            stem = f"gen-{generation.number:04d}"
            self._write(f"{stem}.signing.key", bytes(generation.signing).hex().encode())
            self._write(f"{stem}.encryption.key", bytes(generation.encryption).hex().encode())
        meta = {
            "identity": {
                "node_id": ring.identity.node_id, "state": ring.identity.state,
                "authority": ring.identity.authority, "endpoint": ring.identity.endpoint,
            },
            "generations": [
                {"number": g.number, "signing_id": g.signing_id,
                 "signing_public": g.signing_public.hex(),
                 "encryption_public": g.encryption_public.hex(),
                 "created_at": g.created_at.isoformat(),
                 "retired_at": g.retired_at.isoformat() if g.retired_at else None}
                for g in ring.generations
            ],
        }  # fmt: skip
        self._write("node.json", json.dumps(meta, indent=2).encode())

    def _read_secret(self, name: str) -> bytes:
        path = self.directory / name
        self._check_permissions(path)
        return bytes.fromhex(path.read_text(encoding="ascii").strip())

    def _check_permissions(self, path: Path) -> None:
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            raise ExchangeError(
                f"{path} is readable by others (mode {mode:o}): run chmod 600 {path}"
            )

    def _write(self, name: str, data: bytes) -> None:
        """Write to a temporary file, sync, then rename: never a half-written key."""
        handle, temp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-")
        try:
            os.fchmod(handle, 0o600)
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, self.directory / name)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise


def require_ring(store: KeyStore) -> KeyRing:
    ring = store.load()
    if ring is None:
        raise NodeNotInitialised(
            "this node has no keys yet: run `judicare node init` (see --help) first"
        )
    return ring
