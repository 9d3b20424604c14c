"""``lantern backup create`` → wipe → ``lantern backup restore`` on both databases: every
complaint, evidence file (SHA-256), access code, audit entry, key and staff sign-in works again."""

from __future__ import annotations

import json
import os
import shutil
import stat
import tarfile
import time
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from portal.migrate import upgrade
from portal.services.backup_restore import known_revisions
from tests.ops.backup_support import (
    Office,
    dispose,
    empty_postgres,
    fill,
    lookup,
    records,
    sha256,
    sign_in,
)

__all__ = ["empty_postgres"]  # the fixture, imported for pytest


def wipe(office: Office) -> None:
    """Lose the instance: its folder (keys, uploads) and, for SQLite, the database file."""
    shutil.rmtree(office.instance)
    url = make_url(office.database_url)
    if url.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{url.database}{suffix}").unlink(missing_ok=True)


def the_archive(folder: Path) -> Path:
    (archive,) = sorted(folder.glob("lantern-backup-*.tar"))
    return archive


def test_back_up_wipe_restore_and_everything_works_again(
    database_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    office = Office(tmp_path / "office", database_url)
    office.folder.mkdir()
    filled = fill(office)
    before = records(database_url)
    keys_before = {
        name: (office.instance / name).read_text() for name in ("secret_key", "access_code_key")
    }
    pseudonym_before = office.pseudonym_key()
    assert len(before.attachments) == 3 and len(before.complaints) == 2
    assert {"login", "complaint.view"} <= {action for _, action, _, _ in before.audit}

    made = office.lantern("backup", "create", "--out", str(tmp_path / "backups"))
    assert made.exit_code == 0, made.output
    archive = the_archive(tmp_path / "backups")
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    assert "2 complaint(s), 3 evidence file(s)" in made.output
    assert "keys in the archive: secret_key, access_code_key, pseudonym_key" in made.output
    for value in [*keys_before.values(), pseudonym_before.decode()]:
        assert value.strip() not in made.output  # a key is never printed
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
        names = tar.getnames()
    assert manifest["database"]["kind"] == make_url(database_url).get_backend_name()
    assert manifest["database"]["revision"] == known_revisions()[1]
    assert manifest["counts"]["complaints"] == 2
    assert manifest["counts"]["audit_log"] == len(before.audit)
    assert {f"uploads/{n}" for n in before.attachments} <= set(names)
    assert names[-1] == "manifest.json" and set(names) - {"manifest.json"} == set(
        manifest["members"]
    )

    checked = office.lantern("backup", "verify", str(archive))
    assert checked.exit_code == 0, checked.output
    assert "a good Lantern backup" in checked.output
    assert "access-code key: in the archive; this instance's key is the same" in checked.output

    wipe(office)
    if make_url(database_url).get_backend_name() == "postgresql":
        office.database_url = request.getfixturevalue("empty_postgres")  # a new, empty database
    restored = office.lantern("backup", "restore", str(archive))
    assert restored.exit_code == 0, restored.output
    assert "verified: the row count of all" in restored.output
    assert "3 evidence file(s)" in restored.output
    assert f"access-code key: written to {office.instance / 'access_code_key'}" in restored.output

    # Keys back where the instance reads them, 0600.
    for name, value in keys_before.items():
        path = office.instance / name
        assert path.read_text() == value and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert office.pseudonym_key() == pseudonym_before

    # Every complaint, attachment and audit entry; the restore itself is audited last.
    after = records(office.database_url)
    assert after.complaints == before.complaints
    assert after.attachments == before.attachments
    for name, recorded in after.attachments.items():
        assert sha256((office.uploads / name).read_bytes()) == recorded
    assert after.audit[: len(before.audit)] == before.audit
    assert [action for _, action, _, _ in after.audit[len(before.audit) :]] == ["backup.restore"]

    app = office.app()
    try:
        public = app.test_client()
        for filed in filled.filed:  # the complainant's reference + access code open the case
            page = lookup(public, filed)
            assert "Your complaint" in page and filed.reference in page
        desk = app.test_client()
        assert sign_in(desk, office, filled.staff_email).location == "/staff/"  # password + TOTP
        case = desk.get("/staff/cases/1")
        assert case.status_code == 200
        downloads = set()
        for complaint_id, attachment_id in ((1, 1), (1, 2), (2, 3)):
            response = desk.get(f"/staff/cases/{complaint_id}/attachments/{attachment_id}")
            downloads.add(sha256(response.get_data()))
            response.close()  # send_file streams from an open file
            assert response.status_code == 200
        assert downloads == {sha256(content) for content in filled.evidence.values()}
    finally:
        dispose(app)


def test_an_older_backup_is_migrated_after_its_restore(
    sqlite_template: Path, tmp_path: Path
) -> None:
    old = tmp_path / "old.sqlite3"
    upgrade(f"sqlite:///{old}", "0005")
    office = Office(tmp_path / "office", f"sqlite:///{old}", {"LANTERN_SECRET_KEY": "s" * 40})
    office.folder.mkdir()
    office.settings |= {"LANTERN_ACCESS_CODE_KEY": "a" * 40}
    made = office.lantern("backup", "create", "--out", str(tmp_path / "backups"))
    assert made.exit_code == 0, made.output
    fresh = Office(tmp_path / "fresh", f"sqlite:///{tmp_path / 'fresh.sqlite3'}", office.settings)
    restored = fresh.lantern("backup", "restore", str(the_archive(tmp_path / "backups")))
    assert restored.exit_code == 0, restored.output
    head = known_revisions()[1]
    assert f"migrated from revision 0005 to {head}" in restored.output
    assert "secret key: the environment variable LANTERN_SECRET_KEY is the backup's key" in (
        restored.output
    )
    checked = fresh.lantern("doctor")
    assert f"migrated ({head}, the latest)" in checked.output


def test_keep_removes_only_older_archives(sqlite_template: Path, tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    shutil.copyfile(sqlite_template, database)
    office = Office(tmp_path, f"sqlite:///{database}")
    folder = tmp_path / "backups"
    folder.mkdir()
    for stamp in ("20250101T000000Z", "20250102T000000Z"):
        (folder / f"lantern-backup-{stamp}.tar").write_bytes(b"old")
        (folder / f"lantern-backup-{stamp}.tar.sha256").write_text("x\n")
    (folder / "notes.txt").write_text("not ours")
    # What a backup killed two days ago left, and one still running now.
    killed = folder / ".lantern-backup-k1ll3d"
    killed.mkdir()
    (killed / "lantern.sqlite3").write_bytes(b"half a copy")
    (folder / ".lantern-backup-20250101T000000Z.tar.partial").write_bytes(b"half")
    two_days_ago = time.time() - 2 * 86400
    for path in (killed, folder / ".lantern-backup-20250101T000000Z.tar.partial"):
        os.utime(path, (two_days_ago, two_days_ago))
    running = folder / ".lantern-backup-running"
    running.mkdir()
    made = office.lantern("backup", "create", "--without-keys", "--out", str(folder), "--keep", "2")
    assert made.exit_code == 0, made.output
    assert "removed the older backup lantern-backup-20250101T000000Z.tar" in made.output
    left = sorted(p.name for p in folder.iterdir())
    assert left[1:3] == [
        "lantern-backup-20250102T000000Z.tar",
        "lantern-backup-20250102T000000Z.tar.sha256",
    ]
    assert len(left) == 6 and "notes.txt" in left
    assert ".lantern-backup-running" in left  # a backup in progress is left alone


def test_a_missing_evidence_file_is_reported_and_no_older_backup_is_removed(
    sqlite_template: Path, tmp_path: Path
) -> None:
    database = tmp_path / "office" / "lantern.sqlite3"
    database.parent.mkdir()
    shutil.copyfile(sqlite_template, database)
    office = Office(tmp_path / "office", f"sqlite:///{database}")
    fill(office)
    lost = sorted(records(office.database_url).attachments)[0]
    (office.uploads / lost).unlink()
    folder = tmp_path / "backups"
    folder.mkdir()
    older = folder / "lantern-backup-20250101T000000Z.tar"
    older.write_bytes(b"the only copy of that file, perhaps")
    made = office.lantern("backup", "create", "--out", str(folder), "--keep", "1")
    assert made.exit_code == 1
    assert f"PROBLEM: evidence file {lost} is missing from {office.uploads}" in made.output
    assert "no older backup was removed" in made.output
    assert older.exists()
    (archive,) = set(folder.glob("lantern-backup-*.tar")) - {older}
    checked = office.lantern("backup", "verify", str(archive))
    assert checked.exit_code == 0, checked.output
    assert f"reported when it was made: evidence file {lost} is missing" in checked.output
    fresh = Office(tmp_path / "fresh", f"sqlite:///{tmp_path / 'fresh' / 'lantern.sqlite3'}")
    restored = fresh.lantern("backup", "restore", str(archive))
    assert restored.exit_code == 0, restored.output
    assert "2 evidence file(s)" in restored.output.split("verified:")[1]
    assert f"WARNING: evidence file {lost} is missing" in restored.output
    assert records(fresh.database_url).attachments == records(office.database_url).attachments


def test_a_demo_office_whose_attachments_have_no_files_still_backs_up_and_restores(
    sqlite_template: Path, tmp_path: Path
) -> None:
    database = tmp_path / "demo.sqlite3"
    shutil.copyfile(sqlite_template, database)
    office = Office(tmp_path / "demo", f"sqlite:///{database}", {"LANTERN_SECRET_KEY": "s" * 40})
    office.settings["LANTERN_ACCESS_CODE_KEY"] = "a" * 40
    seeded = office.lantern("seed", "--cases", "60", "--no-progress")
    assert seeded.exit_code == 0, seeded.output
    rows = records(office.database_url).attachments
    assert len(rows) > 20  # the seed writes attachment rows without files behind them
    made = office.lantern("backup", "create", "--out", str(tmp_path / "b"))
    assert made.exit_code == 1
    assert f"… and {len(rows) - 20} more evidence files" in made.output
    archive = the_archive(tmp_path / "b")
    assert office.lantern("backup", "verify", str(archive)).exit_code == 0
    fresh = Office(tmp_path / "fresh", f"sqlite:///{tmp_path / 'fresh.sqlite3'}", office.settings)
    restored = fresh.lantern("backup", "restore", str(archive))
    assert restored.exit_code == 0, restored.output
    assert records(fresh.database_url).complaints == records(office.database_url).complaints
