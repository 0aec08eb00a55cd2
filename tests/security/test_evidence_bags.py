"""Attacks on evidence bags: a changed, missing or added file, a doctored custody log, path
traversal, absolute paths, symbolic links, zip bombs (ratio, entry count, total size, lying
headers, overlapping entries). Each is refused with the file named, nothing is unpacked
outside the staging directory, and over the exchange nothing is stored."""

from __future__ import annotations

import json
import os
import stat
import struct
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from judicare.cli import app as cli
from judicare.evidence import archives, bags, custody
from judicare.evidence.custody import EventKind, NewEvent
from judicare.evidence.digests import of_chunks

AT = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
runner = CliRunner()


def _item(uid: str, content: bytes, name: str) -> bags.PackedItem:
    events: list[custody.CustodyEvent] = []
    for kind in (EventKind.COLLECTED, EventKind.SEALED):
        events.append(custody.follow(events, uid, NewEvent(kind, "anna", AT, "Brussels", "t")))
    d = of_chunks([content])
    return bags.PackedItem(uid=uid, kind="original", derived_from=None, description=name,
                           filename=name, media_type="image/jpeg", size=d.size,
                           sha256=d.sha256, sha512=d.sha512, events=events,
                           chunks=lambda: [content])  # fmt: skip


def _bag(tmp_path: Path) -> Path:
    items = [_item("u-1", b"photo one", "one.jpg"), _item("u-2", b"photo two", "two.jpg")]
    return bags.build(tmp_path / "bag", items, reference="BE-2026-1", organisation="BEL-CA",
                      at=AT)  # fmt: skip


def _files(report: bags.Report) -> list[str]:
    return [e.file for e in report.errors]


def test_a_sound_bag_is_valid(tmp_path):
    report = bags.verify(_bag(tmp_path))
    assert report.valid and report.errors == []
    assert report.info["External-Identifier"] == "BE-2026-1"


def test_a_one_byte_change_of_the_same_size_is_found_and_named(tmp_path):
    bag = _bag(tmp_path)
    (bag / "data" / "002-two.jpg").write_bytes(b"photo twO")
    report = bags.verify(bag)
    assert not report.valid and _files(report) == ["data/002-two.jpg"]
    assert report.errors[0].problem.startswith("changed")


def test_a_change_of_size_is_named_too_not_only_counted(tmp_path):
    """bagit's count check (Payload-Oxum) fails first and names no file: the file is named."""
    bag = _bag(tmp_path)
    (bag / "data" / "001-one.jpg").write_bytes(b"photo one, longer")
    report = bags.verify(bag)
    assert _files(report) == ["data/001-one.jpg"] and "changed" in report.errors[0].problem


def test_a_missing_and_an_added_file_are_named(tmp_path):
    bag = _bag(tmp_path)
    (bag / "data" / "001-one.jpg").unlink()
    (bag / "data" / "extra.jpg").write_bytes(b"planted")
    report = bags.verify(bag)
    problems = {e.file: e.problem.split(":")[0] for e in report.errors}
    assert problems == {"data/001-one.jpg": "missing", "data/extra.jpg": "added"}


def test_a_doctored_custody_log_is_found_by_the_tag_manifests(tmp_path):
    bag = _bag(tmp_path)
    log_path = bag / bags.CUSTODY_LOG
    log = json.loads(log_path.read_text())
    log["items"][0]["events"][0]["actor"] = "someone else"
    log_path.write_text(json.dumps(log))
    report = bags.verify(bag)
    assert not report.valid and bags.CUSTODY_LOG in _files(report)


def test_a_custody_log_rewritten_with_new_tag_manifests_still_breaks_the_chain(tmp_path):
    """Even an attacker who recomputes the tag manifests cannot hide an altered event: the
    event's own hash no longer matches (the audit chain's check)."""
    bag = _bag(tmp_path)
    log_path = bag / bags.CUSTODY_LOG
    log = json.loads(log_path.read_text())
    log["items"][1]["events"][0]["where"] = "x"
    log["items"][1]["events"][0]["details"]["where"] = "Elsewhere"
    log_path.write_text(json.dumps(log))
    import bagit

    bagit.Bag(str(bag)).save(manifests=False)  # recompute the tag manifests
    report = bags.verify(bag)
    assert _files(report) == ["data/002-two.jpg"]
    assert "custody log" in report.errors[0].problem and "altered" in report.errors[0].problem


