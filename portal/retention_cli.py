"""``lantern retention``: apply the office's records schedule (``run``), see what is coming due
(``due``) and check a schedule file before using it (``check``).

Cases are named by their internal id only (``case 123``), never by reference number: this
output ends up in the journal. ``run`` is what the systemd timer starts
(deploy/systemd/lantern-retention.timer).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

KIND_WORDS = {"personal_data": "personal data", "evidence": "evidence files"}


def _config() -> dict[str, Any]:
    from portal.config import default_folders, load_config

    instance = Path(os.environ.get("LANTERN_INSTANCE_PATH") or Path.cwd() / "instance").resolve()
    config = load_config(os.environ, instance)
    for key, folder in default_folders(instance).items():
        config.setdefault(key, folder)
    return config


def _schedule(path: str | None, config: dict[str, Any]) -> Any:
    """The schedule (``--schedule``, else ``LANTERN_RETENTION_SCHEDULE``, else the default);
    a wrong file ends the command with its message and exit status 2."""
    from portal.services.retention import ScheduleError, load_schedule

    try:
        return load_schedule(path or config.get("RETENTION_SCHEDULE") or None)
    except ScheduleError as error:
        click.echo(f"lantern retention: {error}", err=True)
        sys.exit(2)


_SCHEDULE_OPTION = click.option(
    "--schedule",
    "schedule_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Records schedule (TOML). Default: LANTERN_RETENTION_SCHEDULE, else the shipped one.",
)


@click.group("retention")
def retention_group() -> None:
    """The records schedule: dispose of what is due, list what is coming due."""


@retention_group.command("run")
@click.option("--dry-run", is_flag=True, help="List what would be disposed of; change nothing.")
@_SCHEDULE_OPTION
def run(dry_run: bool, schedule_path: str | None) -> None:
    """Dispose of the personal data and evidence files of every case that is due and not on
    legal hold, each case in its own transaction (safe to run again after a failure)."""
    from sqlalchemy.pool import NullPool

    from portal.clock import utcnow
    from portal.db import make_engine, session_factory
    from portal.services.retention import CaseOutcome, run_retention

    config = _config()
    schedule = _schedule(schedule_path, config)
    verb = "would dispose of" if dry_run else "disposed of"

    def show(outcome: CaseOutcome) -> None:
        kinds = ", ".join(KIND_WORDS[k] for k in outcome.kinds)
        files = f"; {outcome.files_removed} file(s) deleted" if outcome.files_removed else ""
        click.echo(f"case {outcome.complaint_id}: {verb} {kinds} (rule {outcome.rule}{files})")

    engine = make_engine(str(config["DATABASE_URL"]), poolclass=NullPool)
    try:
        report = run_retention(
            session_factory(engine),
            schedule,
            now=utcnow(),
            folder=Path(config["UPLOAD_FOLDER"]),
            dry_run=dry_run,
            on_case=show,
        )
    finally:
        engine.dispose()
    prefix = "dry run, " if dry_run else ""
    click.echo(
        f"{prefix}{verb}: personal data of {report.count('personal_data')} case(s), evidence "
        f"files of {report.count('evidence')} case(s) ({report.files_removed} file(s) deleted); "
        f"{report.held} due case(s) kept on legal hold"
    )
    if report.undated:
        click.echo(
            f"{report.undated} closed case(s) have no closing date and are never disposed of "
            "automatically (review them by hand)"
        )
    if report.failed:
        ids = ", ".join(str(i) for i in report.failed)
        click.echo(f"failed (rolled back, run again): case(s) {ids}", err=True)
        sys.exit(1)


@retention_group.command("due")
@_SCHEDULE_OPTION
def due(schedule_path: str | None) -> None:
    """List the cases due now and within the schedule's notice window, and held ones."""
    from portal.clock import utcnow
    from portal.db import make_engine, session_factory
    from portal.services.retention import due_list

    config = _config()
    schedule = _schedule(schedule_path, config)
    engine = make_engine(str(config["DATABASE_URL"]))
    try:
        with session_factory(engine)() as session:
            found = due_list(session, schedule, now=utcnow(), limit=1000)
    finally:
        engine.dispose()
    for title, items, total in (
        ("due now", found.due, found.due_total),
        (f"due within {schedule.notice_days} days", found.soon, found.soon_total),
        ("on legal hold", found.held, found.held_total),
    ):
        click.echo(f"{title}: {total}")
        for item in items:
            when = item.next_due_at.date().isoformat() if item.next_due_at else "-"
            rule = item.rule.id if item.rule else "-"
            click.echo(f"  case {item.complaint_id}: due {when} (rule {rule})")


@retention_group.command("check")
@click.argument("path", type=click.Path(dir_okay=False), required=False)
def check(path: str | None) -> None:
    """Check a records schedule file (default: the configured one) and print its rules."""
    config = _config()
    schedule = _schedule(path, config)
    click.echo(f"{schedule.source}: {len(schedule.rules)} rule(s), ok")
    for rule in schedule.rules:
        click.echo(
            f"  {rule.id}: personal data {rule.personal_data_years} years, evidence "
            f"{rule.evidence_years} years — {rule.name}"
        )


def register(main: click.Group) -> None:
    """Add ``lantern retention`` to the command line."""
    main.add_command(retention_group)
