"""``lantern demo``: set up a working Lantern from nothing and serve it (what ``make run`` does).

Every step reuses what is already there, so running it again is safe: the schema is migrated,
demo cases are seeded only into a database without cases, the release is published only if that
version does not exist yet, and the site is rebuilt from the releases on disk.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import click
from sqlalchemy import func, select

DEMO_CASES = 2_000
DEMO_SEED = 20_260_101
DEMO_VERSION = "1.0.0"
# A fixed "now" keeps the demo data identical on every machine.
DEMO_NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _count_cases(database_url: str) -> int:
    """How many complaints the database holds."""
    from portal.db import make_engine
    from portal.models import Complaint

    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(Complaint)).scalar_one())
    finally:
        engine.dispose()


def _publish(releases: Path, version: str) -> str:
    """Publish ``version`` into ``releases`` with ``lantern publish``; say what was done."""
    from portal.cli import main

    if (releases / version).exists():
        return f"release {version} already exists"
    main.main(
        ["publish", "--version", version, "--out", str(releases)],
        prog_name="lantern",
        standalone_mode=False,
    )
    return f"release {version} published"


def run_demo(*, releases: Path, site_out: Path, cases: int) -> list[str]:
    """Migrate, seed (if empty), publish (if missing) and build the site; return what was done."""
    from portal.cli import database_url
    from portal.migrate import upgrade
    from publisher.seed import seed_cases
    from publisher.site import build_site

    url = database_url()
    upgrade(url)
    done = ["database schema is up to date"]
    existing = _count_cases(url)
    if existing:
        done.append(f"database already has {existing:,} cases: not seeding")
    else:
        from portal.db import make_engine

        engine = make_engine(url)
        try:
            seed_cases(engine, cases, DEMO_SEED, now=DEMO_NOW, progress=False)
        finally:
            engine.dispose()
        done.append(f"seeded {cases:,} synthetic demo cases")
    if importlib.util.find_spec("portal.services.staff") is None:
        done.append("demo staff login: the staff service is not available yet")
    releases.mkdir(parents=True, exist_ok=True)
    done.append(_publish(releases, DEMO_VERSION))
    if any((p / "datapackage.json").is_file() for p in releases.iterdir()):
        build_site(releases, site_out)
        done.append(f"statistics site built in {site_out}")
    else:
        done.append("no release yet: the statistics site was not built")
    return done


@click.command("demo")
@click.option(
    "--releases",
    default="data_releases",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
)
@click.option(
    "--site-out",
    default="build/site",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
)
@click.option("--cases", default=DEMO_CASES, show_default=True, type=click.IntRange(min=1))
@click.option(
    "--serve/--no-serve",
    default=True,
    show_default=True,
    help="Serve the portal at http://127.0.0.1:5000 afterwards.",
)
def demo(releases: Path, site_out: Path, cases: int, serve: bool) -> None:
    """Set up a demo Lantern (schema, synthetic cases, a release, the site) and serve it."""
    for line in run_demo(releases=releases, site_out=site_out, cases=cases):
        click.echo(line)
    click.echo("Lantern portal:  http://127.0.0.1:5000/")
    click.echo("Statistics site: http://127.0.0.1:5000/data/")
    if serve:
        from portal.cli import serve as serve_command

        click.get_current_context().invoke(serve_command, migrate=False)
