"""``lantern demo``: set up a working Lantern from nothing and serve it (what ``make run`` does).

Every step reuses what is already there, so running it again is safe: the schema is migrated,
demo cases are seeded only into a database without cases, the release is published only if that
version does not exist yet, and the site is rebuilt from the releases on disk.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import click
from sqlalchemy import func, select

DEMO_CASES = 2_000
DEMO_SEED = 20_260_101
DEMO_VERSION = "1.0.0"
# A fixed "now" keeps the demo data identical on every machine.
DEMO_NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
DEMO_STAFF_EMAIL = "demo.supervisor@lantern.example"
# The demo's one-time password lives next to the other local secrets, readable by its owner only,
# so a repeated `make run` can print the same sign-in again.
DEMO_STAFF_FILE = "demo-staff-password"


def _instance_path() -> Path:
    """The instance folder the CLI works in (``LANTERN_INSTANCE_PATH`` or ./instance)."""
    return Path(os.environ.get("LANTERN_INSTANCE_PATH") or Path.cwd() / "instance").resolve()


def ensure_demo_staff(database_url: str, instance: Path) -> str:
    """Create the demo supervisor once; return the sign-in line to print.

    The account has a temporary password (kept in ``instance/`` so a repeated run prints it
    again) and, like every staff account, must set up two-factor at its first sign-in, when it
    also chooses its own password.
    """
    from sqlalchemy.orm import Session

    from portal.db import make_engine
    from portal.services import staff as staff_service
    from portal.vocabulary import StaffRole

    secret_file = instance / DEMO_STAFF_FILE
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            account = staff_service.find_staff(session, DEMO_STAFF_EMAIL)
            if account is None:
                account, password = staff_service.add_staff(
                    session,
                    email=DEMO_STAFF_EMAIL,
                    role=StaffRole.SUPERVISOR,
                    name="Demo Supervisor",
                    actor_id=None,
                    now=dt.datetime.now(dt.UTC),
                )
                instance.mkdir(parents=True, exist_ok=True)
                secret_file.unlink(missing_ok=True)
                fd = os.open(secret_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as handle:
                    handle.write(password + "\n")
                session.commit()
            enrolled = account.is_totp_enrolled
    finally:
        engine.dispose()
    if enrolled:
        return f"demo staff login: {DEMO_STAFF_EMAIL} with the password you chose"
    password = secret_file.read_text().strip() if secret_file.exists() else "(see lantern staff)"
    return (
        f"demo staff login: {DEMO_STAFF_EMAIL}, temporary password {password}"
        " (the first sign-in sets up two-factor with an authenticator app)"
    )


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
            from portal.db import session_factory
            from portal.services.search import rebuild_index

            with session_factory(engine)() as session:  # so staff can search the demo cases
                rebuild_index(session, now=DEMO_NOW)
        finally:
            engine.dispose()
        done.append(f"seeded {cases:,} synthetic demo cases")
    done.append(ensure_demo_staff(url, _instance_path()))
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
    from portal.config import load_config

    if load_config(os.environ, _instance_path())["ENV"] == "production":
        raise click.UsageError("lantern demo creates a demo account: not in production mode")
    for line in run_demo(releases=releases, site_out=site_out, cases=cases):
        click.echo(line)
    click.echo("Lantern portal:  http://127.0.0.1:5000/")
    click.echo("Statistics site: http://127.0.0.1:5000/data/")
    click.echo("Staff sign-in:   http://127.0.0.1:5000/staff/auth/sign-in")
    if serve:
        from portal.cli import serve as serve_command

        click.get_current_context().invoke(serve_command, migrate=False)
