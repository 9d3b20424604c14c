"""Evidence storage: type from content, limits, sha256, random names, cleanup."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import stat
import zipfile
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from portal.models import Complaint
from portal.services import evidence
from portal.services.evidence import EvidenceRejected, StoredFile, store_upload
from portal.vocabulary import Channel

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(300)
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01" + bytes(100)


def _zip(entries: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, body in entries.items():
            archive.writestr(name, body)
    return buffer.getvalue()


def store(data: bytes, name: str, folder: Path, **limits: int) -> StoredFile:
    limits.setdefault("max_file_bytes", 10_000)
    return store_upload(io.BytesIO(data), name, folder, **limits)


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (PDF, "application/pdf"),
        (b"GIF89a" + bytes(50), "image/gif"),
        (b"ID3\x03\x00" + bytes(100), "audio/mpeg"),
        (b"\x00\x00\x00\x18ftypmp42" + bytes(100), "video/mp4"),
        (b"\x00\x00\x00\x14ftypqt  " + bytes(100), "video/quicktime"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt " + bytes(100), "audio/wav"),
        (OLE + bytes(600) + "WordDocument".encode("utf-16-le") + bytes(50), "application/msword"),
        (OLE + bytes(600) + "Workbook".encode("utf-16-le") + bytes(50), "application/vnd.ms-excel"),
        (
            _zip({"[Content_Types].xml": "x", "word/document.xml": "x"}),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            _zip({"[Content_Types].xml": "x", "xl/workbook.xml": "x"}),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (
            _zip({"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": "x"}),
            "application/vnd.oasis.opendocument.text",
        ),
        ("He said: «stop». مرحبا 你好 😀\r\n".encode(), "text/plain"),
        (b"#!AMR\n" + bytes(100), "audio/amr"),
        (b"\xff\xf1\x50\x80" + bytes(100), "audio/aac"),
        (b"fLaC" + bytes(100), "audio/flac"),
        (b"\x00\x00\x00\x18ftypM4A " + bytes(100), "audio/mp4"),
        (b"\x00\x00\x00\x18ftypheic" + bytes(100), "image/heif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 " + bytes(100), "image/webp"),
        (b"II*\x00" + bytes(100), "image/tiff"),
        (b"RIFF\x00\x00\x00\x00AVI LIST" + bytes(100), "video/x-msvideo"),
        (b"\x00\x00\x01\xba" + bytes(100), "video/mpeg"),
        (b"{\\rtf1\\ansi x}", "application/rtf"),
    ],
)
def test_allowed_types_are_recognised_from_content(
    tmp_path: Path, data: bytes, expected: str
) -> None:
    stored = store(data, "whatever.bin", tmp_path)
    assert stored.content_type == expected
    assert (tmp_path / stored.stored_name).read_bytes() == data


def test_a_pdf_name_with_png_content_is_stored_as_png(tmp_path: Path) -> None:
    stored = store(PNG, "receipt.pdf", tmp_path)
    assert stored.content_type == "image/png"
    assert stored.original_name == "receipt.pdf"


@pytest.mark.parametrize(
    "data",
    [
        EXE,
        b"\x7fELF\x02\x01\x01" + bytes(100),
        b"<html><body><script>alert(1)</script></body></html>",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        _zip({"readme.txt": "just a zip"}),
        OLE + bytes(600),  # a compound file that is no Office document (an installer, say)
        b"caf\xe9 au lait",  # Latin-1, not UTF-8: not plain text we can show
        b"binary\x00\x01\x02 data",
    ],
    ids=["exe", "elf", "html", "svg", "zip", "ole", "latin1", "binary"],
)
def test_content_not_on_the_allow_list_is_refused_naming_the_file(
    tmp_path: Path, data: bytes
) -> None:
    with pytest.raises(EvidenceRejected) as caught:
        store(data, "statement.pdf", tmp_path)
    assert caught.value.filename == "statement.pdf"
    assert caught.value.reason == "type"
    assert files_in(tmp_path) == []  # nothing left behind, not even the partial file


def test_the_exception_text_never_carries_the_file_name(tmp_path: Path) -> None:
    with pytest.raises(EvidenceRejected) as caught:
        store(EXE, "Maria Lopez medical record.pdf", tmp_path)
    assert "Maria" not in str(caught.value)


def test_empty_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(EvidenceRejected) as caught:
        store(b"", "empty.jpg", tmp_path)
    assert (caught.value.filename, caught.value.reason) == ("empty.jpg", "empty")
    assert files_in(tmp_path) == []


def test_file_over_the_per_file_limit_is_refused_while_streaming(tmp_path: Path) -> None:
    class Endless(io.RawIOBase):
        reads = 0

        def readable(self) -> bool:
            return True

        def read(self, size: int = -1) -> bytes:
            self.reads += 1
            return b"a" * evidence.CHUNK

    stream = Endless()
    with pytest.raises(EvidenceRejected) as caught:
        store_upload(stream, "video.mp4", tmp_path, max_file_bytes=3 * evidence.CHUNK)  # type: ignore[arg-type]
    assert caught.value.reason == "too_large"
    assert caught.value.limit_bytes == 3 * evidence.CHUNK
    assert stream.reads == 4  # stopped at the first chunk past the limit
    assert files_in(tmp_path) == []


def test_exactly_the_limit_is_accepted(tmp_path: Path) -> None:
    data = PNG + bytes(1000 - len(PNG))
    assert store(data, "a.png", tmp_path, max_file_bytes=1000).size_bytes == 1000
    with pytest.raises(EvidenceRejected):
        store(data + b"x", "a.png", tmp_path, max_file_bytes=1000)


def test_what_is_left_of_the_complaint_limit_applies(tmp_path: Path) -> None:
    with pytest.raises(EvidenceRejected) as caught:
        store(PNG, "third.png", tmp_path, max_file_bytes=10_000, remaining_total_bytes=100)
    assert (caught.value.reason, caught.value.limit_bytes) == ("total_too_large", 100)
    stored = store(PNG, "third.png", tmp_path, max_file_bytes=10_000, remaining_total_bytes=5_000)
    assert stored.size_bytes == len(PNG)


def test_sha256_size_random_name_and_private_mode(tmp_path: Path) -> None:
    first = store(PDF, "a.pdf", tmp_path)
    second = store(PDF, "a.pdf", tmp_path)
    assert first.sha256 == hashlib.sha256(PDF).hexdigest() == second.sha256
    assert first.size_bytes == len(PDF)
    assert first.stored_name != second.stored_name
    assert len(first.stored_name) == 32 and "a.pdf" not in first.stored_name
    mode = stat.S_IMODE(os.stat(tmp_path / first.stored_name).st_mode)
    assert mode == 0o600


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("C:\\fakepath\\photo.jpg", "photo.jpg"),
        ("../../etc/passwd", "passwd"),
        ("bad\x00name\x1b.png", "badname.png"),
        ("", "file"),
        (None, "file"),
        ("صورة 照片 📷.jpg", "صورة 照片 📷.jpg"),
    ],
)
def test_file_names_are_cleaned_for_display(given: str | None, kept: str) -> None:
    assert evidence.clean_filename(given) == kept


def test_evidence_path_refuses_anything_but_a_stored_name(tmp_path: Path) -> None:
    for bad in ["../secret", "abc", "A" * 32, "0" * 31 + "/"]:
        with pytest.raises(ValueError):
            evidence.evidence_path(tmp_path, bad)
    assert evidence.evidence_path(tmp_path, "0" * 32) == tmp_path / ("0" * 32)


def test_removed_on_failure_deletes_the_files_and_reraises(tmp_path: Path) -> None:
    stored = store(PNG, "a.png", tmp_path)
    with pytest.raises(RuntimeError), evidence.removed_on_failure(tmp_path, [stored]):
        raise RuntimeError("the transaction failed")
    assert files_in(tmp_path) == []
    kept = store(PNG, "b.png", tmp_path)
    with evidence.removed_on_failure(tmp_path, [kept]):
        pass
    assert files_in(tmp_path) == [kept.stored_name]


def _complaint(db: Session, reference: str) -> Complaint:
    complaint = Complaint(
        reference=reference,
        channel=Channel.ONLINE,
        received_at=NOW,
        created_at=NOW,
        updated_at=NOW,
    )
    db.add(complaint)
    db.flush()
    return complaint


def test_attach_records_evidence_and_counts_bytes(db: Session, tmp_path: Path) -> None:
    tmp_path = tmp_path / "uploads"
    complaint = _complaint(db, "LNT-TEST-0001")
    files = [store(PNG, "a.png", tmp_path), store(PDF, "b.pdf", tmp_path)]
    evidence.attach(db, complaint, files, now=NOW, uploaded_by=None)
    db.commit()
    rows = {a.original_name: a for a in complaint.attachments}
    assert rows["a.png"].sha256 == hashlib.sha256(PNG).hexdigest()
    assert rows["b.pdf"].content_type == "application/pdf"
    assert rows["a.png"].uploaded_by_id is None
    assert evidence.total_attached_bytes(db, complaint.id) == len(PNG) + len(PDF)
    assert evidence.attached_names(db, [f.stored_name for f in files] + ["0" * 32]) == {
        f.stored_name for f in files
    }


def test_sweep_removes_only_old_unattached_files(db: Session, tmp_path: Path) -> None:
    tmp_path = tmp_path / "uploads"  # the SQLite test database lives in tmp_path itself
    complaint = _complaint(db, "LNT-TEST-0002")
    attached = store(PNG, "kept.png", tmp_path)
    abandoned = store(PNG, "abandoned.png", tmp_path)
    evidence.attach(db, complaint, [attached], now=NOW, uploaded_by=None)
    db.commit()
    (tmp_path / "notes.txt").write_text("not ours")  # not a stored name: left alone
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    for path in tmp_path.iterdir():
        os.utime(path, (old.timestamp(), old.timestamp()))
    fresh = store(PNG, "fresh.png", tmp_path)
    removed = evidence.sweep_orphans(
        db, tmp_path, older_than=dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    )
    assert removed == 1
    assert files_in(tmp_path) == sorted([attached.stored_name, fresh.stored_name, "notes.txt"])
    assert not (tmp_path / abandoned.stored_name).exists()


def test_lantern_uploads_sweep(database_url: str, db: Session, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from portal.cli import main

    instance = tmp_path / "instance"
    uploads = instance / "uploads"
    complaint = _complaint(db, "LNT-TEST-0003")
    attached = store(PNG, "kept.png", uploads)
    abandoned = store(PNG, "abandoned.png", uploads)
    evidence.attach(db, complaint, [attached], now=NOW, uploaded_by=None)
    db.commit()
    old = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=30)).timestamp()
    for path in uploads.iterdir():
        os.utime(path, (old, old))
    env = {
        "LANTERN_DATABASE_URL": database_url,
        "LANTERN_INSTANCE_PATH": str(instance),
        "LANTERN_SECRET_KEY": "test",
        "LANTERN_ACCESS_CODE_KEY": "test",
    }
    kept_young = CliRunner().invoke(main, ["uploads", "sweep", "--older-than-hours", "48"], env=env)
    assert kept_young.exit_code == 0, kept_young.output
    assert "removed 0 unattached file(s)" in kept_young.output
    result = CliRunner().invoke(main, ["uploads", "sweep"], env=env)
    assert result.exit_code == 0, result.output
    assert "removed 1 unattached file(s)" in result.output
    assert files_in(uploads) == [attached.stored_name]
    assert not (uploads / abandoned.stored_name).exists()