def test_a_symbolic_link_in_a_bag_directory_is_refused(tmp_path):
    bag = _bag(tmp_path)
    secret = tmp_path / "secret.txt"
    secret.write_text("not evidence")
    (bag / "data" / "001-one.jpg").unlink()
    os.symlink(secret, bag / "data" / "001-one.jpg")
    report = bags.verify(bag)
    assert _files(report) == ["data/001-one.jpg"] and "symbolic link" in report.errors[0].problem


def test_remote_payload_files_are_not_fetched(tmp_path):
    bag = _bag(tmp_path)
    (bag / "fetch.txt").write_text("http://127.0.0.1:9/x 10 data/x\n")
    report = bags.verify(bag)
    assert _files(report) == ["fetch.txt"]


# --- hostile archives ------------------------------------------------------------------------


def _zip(path: Path, entries: list, **kw) -> Path:
    with zipfile.ZipFile(path, "w", compression=kw.get("compression", zipfile.ZIP_STORED)) as z:
        for name, data in entries:  # a name or a ZipInfo
            z.writestr(name, data)
    return path


def _refused(archive: Path, target: Path, limits=archives.Limits()) -> list[bags.BagProblem]:
    target.mkdir(exist_ok=True)
    with pytest.raises(bags.BagRefused) as refused:
        archives.unpack(archive, target, limits)
    assert list(target.rglob("*")) == []  # nothing unpacked
    return refused.value.problems


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("../../outside.txt", "path traversal"),
        ("data/../../outside.txt", "path traversal"),
        ("/etc/evidence.txt", "absolute path"),
        ("C:/evidence.txt", "absolute path"),
        ("data\\..\\..\\x.txt", "backslash"),
    ],
)
def test_paths_out_of_the_bag_are_refused(tmp_path, name, words):
    archive = _zip(tmp_path / "a.zip", [("bagit.txt", b"x"), (name, b"payload")])
    problems = _refused(archive, tmp_path / "out")
    assert [(p.file, words in p.problem) for p in problems] == [(name, True)]
    assert not (tmp_path.parent / "outside.txt").exists()


def test_a_symbolic_link_entry_is_refused(tmp_path):
    link = zipfile.ZipInfo("data/link.jpg")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    archive = _zip(tmp_path / "a.zip", [(link, b"/etc/passwd")])
    problems = _refused(archive, tmp_path / "out")
    assert problems[0].file == "data/link.jpg" and "symbolic link" in problems[0].problem


def test_a_high_ratio_entry_is_refused_before_unpacking(tmp_path):
    archive = _zip(tmp_path / "bomb.zip", [("data/zeros.bin", bytes(20 << 20))],
                   compression=zipfile.ZIP_DEFLATED)  # fmt: skip
    problems = _refused(archive, tmp_path / "out")
    assert problems[0].file == "data/zeros.bin" and "zip bomb" in problems[0].problem


def test_too_many_entries_are_refused(tmp_path):
    archive = _zip(tmp_path / "many.zip", [(f"data/{n}.txt", b"x") for n in range(60)])
    problems = _refused(archive, tmp_path / "out", archives.Limits(max_entries=50))
    assert problems[0].file == "archive" and "60 entries" in problems[0].problem


def test_a_declared_total_over_the_limit_is_refused(tmp_path):
    archive = _zip(tmp_path / "big.zip", [("data/a.bin", os.urandom(4000))])
    problems = _refused(archive, tmp_path / "out", archives.Limits(max_total=1000))
    assert problems[0].file == "archive" and "1000" in problems[0].problem


def test_headers_that_understate_the_size_do_not_get_past_the_limit(tmp_path):
    """The central directory says 10 bytes; the entry holds 5,000. Unpacking stops at the
    real bytes, never writing past the declared size (or the archive is refused)."""
    archive = _zip(tmp_path / "liar.zip", [("data/a.bin", os.urandom(5000))])
    raw = bytearray(archive.read_bytes())
    central = raw.rfind(b"PK\x01\x02")
    raw[central + 24 : central + 28] = struct.pack("<I", 10)  # uncompressed size
    local = raw.find(b"PK\x03\x04")
    raw[local + 22 : local + 26] = struct.pack("<I", 10)
    archive.write_bytes(bytes(raw))
    target = tmp_path / "out"
    target.mkdir()
    with pytest.raises(bags.BagRefused):
        archives.unpack(archive, target, archives.Limits(max_total=100))
    written = sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
    assert written <= 100


