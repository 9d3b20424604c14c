"""``lantern backup create`` / ``verify``: one consistent archive of a Lantern instance.

An archive is one uncompressed tar file (mode 0600: it holds personal data, and maybe the keys):

- ``database/lantern.sqlite3`` (SQLite's online backup API, a consistent copy while the portal
  runs) or ``database/lantern.pgdump`` (``pg_dump --format=custom`` in an exported snapshot);
- ``uploads/<stored name>``: the evidence file of every attachment row in that snapshot;
- ``keys/<name>``: the keys, unless left out with ``include_keys=False``;
- ``manifest.json`` (last): format, Lantern version, Alembic revision, database kind, creation
  time, row counts per table, every attachment's recorded SHA-256, where each key came from with
  its keyed fingerprint, and the SHA-256 and size of every member.

The archive is written to a hidden temporary file next to its final name and renamed when
complete, so a crash never leaves a half archive under a backup's name; a ``.sha256`` file
beside it (``sha256sum -c`` format) lets an off-site copy be checked without Lantern.

The database snapshot and the list of evidence files come from the same transaction, so files
uploaded during the backup are not half-included. The checksums catch corruption and accidental
change; they do not stop a deliberate forger who can rewrite the manifest too: keep archives
where only administrators write, and compare the ``.sha256`` kept off-site.

No Flask here: ``portal/backup_cli.py`` calls these functions; restoring is in
``portal/services/backup_restore.py``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.metadata import version as package_version
from pathlib import Path
from typing import IO, Any, Literal

from sqlalchemy import inspect, text
from sqlalchemy.engine import URL, make_url

from portal.config import Defaults, default_folders
from portal.db import make_engine, normalize_url
from portal.services import backup_keys
from portal.services.backup_keys import KeyProblem

FORMAT = "lantern-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database/lantern.sqlite3"
POSTGRES_MEMBER = "database/lantern.pgdump"
UPLOADS = "uploads/"
KEYS = "keys/"
ARCHIVE_PREFIX = "lantern-backup-"
CHUNK = 1024 * 1024
STORED_NAME = re.compile(r"[0-9a-f]{32}")

DatabaseKind = Literal["sqlite", "postgresql"]


class BackupError(Exception):
    """A backup, verification or restore that cannot go on; the message says why and what to
    do. Raised before anything is changed (restore undoes its own writes before raising)."""


@dataclass(frozen=True)
class Instance:
    """The instance a command works on: its settings, folder, database and uploads folder."""

    environ: Mapping[str, str]
    folder: Path
    database_url: str
    uploads: Path

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], cwd: Path) -> Instance:
        """The instance ``environ`` configures, as the portal and ``lantern`` resolve it."""
        raw = environ.get("LANTERN_INSTANCE_PATH")
        folder = (Path(raw) if raw else cwd / "instance").resolve()
        url = environ.get("LANTERN_DATABASE_URL") or f"sqlite:///{folder / 'lantern.sqlite3'}"
        return cls(environ, folder, url, Path(default_folders(folder, cwd)["UPLOAD_FOLDER"]))

    @property
    def production(self) -> bool:
        """True when ``LANTERN_ENV=production``."""
        return self.environ.get("LANTERN_ENV", Defaults.ENV) == "production"

    @property
    def url(self) -> URL:
        """The database URL, parsed (psycopg 3 driver for PostgreSQL)."""
        return make_url(normalize_url(self.database_url))

    @property
    def kind(self) -> DatabaseKind:
        """``sqlite`` or ``postgresql``; ``BackupError`` for any other database."""
        backend = self.url.get_backend_name()
        if backend in ("sqlite", "postgresql"):
            return "sqlite" if backend == "sqlite" else "postgresql"
        raise BackupError(f"Lantern backs up SQLite and PostgreSQL only, not {backend}.")

    def shown_database(self) -> str:
        """The database for messages (a SQLite path, or a URL with its password masked)."""
        if self.kind == "sqlite":
            return str(self.url.database)
        return self.url.set(drivername="postgresql").render_as_string(hide_password=True)

    def key_sources(self) -> list[backup_keys.KeySource]:
        """Where each key is read from (``BackupError`` for an unusable source)."""
        try:
            return backup_keys.locate_all(self.environ, self.folder)
        except KeyProblem as error:
            raise BackupError(f"{error}: fix the key setting first.") from None


# --- PostgreSQL tools -----------------------------------------------------------------------


def postgres_tool(name: str) -> str:
    """The path of ``pg_dump`` or ``pg_restore``; ``BackupError`` saying how to install it."""
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not installed: backups of PostgreSQL need it (Debian: "
            "'apt-get install postgresql-client'; its version must be at least the server's)."
        )
    return found


def libpq_target(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string for ``url`` without its password, and the environment that
    carries the password (``PGPASSWORD``) so it never shows in a process list."""
    plain = url.set(drivername="postgresql", password=None)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return plain.render_as_string(hide_password=False), env


