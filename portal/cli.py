"""The ``lantern`` command line: one click group; each area adds its commands here."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from portal.config import ConfigError


def database_url() -> str:
    """The database URL the CLI works on (``LANTERN_DATABASE_URL`` or the instance SQLite file)."""
    from portal.config import load_config

    instance = Path(os.environ.get("LANTERN_INSTANCE_PATH") or Path.cwd() / "instance").resolve()
    return str(load_config(os.environ, instance)["DATABASE_URL"])


class _LanternGroup(click.Group):
    """Every command: an unusable configuration (a missing production secret, an unreadable key
    file) ends with its message and exit status 2, not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as error:
            click.echo(
                f"lantern {ctx.invoked_subcommand or ''}: {error}".replace(" :", ":"), err=True
            )
            sys.exit(2)


@click.group(cls=_LanternGroup)
@click.version_option(package_name="lantern")
def main() -> None:
    """Lantern: complaints about police conduct, and open data about what happens to them."""


@main.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
def db_upgrade(revision: str) -> None:
    """Create or migrate the database schema (Alembic) to the latest revision."""
    from portal.migrate import upgrade

    url = database_url()
    upgrade(url, revision)
    click.echo(f"database is at revision {revision}")


class _Gunicorn:
    """Run the app under gunicorn from inside this process (so the checks above run first)."""

    @staticmethod
    def run(options: dict[str, Any]) -> None:
        from gunicorn.app.base import BaseApplication

        class App(BaseApplication):  # type: ignore[misc]
            def load_config(self) -> None:
                for key, value in options.items():
                    if key in self.cfg.settings:  # settings newer gunicorns added are optional
                        self.cfg.set(key, value)

            def load(self) -> Any:
                from portal import create_app

                return create_app()

        App().run()


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
@click.option(
    "--migrate/--no-migrate",
    default=True,
    show_default=True,
    help="Apply pending migrations before serving.",
)
@click.option(
    "--mail/--no-mail",
    default=True,
    show_default=True,
    help="Drain the email outbox in one background process next to the master.",
)
def serve(host: str, port: int, workers: int, migrate: bool, mail: bool) -> None:
    """Serve the portal (and the statistics site at /data/) with gunicorn."""
    from portal import create_app

    try:
        app = create_app()  # fails fast in production mode without secrets
    except ConfigError as error:
        click.echo(f"lantern serve: {error}", err=True)
        sys.exit(2)
    if migrate:
        from portal.migrate import upgrade

        upgrade(app.config["DATABASE_URL"])
    if mail:  # one drainer process next to gunicorn's master (portal/casework_cli.py)
        from portal.casework_cli import start_background_drainer

        start_background_drainer(app.config)
    click.echo(f"Lantern portal: http://{host}:{port}/")
    click.echo(f"Statistics site: http://{host}:{port}/data/")
    _Gunicorn.run(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            # Access logs carry only method, path, status, size and time: no client address, and
            # lookups are POSTs, so no reference or code ever reaches them.
            "accesslog": "-",
            "access_log_format": '"%(m)s %(U)s" %(s)s %(b)s %(M)sms',
            "errorlog": "-",
            "timeout": 60,
            # gunicorn 27's control socket is one path per user (~/.gunicorn): two servers (or
            # parallel test servers) would fight over it, and Lantern does not use it.
            "control_socket_disable": True,
        }
    )


from publisher.cli import register as _register_publisher  # noqa: E402  (after main exists)

_register_publisher(main)

from publisher.site import site_group as _site_group  # noqa: E402

main.add_command(_site_group)

from portal.demo import demo as _demo  # noqa: E402

main.add_command(_demo)

from portal.staff_cli import register as _register_staff  # noqa: E402

_register_staff(main)

from portal.uploads_cli import register as _register_uploads  # noqa: E402

_register_uploads(main)

from portal.casework_cli import register as _register_casework  # noqa: E402

_register_casework(main)

from portal.doctor_cli import register as _register_doctor  # noqa: E402

_register_doctor(main)

from portal.backup_cli import register as _register_backup  # noqa: E402

_register_backup(main)
