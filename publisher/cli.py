"""The publisher's ``lantern`` commands: ``seed``, ``import`` and ``publish``.

``register(main)`` adds every command of the ``publisher`` group to the ``lantern`` group. Nothing
here imports Flask: the database URL comes from the same ``LANTERN_*`` settings as the portal's.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click


def _database_url() -> str:
    """The database URL the CLI works on (``LANTERN_DATABASE_URL`` or the instance SQLite file)."""
    # Imported late: portal.cli imports this module to register the commands.
    from portal.cli import database_url

    return database_url()


@click.group()
def publisher() -> None:
    """Publisher commands (synthetic data, historical import, releases)."""


@publisher.command()
@click.option("--cases", "cases", required=True, type=click.IntRange(min=1), help="How many.")
@click.option("--seed", "seed", default=1, show_default=True, type=int, help="Random seed.")
@click.option(
    "--now",
    "now_text",
    default=None,
    help="Pretend it is this UTC time (ISO 8601), for reproducible data; default: the clock.",
)
@click.option("--progress/--no-progress", default=True, show_default=True)
def seed(cases: int, seed: int, now_text: str | None, progress: bool) -> None:
    """Fill the database with N realistic synthetic cases (deterministic for a seed).

    The cases carry invented personal data everywhere (it is what the anonymizer must remove):
    never run this against a production database.
    """
    from portal.db import make_engine
    from publisher.seed import seed_cases

    now = dt.datetime.now(dt.UTC)
    if now_text:
        try:
            now = dt.datetime.fromisoformat(now_text)
        except ValueError:
            raise click.BadParameter(
                f"not an ISO 8601 time: {now_text!r}", param_hint="--now"
            ) from None
        now = now.replace(tzinfo=dt.UTC) if now.tzinfo is None else now.astimezone(dt.UTC)
    engine = make_engine(_database_url())
    try:
        summary = seed_cases(engine, cases, seed, now=now, progress=progress)
    finally:
        engine.dispose()
    click.echo(
        f"seeded {summary.cases} cases ({summary.closed_cases} closed, {summary.open_cases} open), "
        f"{summary.allegations} allegations, {summary.officers} officers, "
        f"{summary.complainants} complainants in {summary.seconds:.1f} s"
    )


@publisher.command("import")
@click.option(
    "--mapping",
    "mapping_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="TOML mapping describing the CSV files.",
)
@click.option(
    "--data-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Folder the mapping's file names are resolved against (default: the mapping's folder).",
)
@click.option("--dry-run", is_flag=True, help="Check everything and report; write nothing.")
def import_(mapping_path: Path, data_dir: Path | None, dry_run: bool) -> None:
    """Import historical closed cases from CSV files described by a TOML mapping.

    The whole import is one transaction: any error leaves the database as it was. Cases already
    imported from the same source are left alone, so running it again is safe.
    """
    from portal.db import make_engine
    from publisher.importer import ImportFailed, MappingError, load_mapping, run_import

    try:
        mapping = load_mapping(mapping_path)
    except MappingError as error:
        click.echo(f"lantern import: {error}", err=True)
        sys.exit(2)
    engine = make_engine(_database_url())
    try:
        summary = run_import(
            engine,
            mapping,
            data_dir or mapping_path.parent,
            now=dt.datetime.now(dt.UTC),
            dry_run=dry_run,
        )
    except ImportFailed as error:
        click.echo(f"lantern import: nothing imported. {error}", err=True)
        sys.exit(1)
    finally:
        engine.dispose()
    click.echo(summary.report())


@publisher.command()
@click.option("--version", "version", required=True, help="Semantic version, e.g. 1.2.0.")
@click.option(
    "--policy",
    "policy_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Anonymization policy TOML (default: the shipped policy.default.toml).",
)
@click.option(
    "--out",
    default="data_releases",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder that holds the releases; the release goes to OUT/VERSION.",
)
@click.option(
    "--publisher-name",
    default="Police oversight office",
    show_default=True,
    help="Who publishes the data (datapackage.json contributors and sources).",
)
@click.option(
    "--workers",
    default=2,
    show_default=True,
    type=click.IntRange(min=1),
    help="Processes validating the tables in parallel (1: validate in this process).",
)
@click.option(
    "--progress/--no-progress",
    default=True,
    show_default=True,
    help="Progress bars on stderr.",
)
def publish(
    version: str,
    policy_path: Path | None,
    out: Path,
    publisher_name: str,
    workers: int,
    progress: bool,
) -> None:
    """Publish an anonymized, validated release of the closed cases into OUT/VERSION.

    The release is written to a temporary folder, validated with Frictionless and renamed into
    place only if valid. An existing version is never overwritten (exit 2). The pseudonym key
    comes from LANTERN_PSEUDONYM_KEY or instance/pseudonym_key (created once if missing).
    """
    from portal.db import make_engine
    from publisher.keys import PseudonymKeyError, load_key
    from publisher.policy import PolicyError, load_policy
    from publisher.publish import PublishError
    from publisher.publish import publish as run_publish

    try:
        policy = load_policy(policy_path)
        key = load_key()
    except (PolicyError, PseudonymKeyError) as error:
        click.echo(f"lantern publish: {error}", err=True)
        sys.exit(2)
    engine = make_engine(_database_url())
    try:
        result = run_publish(
            engine,
            version,
            out,
            policy=policy,
            key=key,
            publisher_name=publisher_name,
            progress=progress,
            workers=workers,
        )
    except PublishError as error:
        click.echo(f"lantern publish: {error}", err=True)
        sys.exit(error.exit_code)
    finally:
        engine.dispose()
    excluded = sum(result.exclusions.values())
    click.echo(
        f"published release {result.version} in {result.folder}: {result.complaints:,} "
        f"complaints ({excluded:,} closed cases excluded), {result.allegations:,} allegations, "
        f"{result.officers:,} officers, {result.complainants:,} complainants; k = "
        f"{result.k_achieved}; validated with Frictionless"
    )
    for stage in result.stages:
        click.echo(
            f"  {stage.name:<9} {stage.seconds:7.1f} s  peak RSS {stage.peak_rss_mib:,.0f} MiB"
        )


def register(main: click.Group) -> None:
    """Add every publisher command to the ``lantern`` group."""
    for command in publisher.commands.values():
        main.add_command(command)
    from publisher.report_render import report_command

    main.add_command(report_command)