# --- hashing while copying ------------------------------------------------------------------


class Hashing(io.RawIOBase):
    """A reader (or writer) that passes bytes through and keeps their SHA-256 and count."""

    def __init__(self, inner: IO[bytes]) -> None:
        super().__init__()
        self.inner = inner
        self.digest = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.inner.read(size)
        self.digest.update(data)
        self.size += len(data)
        return data

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self.digest.update(chunk)
        self.size += len(chunk)
        return self.inner.write(chunk)

    def hexdigest(self) -> str:
        return self.digest.hexdigest()


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file, hex (read in chunks)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# --- the database snapshot ------------------------------------------------------------------


@dataclass
class Snapshot:
    """What was read from the database in one consistent view."""

    revision: str
    counts: dict[str, int]
    attachments: dict[str, dict[str, Any]]  # stored name -> {"sha256", "size"}
    file: Path  # the dump or the SQLite copy, in the staging folder


def _attachment_rows(rows: Any) -> dict[str, dict[str, Any]]:
    return {str(name): {"sha256": str(sha), "size": int(size)} for name, sha, size in rows}


def _snapshot_sqlite(instance: Instance, staging: Path) -> Snapshot:
    source = Path(str(instance.url.database or ""))
    if not source.is_file():
        raise BackupError(f"there is no database at {source}: nothing to back up.")
    copy = staging / "lantern.sqlite3"
    # The online backup API copies a consistent state while the portal keeps writing (WAL).
    try:
        with (
            contextlib.closing(sqlite3.connect(source, timeout=30)) as src,
            contextlib.closing(sqlite3.connect(copy)) as dst,
        ):
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    except sqlite3.Error as error:  # e.g. a full disk under the copy, a damaged source
        raise BackupError(f"copying the database {source} failed ({error}).") from None
    with contextlib.closing(sqlite3.connect(copy)) as db:
        tables = [
            row[0]
            for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        if "alembic_version" not in tables:
            raise BackupError(f"{source} is not a Lantern database (no schema revision).")
        revision = str(db.execute("SELECT version_num FROM alembic_version").fetchone()[0])
        counts = {
            t: int(db.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0])  # noqa: S608
            for t in sorted(tables)
            if t != "alembic_version"
        }
        attachments = _attachment_rows(
            db.execute("SELECT stored_name, sha256, size_bytes FROM attachments")
        )
    return Snapshot(revision, counts, attachments, copy)


def _snapshot_postgres(instance: Instance, staging: Path) -> Snapshot:
    pg_dump = postgres_tool("pg_dump")
    dump = staging / "lantern.pgdump"
    engine = make_engine(instance.database_url, pool_pre_ping=False)
    try:
        try:
            connection = engine.connect()
        except Exception as error:
            raise BackupError(
                f"cannot reach the database at {instance.shown_database()} "
                f"({type(error).__name__}): start it, or fix LANTERN_DATABASE_URL."
            ) from None
        with connection:
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
            connection.exec_driver_sql("SET TRANSACTION READ ONLY")
            # pg_dump reads the very snapshot the counts and the attachment list come from.
            snapshot = str(connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar())
            tables = inspect(connection).get_table_names()
            if "alembic_version" not in tables:
                raise BackupError(
                    f"{instance.shown_database()} is not a Lantern database (no schema revision)."
                )
            revision = str(
                connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
            )
            counts = {
                t: int(connection.execute(text(f'SELECT count(*) FROM "{t}"')).scalar() or 0)  # noqa: S608
                for t in sorted(tables)
                if t != "alembic_version"
            }
            attachments = _attachment_rows(
                connection.execute(text("SELECT stored_name, sha256, size_bytes FROM attachments"))
            )
            target, env = libpq_target(instance.url)
            result = subprocess.run(  # noqa: S603  (fixed program, no shell)
                [
                    pg_dump,
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot}",
                    f"--file={dump}",
                    f"--dbname={target}",
                ],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            connection.rollback()
    finally:
        engine.dispose()
    if result.returncode != 0:
        raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
    return Snapshot(revision, counts, attachments, dump)