def test_overlapping_entries_are_refused(tmp_path):
    """The Fifield construction: two central-directory entries pointing at the same bytes."""
    archive = _zip(tmp_path / "overlap.zip", [("data/a.bin", b"A" * 2000), ("data/b.bin", b"B")])
    raw = bytearray(archive.read_bytes())
    first = raw.find(b"PK\x01\x02")
    second = raw.find(b"PK\x01\x02", first + 4)
    offset = struct.unpack("<I", raw[first + 42 : first + 46])[0]
    raw[second + 42 : second + 46] = struct.pack("<I", offset + 10)  # b starts inside a
    archive.write_bytes(bytes(raw))
    problems = _refused(archive, tmp_path / "out")
    assert problems[0].file in ("data/a.bin", "data/b.bin")
    assert "overlapping" in problems[0].problem or "shares" in problems[0].problem


def test_the_cli_names_the_changed_file_and_exits_non_zero(tmp_path):
    bag = _bag(tmp_path)
    ok = runner.invoke(cli, ["evidence", "verify", str(bag), "--json"])
    assert ok.exit_code == 0 and json.loads(ok.stdout) == {
        **json.loads(ok.stdout),
        "valid": True,
        "errors": [],
    }
    (bag / "data" / "001-one.jpg").write_bytes(b"photo ONE")
    bad = runner.invoke(cli, ["evidence", "verify", str(bag), "--json"])
    assert bad.exit_code == 1
    result = json.loads(bad.stdout)
    assert result["valid"] is False
    assert result["errors"][0]["file"] == "data/001-one.jpg"
    assert result["errors"][0]["problem"].startswith("changed")


def test_the_cli_refuses_a_hostile_archive(tmp_path):
    archive = _zip(tmp_path / "a.zip", [("../escape.txt", b"x")])
    result = runner.invoke(cli, ["evidence", "verify", str(archive), "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["errors"][0]["file"] == "../escape.txt"
    assert not (tmp_path / "escape.txt").exists()


# --- over the exchange -----------------------------------------------------------------------


def test_a_traversal_archive_sent_as_a_bag_is_refused_and_nothing_stored(pair, tmp_path):
    from judicare.evidence.models import EvidenceItemRow
    from judicare.exchange.correspondence import send_answer
    from judicare.exchange.models import InboxRow, OutboxRow
    from judicare.requests.models import DocumentRow
    from tests.integration.exchange_nodes import _count, _deliver, _officer, _outgoing, _send

    a, b, transport = pair
    who_a, who_b = _officer(a), _officer(b)
    message = _send(a, who_a, _outgoing(a, who_a), "NLD-CA")
    _deliver(a, transport)
    with b.app.unit_of_work() as uow:
        incoming = uow.session.get(InboxRow, message).request_id
        hostile = _zip(tmp_path / "h.zip", [("bagit.txt", b"x"), ("../../evil.txt", b"x")])
        key, size, sha = b.app.file_store.put([hostile.read_bytes()], 10_000_000)
        document = DocumentRow(request_id=incoming, filename="evidence.bag.zip",
                               media_type=archives.BAG_MEDIA_TYPE, size=size, sha256=sha,
                               storage_key=key, uploaded_by=who_b.user_id)  # fmt: skip
        uow.session.add(document)
        uow.session.flush()
        send_answer(uow.session, b.node, who_b, incoming, "Evidence.",
                    document_ids=(document.id,), now=b.clock[0], why="t")  # fmt: skip
        uow.commit()
    documents_before = _count(a, DocumentRow)
    _deliver(b, transport)
    with b.app.unit_of_work() as uow:
        answer = uow.session.scalar(
            select(OutboxRow).where(OutboxRow.message_type.like("answer/%"))
        )
        assert answer.status == "dead" and "../../evil.txt" in answer.last_error
    assert _count(a, EvidenceItemRow) == 0 and _count(a, DocumentRow) == documents_before
