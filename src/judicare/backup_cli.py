"""`judicare backup FILE` and `judicare restore FILE` (see `judicare.backup`).

Exit codes: 0 done (and, for a restore, the audit chain and every document verified);
1 the restore was written but its verification found problems (named), or a tool failed;
2 bad input (an existing FILE, a damaged archive, a non-empty target, conflicting keys):
nothing was written."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from judicare.backup import make_backup, restore_backup
from judicare.cli_support import (
    DbOption,
    JsonOption,
    command_app,
    err_console,
    out_console,
    print_json,
)

FileArgument = Annotated[Path, typer.Argument(help="The backup archive (a tar file).")]


def _progress(message: str) -> None:
    err_console.print(f"… {message}", markup=False, highlight=False)


def backup(file: FileArgument, db: DbOption = None, as_json: JsonOption = False) -> None:
    """Back up the database (SQLite online backup or pg_dump), the node's keys and audit
    checkpoints and the document store into FILE, with a manifest of SHA-256 sums."""
    with command_app(db) as app:
        manifest = make_backup(app, file, progress=_progress if not as_json else _silent)
    if as_json:
        print_json({"file": str(file), **manifest.to_json()})
        return
    total = sum(part.size for part in manifest.parts)
    out_console.print(
        f"Backup written to {file}: {len(manifest.parts)} parts, {total:,} bytes, "
        f"{manifest.audit_entries} audit entries (schema {manifest.schema_revision}).",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


def restore(file: FileArgument, db: DbOption = None, as_json: JsonOption = False) -> None:
    """Restore FILE into an empty database (--db), the file store and the key directory,
    then verify the audit chain and every document."""
    with command_app(db, prepare=False) as app:
        report = restore_backup(app, file, progress=_progress if not as_json else _silent)
    if as_json:
        print_json(
            {
                "file": str(file),
                "ok": report.ok,
                "backup_created_at": report.manifest.created_at,
                "audit": {
                    "entries": report.audit_entries,
                    "valid": report.audit_valid,
                    "checkpoints_matched": report.checkpoints_matched,
                    "problems": report.audit_problems,
                },
                "documents": {"count": report.documents, "missing": report.documents_missing},
                "restored_files": report.files,
                "restored_key_files": report.key_files,
            }
        )
    else:
        for problem in report.audit_problems:
            err_console.print(f"error: audit: {problem}", markup=False, highlight=False)
        for key in report.documents_missing:
            err_console.print(f"error: document {key} is missing or damaged", markup=False)
        out_console.print(
            f"Restored from {file} (made {report.manifest.created_at}): "
            f"{report.audit_entries} audit entries "
            f"({'chain intact' if report.audit_valid else 'PROBLEMS'}, "
            f"{report.checkpoints_matched} signed checkpoints matched), "
            f"{report.documents} documents ({len(report.documents_missing)} missing).",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    if not report.ok:
        raise typer.Exit(1)


def _silent(_message: str) -> None:
    return None
