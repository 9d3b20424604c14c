"""Bad input to ``lantern backup`` gets a clear message and changes nothing: a corrupt, truncated
or altered archive, a restore into a non-empty database or uploads folder or another kind of
database, and keys that cannot be read, were left out, or are not the backup's."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from tests.ops.backup_support import Office, dispose, empty_postgres, fill, lookup, records
from tests.support import require

__all__ = ["empty_postgres"]  # the fixture, imported for pytest

KEYS = ("secret_key", "access_code_key", "pseudonym_key")


def sqlite_office(template: Path, folder: Path, **settings: str | None) -> Office:
    """An office on a copy of the migrated SQLite template."""
    folder.mkdir(parents=True)
    shutil.copyfile(template, folder / "lantern.sqlite3")
    return Office(folder, f"sqlite:///{folder / 'lantern.sqlite3'}", dict(settings))


def back_up(office: Office, out: Path, *flags: str) -> Path:
    made = office.lantern("backup", "create", "--out", str(out), *flags)
    assert made.exit_code == 0, made.output
    (archive,) = out.glob("*.tar")
    return archive


def untouched(office: Office) -> None:
    """Nothing of the instance exists: no database file, no uploads, no key."""
    assert not (office.folder / "lantern.sqlite3").exists()
    assert not office.uploads.exists()
    for name in KEYS:
        assert not (office.instance / name).exists()


@pytest.fixture
def filled_archive(sqlite_template: Path, tmp_path: Path) -> tuple[Office, Path]:
    office = sqlite_office(sqlite_template, tmp_path / "office")
    fill(office)
    return office, back_up(office, tmp_path / "backups")


def test_a_truncated_or_foreign_file_is_refused_before_anything_changes(
    filled_archive: tuple[Office, Path], tmp_path: Path
) -> None:
    _office, archive = filled_archive
    fresh = Office(tmp_path / "fresh", f"sqlite:///{tmp_path / 'fresh' / 'lantern.sqlite3'}")
    truncated = tmp_path / "truncated.tar"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    foreign = tmp_path / "photos.tar"
    foreign.write_bytes(b"this is not a tar file at all\n" * 100)
    for bad in (truncated, foreign):
        for command in ("verify", "restore"):
            result = fresh.lantern("backup", command, str(bad))
            assert result.exit_code == 1
            assert f"{bad} is not a usable Lantern backup" in result.output
            assert "Nothing was changed" in result.output
    untouched(fresh)


def _flip_byte_of(archive: Path, member: str) -> None:
    with tarfile.open(archive) as tar:
        offset = tar.getmember(member).offset_data
    with archive.open("r+b") as handle:
        handle.seek(offset + 5)
        byte = handle.read(1)
        handle.seek(offset + 5)
        handle.write(bytes([byte[0] ^ 0xFF]))


def test_a_changed_evidence_file_or_manifest_is_caught(
    filled_archive: tuple[Office, Path], tmp_path: Path
) -> None:
    office, archive = filled_archive
    fresh = Office(tmp_path / "fresh", f"sqlite:///{tmp_path / 'fresh' / 'lantern.sqlite3'}")
    evidence = next(iter(records(office.database_url).attachments))
    changed = tmp_path / "changed.tar"
    shutil.copyfile(archive, changed)  # no .sha256 beside it: the member checksums catch it
    _flip_byte_of(changed, f"uploads/{evidence}")
    result = fresh.lantern("backup", "restore", str(changed))
    assert result.exit_code == 1
    assert f"uploads/{evidence} does not match its checksum" in result.output
    untouched(fresh)

    # A manifest edited in place (same length) is caught by the .sha256 kept beside it.
    with tarfile.open(archive) as tar:
        info = tar.getmember("manifest.json")
        manifest = tar.extractfile(info).read()  # type: ignore[union-attr]
    edited = manifest.replace(b'"complaints": 2', b'"complaints": 3')
    assert edited != manifest and len(edited) == len(manifest)
    data = bytearray(archive.read_bytes())
    data[info.offset_data : info.offset_data + len(manifest)] = edited
    archive.write_bytes(bytes(data))
    result = fresh.lantern("backup", "verify", str(archive))
    assert result.exit_code == 1
    assert f"its SHA-256 differs from the one recorded in {archive.name}.sha256" in result.output
    untouched(fresh)


def test_a_restore_into_a_database_that_is_not_empty_changes_nothing(
    database_url: str, tmp_path: Path
) -> None:
    office = Office(tmp_path / "office", database_url)
    fill(office)
    archive = back_up(office, tmp_path / "backups")
    before = records(database_url)
    files = sorted(p.name for p in office.uploads.iterdir())
    keys = {name: (office.instance / name).read_text() for name in KEYS}
    shutil.rmtree(office.uploads)  # even with the uploads gone, the database is not empty
    result = office.lantern("backup", "restore", str(archive))
    assert result.exit_code == 1
    assert "is not empty: a restore only goes into an empty database" in result.output
    assert "nothing was changed" in result.output
    assert records(database_url) == before  # no row added, not even an audit entry
    assert not office.uploads.exists()
    assert {name: (office.instance / name).read_text() for name in KEYS} == keys
    assert files  # (the files that were there)


def test_a_restore_into_a_folder_with_uploads_changes_nothing(
    filled_archive: tuple[Office, Path], tmp_path: Path
) -> None:
    _office, archive = filled_archive
    fresh = Office(tmp_path / "fresh", f"sqlite:///{tmp_path / 'fresh' / 'lantern.sqlite3'}")
    fresh.uploads.mkdir(parents=True)
    (fresh.uploads / ("0" * 32)).write_bytes(b"someone else's evidence")
    result = fresh.lantern("backup", "restore", str(archive))
    assert result.exit_code == 1
    assert f"the uploads folder {fresh.uploads} is not empty" in result.output
    assert sorted(p.name for p in fresh.uploads.iterdir()) == ["0" * 32]
    assert not (fresh.folder / "lantern.sqlite3").exists()
    assert not (fresh.instance / "access_code_key").exists()


def test_a_sqlite_backup_is_not_restored_into_postgresql(
    filled_archive: tuple[Office, Path], tmp_path: Path, empty_postgres: str
) -> None:
    _office, archive = filled_archive
    fresh = Office(tmp_path / "fresh", empty_postgres)
    result = fresh.lantern("backup", "restore", str(archive))
    assert result.exit_code == 1
    assert "holds a sqlite database and this instance uses postgresql" in result.output
    assert not fresh.instance.exists()


def test_the_backup_refuses_to_run_without_the_access_code_key(
    sqlite_template: Path, tmp_path: Path
) -> None:
    lost = tmp_path / "keys" / "access_code_key"
    office = sqlite_office(
        sqlite_template,
        tmp_path / "office",
        LANTERN_ACCESS_CODE_KEY_FILE=str(lost),
        LANTERN_SECRET_KEY="s" * 40,
    )
    result = office.lantern("backup", "create", "--out", str(tmp_path / "backups"))
    assert result.exit_code == 1
    assert f"the access-code key cannot be read from {lost}" in result.output
    assert "EVERY complainant's access code stops working" in result.output
    assert "--without-keys" in result.output
    assert not (tmp_path / "backups").exists()


def test_without_keys_warns_and_the_restore_insists_on_the_right_keys(
    sqlite_template: Path, tmp_path: Path
) -> None:
    office = sqlite_office(sqlite_template, tmp_path / "office")
    filled = fill(office)
    made = office.lantern("backup", "create", "--without-keys", "--out", str(tmp_path / "b"))
    assert made.exit_code == 0, made.output
    assert "WARNING: this backup does NOT contain Lantern's keys" in made.output
    assert "EVERY complainant's access code stops working" in made.output
    (archive,) = (tmp_path / "b").glob("*.tar")
    with tarfile.open(archive) as tar:
        assert not [n for n in tar.getnames() if n.startswith("keys/")]
        manifest = json.load(io.BytesIO(tar.extractfile("manifest.json").read()))  # type: ignore[union-attr]
    assert all(k["fingerprint"] and not k["included"] for k in manifest["keys"])

    # The keys, kept apart.
    kept = tmp_path / "kept-keys"
    kept.mkdir()
    for name in KEYS:
        shutil.copyfile(office.instance / name, kept / name)
    target = tmp_path / "fresh" / "lantern.sqlite3"

    fresh = Office(tmp_path / "fresh", f"sqlite:///{target}")
    refused = fresh.lantern("backup", "restore", str(archive))
    assert refused.exit_code == 1
    assert "this backup was made without its keys, and the instance has no access-code key" in (
        refused.output
    )
    untouched(fresh)

    (tmp_path / "wrong").write_text("a-different-access-code-key-of-enough-length\n")
    settings = {f"LANTERN_{n.upper()}_FILE": str(kept / n) for n in KEYS}
    wrong = Office(fresh.folder, fresh.database_url, dict(settings))
    wrong.settings["LANTERN_ACCESS_CODE_KEY_FILE"] = str(tmp_path / "wrong")
    refused = wrong.lantern("backup", "restore", str(archive))
    assert refused.exit_code == 1
    assert "access-code key the instance reads" in refused.output
    assert "is not the one this backup was made with" in refused.output
    untouched(fresh)

    right = Office(fresh.folder, fresh.database_url, settings)
    restored = right.lantern("backup", "restore", str(archive))
    assert restored.exit_code == 0, restored.output
    in_place = f"{kept / 'access_code_key'} (LANTERN_ACCESS_CODE_KEY_FILE) is the backup's key"
    assert f"access-code key: {in_place}" in restored.output
    app = right.app()
    try:
        for filed in filled.filed:
            assert "Your complaint" in lookup(app.test_client(), filed)
    finally:
        dispose(app)


def test_accepting_lost_keys_restores_the_cases_but_voids_every_access_code(
    sqlite_template: Path, tmp_path: Path
) -> None:
    office = sqlite_office(sqlite_template, tmp_path / "office")
    filled = fill(office)
    archive = back_up(office, tmp_path / "b", "--without-keys")
    fresh = Office(tmp_path / "fresh", f"sqlite:///{tmp_path / 'fresh' / 'lantern.sqlite3'}")
    restored = fresh.lantern("backup", "restore", "--accept-lost-keys", str(archive))
    assert restored.exit_code == 0, restored.output
    assert "WARNING: access-code key: EVERY complainant's access code stops working" in (
        restored.output
    )
    assert records(fresh.database_url).complaints == records(office.database_url).complaints
    app = fresh.app()  # generates a new access-code key: the old codes open nothing
    try:
        page = lookup(app.test_client(), filled.filed[0])
        assert "We could not find a complaint" in page
    finally:
        dispose(app)


def test_keys_from_files_named_in_the_settings_go_back_to_those_files(
    sqlite_template: Path, tmp_path: Path
) -> None:
    keys = tmp_path / "etc-keys"
    keys.mkdir(mode=0o700)
    for name in KEYS:
        (keys / name).write_text(f"{name}-{'x' * 40}\n")
    settings = {f"LANTERN_{n.upper()}_FILE": str(keys / n) for n in KEYS}
    office = sqlite_office(sqlite_template, tmp_path / "office", **settings)
    archive = back_up(office, tmp_path / "b")
    with tarfile.open(archive) as tar:
        manifest = json.load(io.BytesIO(tar.extractfile("manifest.json").read()))  # type: ignore[union-attr]
    assert [(k["source"], k["path"]) for k in manifest["keys"]] == [
        ("file", str(keys / n)) for n in KEYS
    ]

    restored_keys = tmp_path / "new-server" / "keys"  # named in the settings, not there yet
    new_settings = {f"LANTERN_{n.upper()}_FILE": str(restored_keys / n) for n in KEYS}
    fresh = Office(
        tmp_path / "fresh", f"sqlite:///{tmp_path / 'fresh' / 'x.sqlite3'}", new_settings
    )
    restored = fresh.lantern("backup", "restore", str(archive))
    assert restored.exit_code == 0, restored.output
    for name in KEYS:
        assert (restored_keys / name).read_text() == (keys / name).read_text()
        assert (restored_keys / name).stat().st_mode & 0o777 == 0o600
        assert f"written to {restored_keys / name}" in restored.output
        assert (keys / name).read_text().strip() not in restored.output


def test_in_production_the_restore_asks_for_the_key_files_the_portal_reads(
    sqlite_template: Path, tmp_path: Path
) -> None:
    keys = tmp_path / "etc-keys"
    keys.mkdir(mode=0o700)
    for name in KEYS:
        (keys / name).write_text(f"{name}-{'x' * 40}\n")
    settings = {f"LANTERN_{n.upper()}_FILE": str(keys / n) for n in KEYS}
    office = sqlite_office(sqlite_template, tmp_path / "office", **settings)
    archive = back_up(office, tmp_path / "b")
    # A new server in production mode whose settings do not name the key files yet: the portal
    # would not read keys from the instance folder, so writing them there would help nobody.
    fresh = Office(
        tmp_path / "fresh",
        f"sqlite:///{tmp_path / 'fresh' / 'lantern.sqlite3'}",
        {"LANTERN_ENV": "production"},
    )
    refused = fresh.lantern("backup", "restore", str(archive))
    assert refused.exit_code == 1
    assert "in production the portal reads the access-code key from " in refused.output
    assert "LANTERN_ACCESS_CODE_KEY_FILE, which is not set" in refused.output
    untouched(fresh)


def test_a_disk_that_fills_up_leaves_no_partial_archive(
    sqlite_template: Path, tmp_path: Path
) -> None:
    require(os.geteuid() == 0, "mounting a small tmpfs needs root")
    office = sqlite_office(sqlite_template, tmp_path / "office")
    fill(office)
    small = tmp_path / "small"
    small.mkdir()
    database_size = (tmp_path / "office" / "lantern.sqlite3").stat().st_size
    # Room for the database snapshot, not for the archive that also holds it.
    size_kb = database_size * 3 // 2 // 1024
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(small)],
        capture_output=True,
        text=True,
        check=False,
    )
    require(mounted.returncode == 0, f"cannot mount a tmpfs: {mounted.stderr.strip()}")
    try:
        result = office.lantern("backup", "create", "--out", str(small / "backups"))
        assert result.exit_code == 1
        assert f"writing the backup into {small / 'backups'} failed (No space left" in (
            result.output
        )
        assert "nothing was kept" in result.output
        assert list((small / "backups").iterdir()) == []  # no partial file, no staging copy
    finally:
        subprocess.run(["umount", str(small)], check=True)
