"""``lantern backup create | verify | restore``: one archive of the database, the evidence files
and the keys (``portal/services/backup.py``), checked without restoring, and restored into an
empty instance and verified (``portal/services/backup_restore.py``).

Every command reads the same ``LANTERN_*`` settings as the portal; run them as the service user
(``lantern-admin backup …``). No key is ever printed: keys are named, and compared by a keyed
fingerprint.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from portal.clock import utcnow

MB = 1024 * 1024
#: Problems printed one per line; the rest are counted (all are in the manifest).
SHOWN_PROBLEMS = 20

WITHOUT_KEYS_WARNING = """\
************************************************************************************
WARNING: this backup does NOT contain Lantern's keys (--without-keys).
A restore needs the keys you keep apart. If they are lost:
  - access-code key: EVERY complainant's access code stops working for good
    (and every staff recovery code): complainants must ask the office for new ones;
  - pseudonym key: EVERY published complaint and officer id changes;
  - secret key: everyone is signed out (nothing else is lost).
The archive records a fingerprint of each key, so a restore can tell whether the
keys it is given are the right ones. Back the keys up apart from this archive.
************************************************************************************"""


def _instance() -> Any:
    from portal.services.backup import Instance

    return Instance.from_environ(os.environ, Path.cwd())


def _fail(command: str, message: str) -> None:
    click.echo(f"lantern backup {command}: {message}", err=True)
    sys.exit(1)


def _size(size: int) -> str:
    return f"{size / MB:.1f} MB" if size >= MB / 10 else f"{size} bytes"


def _contents(manifest: dict[str, Any]) -> str:
    counts = manifest["counts"]
    files = len(manifest["attachments"])
    size = sum(int(a["size"]) for a in manifest["attachments"].values())
    return (
        f"{manifest['database']['kind']} database at revision {manifest['database']['revision']}: "
        f"{counts.get('complaints', 0)} complaint(s), {files} evidence file(s) ({_size(size)}), "
        f"{counts.get('audit_log', 0)} audit entries, {counts.get('staff', 0)} staff account(s)"
    )


@click.group("backup")
def backup_group() -> None:
    """Back up, verify and restore this instance (database, evidence files, keys)."""


@backup_group.command("create")
@click.option(
    "--out",
    default="backups",
    show_default=True,
    type=click.Path(path_type=Path),
    help="Folder to write the archive into (created 0700), or the archive's own .tar path.",
)
@click.option(
    "--without-keys",
    is_flag=True,
    help="Leave the three keys out (keep them apart yourself). Prints what is lost without them.",
)
@click.option(
    "--keep",
    type=click.IntRange(min=1),
    default=None,
    help="After a good backup, remove all but the newest N archives in the --out folder (and "
    "what a backup killed mid-way left there, once a day old).",
)
def create(out: Path, without_keys: bool, keep: int | None) -> None:
    """Write one consistent archive: database, evidence files, keys, manifest with checksums.

    The archive (mode 0600) holds personal data, and the keys unless --without-keys: store it
    encrypted, copy it off-site with its .sha256, and test a restore regularly.
    """
    from portal.services.backup import BackupError, create_backup, prune

    if keep is not None and out.suffix == ".tar":
        _fail("create", "--keep needs --out to be a folder, not an archive's path.")
    if without_keys:
        click.echo(WITHOUT_KEYS_WARNING, err=True)
    try:
        result = create_backup(_instance(), out, include_keys=not without_keys, now=utcnow())
    except BackupError as error:
        _fail("create", str(error))
        return
    manifest = result.manifest
    click.echo(f"backup written: {result.path} ({_size(result.size)})")
    click.echo(f"  SHA-256 {result.sha256} (also in {result.path.name}.sha256)")
    click.echo(f"  {_contents(manifest)}")
    included = [k["name"] for k in manifest["keys"] if k["included"]]
    click.echo(f"  keys in the archive: {', '.join(included) if included else 'none'}")
    if keep is not None and not result.problems:
        for removed in prune(result.path.parent, keep, now=utcnow()):
            click.echo(f"  removed the older backup {removed.name}")
    for problem in result.problems[:SHOWN_PROBLEMS]:
        click.echo(f"PROBLEM: {problem}", err=True)
    if len(result.problems) > SHOWN_PROBLEMS:
        click.echo(
            f"PROBLEM: … and {len(result.problems) - SHOWN_PROBLEMS} more evidence files (all "
            "listed in the archive's manifest.json, 'problems')",
            err=True,
        )
    if result.problems:
        click.echo(
            "The archive was written without the files above, and no older backup was removed "
            "(they may hold the only copies): find out what happened to them.",
            err=True,
        )
        sys.exit(1)


@backup_group.command("verify")
@click.argument("archive", type=click.Path(path_type=Path))
def verify(archive: Path) -> None:
    """Check an archive without restoring it: every member against the manifest's SHA-256,
    every evidence file against its attachment's, and the keys this instance is configured
    with against the archive's fingerprints."""
    from portal.services import backup_keys
    from portal.services.backup import BackupError
    from portal.services.backup_verify import verify_archive

    try:
        verified = verify_archive(archive)
    except BackupError as error:
        _fail("verify", str(error))
        return
    manifest = verified.manifest
    click.echo(f"{archive}: a good Lantern backup (SHA-256 {verified.sha256})")
    click.echo(f"  made {manifest['created_at']} by Lantern {manifest['lantern_version']}")
    click.echo(f"  {_contents(manifest)}")
    for problem in manifest["problems"][:SHOWN_PROBLEMS]:
        click.echo(f"  reported when it was made: {problem}")
    if len(manifest["problems"]) > SHOWN_PROBLEMS:
        click.echo(f"  … and {len(manifest['problems']) - SHOWN_PROBLEMS} more (manifest.json)")
    try:
        sources = {s.spec.name: s for s in _instance().key_sources()}
    except BackupError as error:
        click.echo(f"  the configured keys cannot be compared: {error}")
        return
    for entry in manifest["keys"]:
        key = backup_keys.spec(entry["name"])
        held = "in the archive" if entry["included"] else "NOT in the archive"
        source = sources[key.name]
        if entry["fingerprint"] is None:
            state = "did not exist when the backup was made"
        elif source.value is None:
            state = "this instance has none configured"
        elif backup_keys.fingerprint(key.name, source.value) == entry["fingerprint"]:
            state = "this instance's key is the same"
        else:
            state = "this instance's key is DIFFERENT"
        click.echo(f"  {key.label}: {held}; {state}")


