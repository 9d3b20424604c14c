"""``lantern mail send`` and ``lantern officers import``, and the mail drainer ``lantern serve``
runs in the background.

The background drainer runs as one thread in the process that becomes gunicorn's master (started
before gunicorn forks its workers), never in the workers: with N workers there is still exactly
one drainer per server, and a worker being recycled does not stop mail. It uses its own engine
without a connection pool, so no database connection is ever shared with a forked worker. Several
servers on one database are safe too: the outbox claims rows with a lease
(``portal.services.outbox``).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

log = logging.getLogger("lantern.mail")


def _config() -> dict[str, Any]:
    from portal.config import load_config

    instance = Path(os.environ.get("LANTERN_INSTANCE_PATH") or Path.cwd() / "instance").resolve()
    config = load_config(os.environ, instance)
    config.setdefault("OUTBOX_FOLDER", str(instance / "outbox"))
    return config


def drain_once(config: Mapping[str, Any]) -> Any:
    """Drain the outbox once with the configured transport; return the ``DrainReport``."""
    from sqlalchemy.pool import NullPool

    from portal.clock import utcnow
    from portal.db import make_engine, session_factory
    from portal.services import outbox

    engine = make_engine(str(config["DATABASE_URL"]), poolclass=NullPool)
    try:
        return outbox.drain(
            session_factory(engine),
            outbox.transport_for(config),
            sender=str(config["MAIL_FROM"]),
            now=utcnow,
        )
    finally:
        engine.dispose()


def start_background_drainer(config: Mapping[str, Any], interval: float = 15.0) -> threading.Event:
    """Start the drainer thread (daemon); set the returned event to stop it."""
    from portal.services.outbox import run_forever

    stop = threading.Event()

    def report_error(error: BaseException) -> None:
        log.warning("mail drain failed: %s", type(error).__name__)

    thread = threading.Thread(
        target=run_forever,
        kwargs={
            "drain_once": lambda: drain_once(config),
            "interval": interval,
            "stop": stop,
            "on_error": report_error,
        },
        name="lantern-mail",
        daemon=True,
    )
    thread.start()
    return stop


@click.group("mail")
def mail_group() -> None:
    """The email outbox."""


@mail_group.command("send")
@click.option("--loop", is_flag=True, help="Keep draining every --interval seconds.")
@click.option("--interval", default=15.0, show_default=True, type=float)
def mail_send(loop: bool, interval: float) -> None:
    """Send every due email in the outbox (SMTP via LANTERN_SMTP_URL, else .eml files)."""
    config = _config()
    if not loop:
        report = drain_once(config)
        click.echo(f"sent {report.sent}, will retry {report.retried}, failed {report.failed}")
        return
    from portal.services.outbox import run_forever

    stop = threading.Event()
    click.echo(f"draining the outbox every {interval:g} s (Ctrl-C to stop)")

    def once() -> Any:
        report = drain_once(config)
        if report.attempted:
            click.echo(f"sent {report.sent}, will retry {report.retried}, failed {report.failed}")
        return report

    try:
        run_forever(
            once,
            interval=interval,
            stop=stop,
            on_error=lambda e: click.echo(f"mail drain failed: {type(e).__name__}", err=True),
        )
    except KeyboardInterrupt:
        stop.set()


@click.group("officers")
def officers_group() -> None:
    """The officer roster."""


@officers_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", default="roster", show_default=True, help="Name of the roster source.")
def officers_import(path: Path, source: str) -> None:
    """Create or update officers from a roster CSV (all rows or none)."""
    from portal.clock import utcnow
    from portal.db import begin_write, make_engine, session_factory
    from portal.services.officers import import_roster, read_roster

    rows, errors = read_roster(path.read_text(encoding="utf-8-sig"))
    config = _config()
    engine = make_engine(str(config["DATABASE_URL"]))
    try:
        session = session_factory(engine)()
        try:
            report = None
            if not errors:
                begin_write(session)
                report = import_roster(session, rows, source=source, now=utcnow())
                errors = report.errors
            if errors:
                session.rollback()
                for error in errors:
                    click.echo(f"{path.name}: {error}", err=True)
                click.echo("nothing imported: fix the rows above and run again", err=True)
                sys.exit(1)
            assert report is not None
            session.commit()
        finally:
            session.close()
    finally:
        engine.dispose()
    click.echo(
        f"roster imported: {report.created} new, {report.updated} updated, "
        f"{report.unchanged} unchanged"
    )


def register(main: click.Group) -> None:
    """Add ``mail`` and ``officers`` to the ``lantern`` command group."""
    main.add_command(mail_group)
    main.add_command(officers_group)
