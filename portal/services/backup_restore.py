"""``lantern backup restore``: put an archive back into an empty instance, then prove it.

The order is chosen so that bad input changes nothing:

1. the whole archive is verified (``backup_verify.verify_archive``);
2. the instance is checked: the same kind of database as the archive's, a schema revision this
   Lantern knows, an empty database (no tables at all), an empty uploads folder, and for each
   key either no key yet (the archive's is written where the instance reads it) or the very key
   the backup was made with (same keyed fingerprint);
3. the evidence files and keys are written, then the database (SQLite: a copy renamed into
   place; PostgreSQL: ``pg_restore --single-transaction``); if any of it fails, what was
   written is removed again;
4. the restored instance is verified (row counts per table, every evidence file's SHA-256
   against its attachment row, the keys' fingerprints), then migrated if the archive is older
   than this Lantern.

Restoring a SQLite archive into PostgreSQL (or the reverse) is not supported.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import inspect, text

from portal.db import make_engine
from portal.services import backup_keys
from portal.services.backup import (
    KEYS,
    UPLOADS,
    BackupError,
    Instance,
    libpq_target,
    postgres_tool,
    sha256_file,
)
from portal.services.backup_keys import KeySource
from portal.services.backup_verify import VerifiedArchive, extract_member, opened, verify_archive

#: The audit action a restore appends once the restored data is verified.
RESTORE_ACTION = "backup.restore"

KeyAction = Literal["write", "in place", "lost", "none"]

_USER_RELATIONS = """
SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
          AND n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%')
     + (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'public')