@backup_group.command("restore")
@click.argument("archive", type=click.Path(path_type=Path))
@click.option(
    "--accept-lost-keys",
    is_flag=True,
    help="Restore even though a key the data was made with is missing or different (its "
    "access codes or published ids are lost). Only when the keys are truly gone.",
)
def restore(archive: Path, accept_lost_keys: bool) -> None:
    """Restore an archive into this instance's EMPTY database and uploads folder, put the keys
    back where the instance reads them (or check the instance's keys are the backup's), verify
    counts and evidence checksums, and migrate if the backup is older. Stop Lantern first."""
    from portal.services.backup import BackupError
    from portal.services.backup_restore import restore_backup

    try:
        result = restore_backup(
            _instance(), archive, accept_lost_keys=accept_lost_keys, now=utcnow()
        )
    except BackupError as error:
        _fail("restore", str(error))
        return
    manifest = result.archive.manifest
    click.echo(f"restored {archive} (made {manifest['created_at']})")
    click.echo(f"  {_contents(manifest)}")
    click.echo(
        f"  verified: the row count of all {len(result.counts)} tables, and "
        f"{result.evidence_files} evidence file(s) ({_size(result.evidence_bytes)}) against "
        "their SHA-256"
    )
    for step in result.keys:
        label = step.source.spec.label
        if step.action == "write":
            click.echo(f"  {label}: written to {step.source.path}")
        elif step.action == "in place":
            click.echo(f"  {label}: {step.source.describe()} is the backup's key")
    if result.migrated_to:
        click.echo(f"  migrated from revision {result.archive.revision} to {result.migrated_to}")
    for warning in result.warnings:
        click.echo(f"WARNING: {warning}", err=True)
    click.echo("Start Lantern, run 'lantern doctor', and sign in to check a case.")


def register(main: click.Group) -> None:
    """Add ``lantern backup`` to the command line."""
    main.add_command(backup_group)
