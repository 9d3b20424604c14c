"""``lantern backup verify``: read a whole archive and check it against its manifest.

Nothing here writes outside the file a restore asks for (``extract_member``); a corrupt,
truncated or altered archive is refused with ``BackupError`` naming the first fault, before a
restore touches anything (see ``portal/services/backup.py`` for the archive's layout).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from portal.services import backup_keys
from portal.services.backup import (
    CHUNK,
    FORMAT,
    FORMAT_VERSION,
    KEYS,
    MANIFEST,
    POSTGRES_MEMBER,
    SQLITE_MEMBER,
    STORED_NAME,
    UPLOADS,
    BackupError,
    DatabaseKind,
    Hashing,
)

# --- reading and verifying an archive -------------------------------------------------------


@dataclass
class VerifiedArchive:
    """An archive whose every member matched its manifest."""

    path: Path
    manifest: dict[str, Any]
    sha256: str

    @property
    def kind(self) -> DatabaseKind:
        kind: DatabaseKind = self.manifest["database"]["kind"]
        return kind

    @property
    def revision(self) -> str:
        return str(self.manifest["database"]["revision"])

    def included_keys(self) -> list[str]:
        return [k["name"] for k in self.manifest["keys"] if k["included"]]


def _corrupt(path: Path, why: str) -> BackupError:
    return BackupError(
        f"{path} is not a usable Lantern backup: {why}. Nothing was changed; use another copy "
        "of the backup (e.g. the off-site one)."
    )


def _check_manifest(path: Path, data: bytes) -> dict[str, Any]:
    try:
        manifest = json.loads(data)
    except ValueError:
        raise _corrupt(path, "its manifest is not valid JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _corrupt(path, "it has no Lantern backup manifest")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"{path} is a Lantern backup of format {manifest.get('format_version')}; this "
            f"Lantern reads format {FORMAT_VERSION}: restore it with the Lantern that made it."
        )
    try:
        kind = manifest["database"]["kind"]
        members = manifest["members"]
        assert kind in ("sqlite", "postgresql") and isinstance(members, dict)
        assert manifest["database"]["member"] in members
        for name, entry in manifest["attachments"].items():
            assert isinstance(name, str) and isinstance(entry["sha256"], str)
        for key in manifest["keys"]:
            assert key["name"] in backup_keys.KEY_NAMES
        assert isinstance(manifest["evidence_missing"], list)
        assert isinstance(manifest["evidence_changed"], list)
        assert isinstance(manifest["counts"], dict)
    except (KeyError, TypeError, AssertionError):
        raise _corrupt(path, "its manifest is incomplete") from None
    return manifest


def _safe_member(info: tarfile.TarInfo) -> bool:
    name = info.name
    if not info.isfile() or name.startswith("/") or ".." in name.split("/"):
        return False
    if name in (MANIFEST, SQLITE_MEMBER, POSTGRES_MEMBER):
        return True
    folder, _, base = name.partition("/")
    if folder + "/" == UPLOADS:
        return bool(STORED_NAME.fullmatch(base))
    return folder + "/" == KEYS and base in backup_keys.KEY_NAMES


def verify_archive(path: Path) -> VerifiedArchive:
    """Read the whole archive and check every member against the manifest.

    Checks: a readable tar with only regular files of the expected names; a Lantern manifest of
    this format; every member listed with its SHA-256 and size, none missing, none extra; every
    attachment of the database present as an upload with the SHA-256 recorded when it was
    uploaded (or listed among the problems the backup reported); the ``.sha256`` file beside the
    archive, when there is one. Raises ``BackupError`` naming the first fault.
    """
    if not path.is_file():
        raise BackupError(f"{path} does not exist (or is not a file).")
    found: dict[str, dict[str, Any]] = {}
    manifest_data: bytes | None = None
    with path.open("rb") as raw:
        reader = Hashing(raw)
        try:
            with tarfile.open(fileobj=reader, mode="r|") as tar:
                for info in tar:
                    if not _safe_member(info):
                        raise _corrupt(path, f"it holds an unexpected entry {info.name!r}")
                    if info.name in found or (info.name == MANIFEST and manifest_data):
                        raise _corrupt(path, f"it holds {info.name} twice")
                    handle = tar.extractfile(info)
                    assert handle is not None
                    if info.name == MANIFEST:
                        manifest_data = handle.read()
                        continue
                    digest = hashlib.sha256()
                    while chunk := handle.read(CHUNK):
                        digest.update(chunk)
                    found[info.name] = {"sha256": digest.hexdigest(), "size": info.size}
            while reader.read(CHUNK):  # the padding after the end, for the whole-file hash
                pass
        except (tarfile.TarError, EOFError, OSError) as error:
            raise _corrupt(path, f"it cannot be read as a tar archive ({error})") from None
    if manifest_data is None:
        raise _corrupt(path, "it has no manifest.json")
    manifest = _check_manifest(path, manifest_data)
    expected: dict[str, dict[str, Any]] = manifest["members"]
    for name in sorted(set(expected) | set(found)):
        if name not in found:
            raise _corrupt(path, f"{name} is missing")
        if name not in expected:
            raise _corrupt(path, f"{name} is not in its manifest")
        if found[name] != {"sha256": expected[name]["sha256"], "size": expected[name]["size"]}:
            raise _corrupt(
                path, f"{name} does not match its checksum (the archive was damaged or changed)"
            )
    missing, changed = set(manifest["evidence_missing"]), set(manifest["evidence_changed"])
    for name, row in manifest["attachments"].items():
        member = found.get(UPLOADS + name)
        if member is None and name not in missing:
            raise _corrupt(path, f"the evidence file {name} of an attachment is missing")
        if member and member["sha256"] != row["sha256"] and name not in changed:
            raise _corrupt(path, f"the evidence file {name} does not match its recorded SHA-256")
    whole = reader.hexdigest()
    sidecar = path.with_name(path.name + ".sha256")
    if sidecar.is_file():
        recorded = sidecar.read_text(encoding="utf-8").split()[:1]
        if recorded != [whole]:
            raise _corrupt(path, f"its SHA-256 differs from the one recorded in {sidecar.name}")
    return VerifiedArchive(path, manifest, whole)


@contextlib.contextmanager
def opened(archive: VerifiedArchive) -> Iterator[tarfile.TarFile]:
    """The verified archive opened for reading members (random access)."""
    with tarfile.open(archive.path, mode="r:") as tar:
        yield tar


def extract_member(tar: tarfile.TarFile, name: str, destination: Path, sha256: str) -> None:
    """Copy member ``name`` to ``destination`` (created 0600, never overwriting), checking its
    SHA-256 again on the way (the archive could have changed since it was verified)."""
    handle = tar.extractfile(name)
    assert handle is not None
    descriptor = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    digest = hashlib.sha256()
    try:
        with os.fdopen(descriptor, "wb") as out:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != sha256:
            raise BackupError(f"{name} changed in the archive while it was being restored.")
    except BaseException:
        destination.unlink(missing_ok=True)
        raise