"""


@dataclass(frozen=True)
class KeyStep:
    """What the restore does with one key."""

    source: KeySource  # where the instance reads it
    action: KeyAction
    value: str | None = None  # the archive's key, for ``write``


@dataclass
class RestoreResult:
    """What was restored and verified."""

    archive: VerifiedArchive
    counts: dict[str, int]
    evidence_files: int
    evidence_bytes: int
    keys: list[KeyStep]
    migrated_to: str | None  # the revision migrated to, when the archive was older
    warnings: list[str] = field(default_factory=list)


# --- checks before anything is written ------------------------------------------------------


def known_revisions() -> tuple[set[str], str]:
    """Every schema revision this Lantern knows, and its latest (head)."""
    from alembic.script import ScriptDirectory

    from portal.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    head = script.get_current_head()
    assert head is not None
    return {s.revision for s in script.walk_revisions()}, head


def _check_database_empty(instance: Instance) -> None:
    refusal = (
        f"the database {instance.shown_database()} is not empty: a restore only goes into an "
        "empty database, so nothing was changed. "
    )
    if instance.kind == "sqlite":
        path = Path(str(instance.url.database or ""))
        for extra in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-journal")):
            if extra.exists():
                raise BackupError(refusal + f"Remove {extra} (left by an earlier database) first.")
        if not path.exists():
            return
        with contextlib.closing(
            sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        ) as db:
            try:
                tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            except sqlite3.DatabaseError:
                tables = 1  # not a database at all: certainly not empty
        if tables:
            raise BackupError(
                refusal + f"Stop Lantern and move {path} away (keep it until the restored "
                "instance is checked), or restore into another instance folder."
            )
        return
    engine = make_engine(instance.database_url, pool_pre_ping=False)
    try:
        with engine.connect() as connection:
            relations = int(connection.execute(text(_USER_RELATIONS)).scalar() or 0)
    except Exception as error:
        raise BackupError(
            f"cannot reach the database {instance.shown_database()} ({type(error).__name__}): "
            "create an empty one first (e.g. 'sudo -u postgres createdb --owner lantern "
            "lantern') and check LANTERN_DATABASE_URL."
        ) from None
    finally:
        engine.dispose()
    if relations:
        raise BackupError(
            refusal + "Restore into a new, empty database ('createdb'), or drop this one "
            "after keeping a copy of it."
        )


def _check_uploads_empty(instance: Instance) -> None:
    folder = instance.uploads
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise BackupError(
            f"the uploads folder {folder} is not empty: a restore only goes into an empty one, "
            "so nothing was changed. Move its files away (keep them until the restored instance "
            "is checked), or restore into another instance folder."
        )


def _writable(path: Path) -> bool:
    probe = path.parent
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return os.access(probe, os.W_OK)


def plan_keys(
    instance: Instance, archive: VerifiedArchive, *, accept_lost_keys: bool
) -> list[KeyStep]:
    """Decide, for each key the archive knows, what the restore does; ``BackupError`` (before
    anything is written) when a key would be lost or is not the backup's, unless
    ``accept_lost_keys``."""
    sources = {s.spec.name: s for s in instance.key_sources()}
    stored: dict[str, str] = {}
    with opened(archive) as tar:
        for name in archive.included_keys():
            handle = tar.extractfile(KEYS + name)
            assert handle is not None
            stored[name] = handle.read().decode("utf-8").strip()
    steps: list[KeyStep] = []
    refusals: list[str] = []
    for entry in archive.manifest["keys"]:
        name, recorded = entry["name"], entry["fingerprint"]
        source = sources[name]
        key = source.spec
        if recorded is None:  # no such key when the backup was made (e.g. nothing published)
            steps.append(KeyStep(source, "none"))
            continue
        if source.value is not None:
            if backup_keys.fingerprint(name, source.value) == recorded:
                steps.append(KeyStep(source, "in place"))
                continue
            refusals.append(
                f"the {key.label} the instance reads ({source.describe()}) is not the one this "
                f"backup was made with (their fingerprints differ): with it, {key.lost}. "
                + _where_to_put(source, archive, name in stored)
            )
            steps.append(KeyStep(source, "lost"))
            continue
        if name not in stored:
            refusals.append(
                f"this backup was made without its keys, and the instance has no {key.label}: "
                f"without the one the backup was made with, {key.lost}. Put the {key.label} "
                f"you kept apart at {source.path} (or name its file in {key.setting}_FILE) "
                "and run the restore again."
            )
            steps.append(KeyStep(source, "lost"))
            continue
        production_portal_key = instance.production and name != "pseudonym_key"
        if source.kind == "instance" and production_portal_key:
            refusals.append(
                f"in production the portal reads the {key.label} from {key.setting}_FILE, which "
                f"is not set: set it to where the key should live (e.g. /etc/lantern/keys/{name})"
                " and run the restore again; it then writes the archive's key there."
            )
            steps.append(KeyStep(source, "lost"))
            continue
        assert source.path is not None
        if not _writable(source.path):
            refusals.append(
                f"the {key.label} cannot be written to {source.path} by this user: "
                + _where_to_put(source, archive, True)
            )
            steps.append(KeyStep(source, "lost"))
            continue
        steps.append(KeyStep(source, "write", stored[name]))
    if refusals and not accept_lost_keys:
        raise BackupError(
            "nothing was restored: "
            + " ".join(refusals)
            + " (Only if the keys are truly gone: --accept-lost-keys restores the data anyway.)"
        )
    return steps


def _where_to_put(source: KeySource, archive: VerifiedArchive, included: bool) -> str:
    member = KEYS + source.spec.name
    if not included:
        return f"Supply the {source.spec.label} you kept apart, then run the restore again."
    if source.kind == "environment":
        return (
            f"The archive holds the right key: set {source.spec.setting} to it (read it with "
            f"'tar -xOf {archive.path} {member}') and run the restore again."
        )
    return (
        f"The archive holds the right key: move {source.path} away and run the restore again "
        f"(or copy it there yourself: '(umask 077; tar -xOf {archive.path} {member} > "
        f"{source.path})')."
    )


# --- writing ----------------------------------------------------------------------------------


def _restore_sqlite(instance: Instance, archive: VerifiedArchive, tar: Any) -> Path:
    target = Path(str(instance.url.database or ""))
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    member = archive.manifest["database"]["member"]
    partial = target.with_name(f".{target.name}.restoring")
    extract_member(tar, member, partial, archive.manifest["members"][member]["sha256"])
    try:
        with contextlib.closing(sqlite3.connect(partial)) as db:
            outcome = db.execute("PRAGMA quick_check").fetchone()[0]
        if outcome != "ok":
            raise BackupError(f"the database in {archive.path} is damaged: {outcome}")
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return target


def _restore_postgres(instance: Instance, archive: VerifiedArchive, tar: Any) -> None:
    pg_restore = postgres_tool("pg_restore")
    member = archive.manifest["database"]["member"]
    with tempfile.TemporaryDirectory(prefix="lantern-restore-") as folder:
        dump = Path(folder) / "lantern.pgdump"
        extract_member(tar, member, dump, archive.manifest["members"][member]["sha256"])
        target, env = libpq_target(instance.url)
        result = subprocess.run(  # noqa: S603  (fixed program, no shell)
            [
                pg_restore,
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                f"--dbname={target}",
                str(dump),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed, and rolled everything back: {result.stderr.strip()}")


# --- checking the result ------------------------------------------------------------------------


def _restored_rows(instance: Instance, tables: list[str]) -> tuple[dict[str, int], list[Any]]:
    engine = make_engine(instance.database_url, pool_pre_ping=False)
    try:
        with engine.connect() as connection:
            present = set(inspect(connection).get_table_names())
            counts = {
                t: int(connection.execute(text(f'SELECT count(*) FROM "{t}"')).scalar() or 0)  # noqa: S608
                for t in tables
                if t in present
            }
            rows = list(
                connection.execute(text("SELECT stored_name, sha256, size_bytes FROM attachments"))
            )
    finally:
        engine.dispose()
    return counts, rows


def _verify_restored(
    instance: Instance, archive: VerifiedArchive
) -> tuple[dict[str, int], int, int]:
    """Row counts and evidence files of the restored instance against the manifest; returns the
    counts, the evidence files checked and their bytes. ``BackupError`` on any difference."""
    manifest = archive.manifest
    expected: dict[str, int] = manifest["counts"]
    counts, rows = _restored_rows(instance, sorted(expected))
    wrong = [
        f"{table}: {counts.get(table, 'no table')} rows instead of {number}"
        for table, number in expected.items()
        if counts.get(table) != number
    ]
    if wrong:
        raise BackupError("the restored database does not match the backup: " + "; ".join(wrong))
    known = set(manifest["evidence_missing"]) | set(manifest["evidence_changed"])
    files = size = 0
    for name, sha256, _size in rows:
        path = instance.uploads / str(name)
        if name in known:
            continue
        if not path.is_file() or sha256_file(path) != sha256:
            raise BackupError(
                f"the restored evidence file {name} does not match its attachment's SHA-256."
            )
        files += 1
        size += path.stat().st_size
    return counts, files, size


def _record_restore(instance: Instance, archive: VerifiedArchive, now: dt.datetime) -> None:
    """Append the restore itself to the audit trail (after the counts were verified)."""
    from portal.db import begin_write, session_factory, transaction
    from portal.services import audit

    manifest = archive.manifest
    engine = make_engine(instance.database_url, pool_pre_ping=False)
    try:
        with transaction(session_factory(engine)) as session:
            begin_write(session)
            audit.record(
                session,
                actor_id=None,
                action=RESTORE_ACTION,
                detail=(
                    f"archive={archive.path.name}; sha256={archive.sha256}; "
                    f"made={manifest['created_at']}; lantern={manifest['lantern_version']}; "
                    f"revision={archive.revision}"
                ),
                now=now,
            )
    finally:
        engine.dispose()


# --- the restore ------------------------------------------------------------------------------


def restore_backup(
    instance: Instance, archive_path: Path, *, accept_lost_keys: bool = False, now: dt.datetime
) -> RestoreResult:
    """Restore ``archive_path`` into the empty ``instance`` and verify it (see the module).

    Raises ``BackupError`` with nothing changed for a corrupt or altered archive, another kind
    of database, a schema newer than this Lantern, a non-empty database or uploads folder, or a
    key that would be lost (unless ``accept_lost_keys``). ``now`` is when the restore runs.
    """
    archive = verify_archive(archive_path)
    if archive.kind != instance.kind:
        raise BackupError(
            f"{archive_path} holds a {archive.kind} database and this instance uses "
            f"{instance.kind}: Lantern restores into the same kind of database only (nothing "
            "was changed)."
        )
    revisions, head = known_revisions()
    if archive.revision not in revisions:
        raise BackupError(
            f"{archive_path} was made by a newer Lantern (schema revision {archive.revision}, "
            f"this Lantern knows up to {head}): restore it with that version or a later one."
        )
    _check_database_empty(instance)
    _check_uploads_empty(instance)
    steps = plan_keys(instance, archive, accept_lost_keys=accept_lost_keys)
    written: list[Path] = []
    made_uploads = not instance.uploads.exists()
    instance.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        instance.uploads.mkdir(mode=0o700, parents=True, exist_ok=True)
        with opened(archive) as tar:
            members: dict[str, Any] = archive.manifest["members"]
            for member, entry in sorted(members.items()):
                if not member.startswith(UPLOADS):
                    continue
                path = instance.uploads / member.removeprefix(UPLOADS)
                partial = path.with_name(path.name + ".part")
                extract_member(tar, member, partial, entry["sha256"])
                os.replace(partial, path)
                written.append(path)
            for step in steps:
                if step.action == "write":
                    assert step.source.path is not None and step.value is not None
                    backup_keys.write_key(step.source.path, step.value)
                    written.append(step.source.path)
            if instance.kind == "sqlite":
                _restore_sqlite(instance, archive, tar)
            else:
                _restore_postgres(instance, archive, tar)
    except BaseException:
        for path in reversed(written):
            path.unlink(missing_ok=True)
        if made_uploads:
            with contextlib.suppress(OSError):
                instance.uploads.rmdir()
        raise
    counts, files, size = _verify_restored(instance, archive)
    warnings = [
        f"{step.source.spec.label}: {step.source.spec.lost}"
        for step in steps
        if step.action == "lost"
    ]
    problems: list[str] = archive.manifest["problems"]
    warnings += problems[:20]
    if len(problems) > 20:
        warnings.append(f"… and {len(problems) - 20} more evidence files (manifest.json)")
    migrated_to = None
    if archive.revision != head:
        from portal.migrate import upgrade

        upgrade(instance.database_url)
        migrated_to = head
    _record_restore(instance, archive, now)
    return RestoreResult(archive, counts, files, size, steps, migrated_to, warnings)