# --- creating an archive --------------------------------------------------------------------


@dataclass
class BackupResult:
    """A written archive and what it holds."""

    path: Path
    sha256: str
    size: int
    manifest: dict[str, Any]
    problems: list[str] = field(default_factory=list)  # evidence missing or changed on disk


def archive_name(now: dt.datetime) -> str:
    """``lantern-backup-YYYYMMDDTHHMMSSZ.tar`` for a backup made at ``now``."""
    return f"{ARCHIVE_PREFIX}{now.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}.tar"


def _target(out: Path, now: dt.datetime) -> Path:
    """The archive's path: ``out`` itself when it names a ``.tar`` file, else a new name in the
    folder ``out`` (created 0700)."""
    path = out if out.suffix == ".tar" else out / archive_name(now)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.exists():
        raise BackupError(f"{path} already exists: a backup never overwrites another.")
    return path


def _add(tar: tarfile.TarFile, name: str, path: Path, mtime: float) -> dict[str, Any]:
    """Add ``path`` as member ``name`` (mode 0600), returning its SHA-256 and size."""
    info = tarfile.TarInfo(name)
    info.size = path.stat().st_size
    info.mode = 0o600
    info.mtime = int(mtime)
    with path.open("rb") as handle:
        reader = Hashing(handle)
        tar.addfile(info, reader)
    return {"sha256": reader.hexdigest(), "size": info.size}


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes, mtime: float) -> dict[str, Any]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    info.mtime = int(mtime)
    tar.addfile(info, io.BytesIO(data))
    return {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def _key_entries(
    instance: Instance, include_keys: bool
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The manifest's ``keys`` entries and the values to include; ``BackupError`` when a key the
    instance needs cannot be read and the keys were not explicitly left out."""
    entries: list[dict[str, Any]] = []
    values: dict[str, str] = {}
    unreadable: list[str] = []
    for source in instance.key_sources():
        key = source.spec
        entry: dict[str, Any] = {
            "name": key.name,
            "setting": key.setting,
            "source": source.kind,
            "path": str(source.path) if source.path else None,
        }
        if source.value is None:
            never_made = key.name == "pseudonym_key" and source.kind == "instance"
            if include_keys and not never_made:
                unreadable.append(
                    f"the {key.label} cannot be read from {source.describe()} (without it, "
                    f"{key.lost})"
                )
            entry |= {"fingerprint": None, "included": False}
        else:
            entry |= {
                "fingerprint": backup_keys.fingerprint(key.name, source.value),
                "included": include_keys,
            }
            if include_keys:
                values[key.name] = source.value
        entries.append(entry)
    if unreadable:
        raise BackupError(
            "; ".join(unreadable)
            + ". No backup was made: it could not restore those keys. Fix the key settings, or "
            "leave the keys out on purpose with --without-keys (and keep them apart)."
        )
    return entries, values


def create_backup(
    instance: Instance, out: Path, *, include_keys: bool, now: dt.datetime
) -> BackupResult:
    """Write one archive of ``instance`` into ``out`` (a folder, or a ``.tar`` path).

    Returns the ``BackupResult``; ``problems`` names (by stored file name and attachment count,
    never personal data) evidence files that are missing or no longer match their recorded
    SHA-256: the archive is still written, without them. Raises ``BackupError`` (leaving no
    file behind) when the database cannot be read, a key cannot be read and ``include_keys``
    is set, or the target exists.
    """
    keys, key_values = _key_entries(instance, include_keys)
    target = _target(out, now)
    staging = Path(tempfile.mkdtemp(prefix=".lantern-backup-", dir=target.parent))
    partial = target.parent / f".{target.name}.partial"
    try:
        kind = instance.kind
        if kind == "sqlite":
            snapshot = _snapshot_sqlite(instance, staging)
        else:
            snapshot = _snapshot_postgres(instance, staging)
        stamp = now.timestamp()
        members: dict[str, dict[str, Any]] = {}
        problems: list[str] = []
        missing: list[str] = []
        changed: list[str] = []
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as raw:
            writer = Hashing(raw)
            with tarfile.open(fileobj=writer, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                member = SQLITE_MEMBER if kind == "sqlite" else POSTGRES_MEMBER
                members[member] = _add(tar, member, snapshot.file, stamp)
                for name, row in sorted(snapshot.attachments.items()):
                    path = instance.uploads / name
                    if not STORED_NAME.fullmatch(name) or not path.is_file():
                        problems.append(f"evidence file {name} is missing from {instance.uploads}")
                        missing.append(name)
                        continue
                    entry = _add(tar, UPLOADS + name, path, path.stat().st_mtime)
                    if entry["sha256"] != row["sha256"]:
                        problems.append(
                            f"evidence file {name} no longer matches the SHA-256 recorded when "
                            "it was uploaded (archived as it is now)"
                        )
                        changed.append(name)
                    members[UPLOADS + name] = entry
                for name, value in key_values.items():
                    members[KEYS + name] = _add_bytes(
                        tar, KEYS + name, (value + "\n").encode(), stamp
                    )
                manifest = {
                    "format": FORMAT,
                    "format_version": FORMAT_VERSION,
                    "lantern_version": package_version("lantern"),
                    "created_at": now.astimezone(dt.UTC).isoformat(),
                    "database": {"kind": kind, "member": member, "revision": snapshot.revision},
                    "counts": snapshot.counts,
                    "attachments": snapshot.attachments,
                    "problems": problems,
                    "evidence_missing": missing,
                    "evidence_changed": changed,
                    "keys": keys,
                    "members": members,
                }
                body = json.dumps(manifest, indent=2, sort_keys=True).encode() + b"\n"
                _add_bytes(tar, MANIFEST, body, stamp)
            raw.flush()
            os.fsync(raw.fileno())
        os.rename(partial, target)
        digest = writer.hexdigest()
        sidecar = target.with_name(target.name + ".sha256")
        sidecar.write_text(f"{digest}  {target.name}\n", encoding="utf-8")
        _fsync_folder(target.parent)
        return BackupResult(target, digest, writer.size, manifest, problems)
    except OSError as error:  # a full disk, a folder the user cannot write to
        partial.unlink(missing_ok=True)
        raise BackupError(
            f"writing the backup into {target.parent} failed ({error.strerror or error}); "
            "nothing was kept. Free space there (about the database twice plus the evidence "
            "files are needed) or choose another --out."
        ) from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def prune(folder: Path, keep: int, *, now: dt.datetime) -> list[Path]:
    """Remove all but the newest ``keep`` archives (``lantern-backup-*.tar`` and their
    ``.sha256``) in ``folder``, and what a backup killed mid-way left behind (its hidden
    ``.lantern-backup-*`` staging folder or partial file) when older than a day. Returns the
    archives removed. Other files are never touched."""
    archives = sorted(
        p for p in folder.glob(f"{ARCHIVE_PREFIX}*.tar") if re.fullmatch(r"[\w.-]+\.tar", p.name)
    )
    removed = archives[: max(len(archives) - keep, 0)]
    for path in removed:
        path.unlink()
        path.with_name(path.name + ".sha256").unlink(missing_ok=True)
    stale = (now - dt.timedelta(days=1)).timestamp()
    for leftover in folder.glob(f".{ARCHIVE_PREFIX}*"):
        if leftover.lstat().st_mtime < stale:
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover)
            else:
                leftover.unlink()
    return removed
