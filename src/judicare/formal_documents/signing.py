"""PAdES signatures (pyHanko) on formal documents: signing with the central authority's
X.509 certificate and key, and verifying a signed PDF (ours or one received).

A verification answers: is the PDF signed; is the signature intact and cryptographically
valid, covering the whole file (nothing changed or added after signing); is the signer's
certificate trusted (only when trust roots are given, else unknown); who signed; and does
the PDF carry the machine-readable JSON of the request.
"""

from __future__ import annotations

import json
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Any

from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from judicare.errors import InvalidInput

FIELD = "JudicareSignature"


class SigningNotConfigured(InvalidInput):
    code = "signing_not_configured"


def sign_pdf(
    pdf: bytes,
    *,
    certificate: Path,
    key: Path,
    chain: tuple[Path, ...] = (),
    reason: str = "",
    location: str = "",
    at: datetime,
) -> bytes:
    """Sign `pdf` (PAdES). The signing time written in the signature (`/M`, and the CMS
    signed attributes) is `at`, the app's clock (`judicare.clock`), never the wall clock."""
    for name, path in (("certificate", certificate), ("key", key), *(("chain", c) for c in chain)):
        if not path.is_file():
            raise SigningNotConfigured(f"the signing {name} {path} is not a readable file")
    signer = signers.SimpleSigner.load(
        str(key), str(certificate), ca_chain_files=tuple(map(str, chain))
    )
    if signer is None:
        raise SigningNotConfigured(
            f"cannot load the key {key} with the certificate {certificate} (PEM or DER, "
            "unencrypted)"
        )
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason or None,
        location=location or None,
    )
    if at.tzinfo is None:
        raise ValueError("the signing time must be timezone-aware (the app's clock)")
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    out = _ClockedSigner(meta, signer, at=at).sign_pdf(writer)
    return out.getvalue()


class _ClockedSigner(signers.PdfSigner):
    """pyHanko's signer with its signing time taken from the caller: pyHanko otherwise
    reads the wall clock when a signing session starts."""

    def __init__(self, meta, signer, *, at: datetime) -> None:
        super().__init__(meta, signer)
        self.at = at

    def init_signing_session(self, pdf_out, existing_fields_only=False):
        session = super().init_signing_session(pdf_out, existing_fields_only=existing_fields_only)
        session.system_time = self.at
        return session


def trust_roots(path: Path | None) -> list:
    """The certificates in a PEM/DER file, or in every file of a directory."""
    if path is None:
        return []
    files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
    return [load_cert_from_pemder(str(p)) for p in files]


def _embedded_files(reader: PdfFileReader) -> dict[str, bytes]:
    found: dict[str, bytes] = {}

    def walk(node) -> None:
        names = node.get("/Names")
        if names is not None:
            for n in range(0, len(names), 2):
                spec = names[n + 1].get_object()
                stream = spec["/EF"]["/F"].get_object()
                found[str(names[n])] = stream.data
        for kid in node.get("/Kids", []):
            walk(kid.get_object())

    tree = reader.root.get("/Names", {}).get("/EmbeddedFiles")
    if tree is not None:
        walk(tree.get_object())
    return found


def _json_present(files: dict[str, bytes]) -> bool:
    for name, data in files.items():
        if name.endswith(".json"):
            try:
                json.loads(data)
            except ValueError:
                continue
            return True
    return False


def verify_pdf(
    pdf: bytes, roots: list | None = None, *, at: datetime | None = None
) -> dict[str, Any]:
    """`at`: the moment the certificates are judged at (the app's clock)."""
    answer: dict[str, Any] = {
        "signed": False, "signature_valid": None, "intact": None, "trusted": None,
        "signer": None, "signed_at": None, "covers_whole_file": None,
        "embedded_json": False, "embedded_files": [], "problem": None,
    }  # fmt: skip
    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        files = _embedded_files(reader)
        answer["embedded_files"] = sorted(files)
        answer["embedded_json"] = _json_present(files)
        signatures = reader.embedded_signatures
    except Exception as exc:  # any file at all may be given: an unreadable one is answered
        answer["problem"] = f"not a readable PDF: {type(exc).__name__}: {exc}"[:500]
        answer["signature_valid"] = False if pdf.startswith(b"%PDF") else None
        return answer
    if not signatures:
        return answer
    answer["signed"] = True
    signature = signatures[-1]
    try:
        context = ValidationContext(trust_roots=roots or [], allow_fetching=False, moment=at)
        status = validate_pdf_signature(signature, context)
    except Exception as exc:  # any failure to validate is an invalid signature
        answer.update(signature_valid=False, problem=f"the signature cannot be validated: {exc}")
        return answer
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    trusted = bool(status.trusted) if roots else None
    answer.update(
        intact=bool(status.intact),
        trusted=trusted,
        covers_whole_file=whole,
        signer=status.signing_cert.subject.human_friendly if status.signing_cert else None,
        signed_at=status.signer_reported_dt.isoformat() if status.signer_reported_dt else None,
        signature_valid=bool(status.intact and status.valid and whole and trusted is not False),
    )
    if not answer["signature_valid"]:
        answer["problem"] = (
            "the signed content was changed" if not status.intact
            else "content was added after signing" if not whole
            else "the signer's certificate is not trusted" if trusted is False
            else "the signature is not valid"
        )  # fmt: skip
    return answer
