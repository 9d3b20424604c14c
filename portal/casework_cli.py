"""``lantern mail send`` and ``lantern officers import``, and the mail drainer ``lantern serve``
runs in the background.

The background drainer of ``lantern serve`` is one ``lantern mail send --loop`` process started
by the process that becomes gunicorn's master, never in the workers: with N workers there is
still exactly one drainer per server, and a worker being recycled does not stop mail. It is a
process and not a thread because gunicorn's master forks workers for as long as it runs, and a
fork taken while another thread holds a lock (SQLite's, the import lock, logging's) leaves the new
worker deadlocked; measured: a drainer thread in the master made the 50-resident live test hang.
The drainer exits when the master is gone (it checks its parent every second) and is terminated
when ``lantern serve`` exits. Several servers on one database are safe too: the outbox claims rows
with a lease (``portal.services.outbox``).
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click


def _config() -> dict[str, Any]:
    from portal.config import load_config

    instance = Path(os.environ.get("LANTERN_INSTANCE_PATH") or Path.cwd() / "instance").resolve()
    config = load_config(os.environ, instance)
    config.setdefault("OUTBOX_FOLDER", str(instance / "outbox"))
    return config


def drain_once(config: Mapping[str, Any]) -> Any:
    """Drain the outbox once with the configured transport (and SMS sender when ``SMS_URL`` is
    set); return the ``DrainReport``."""
    from sqlalchemy.pool import NullPool

    from portal.clock import utcnow
    from portal.db import make_engine, session_factory
    from portal.services import outbox
    from portal.services.sms import sms_sender_for

    engine = make_engine(str(config["DATABASE_URL"]), poolclass=NullPool)
    try:
        return outbox.drain(
            session_factory(engine),
            outbox.transport_for(config),
            sender=str(config["MAIL_FROM"]),
            now=utcnow,
            sms=sms_sender_for(config),
        )
    finally:
        engine.dispose()


def start_background_drainer(
    config: Mapping[str, Any], interval: float = 15.0
) -> subprocess.Popen[bytes]:
    """Start ``lantern mail send --loop`` as a child process watching this one (see the module
    docstring); it reads the same ``LANTERN_*`` environment. Returns the process."""
    process = subprocess.Popen(  # noqa: S603  (our own interpreter and arguments)
        [
            sys.executable,
            "-m",
            "portal",
            "mail",
            "send",
            "--loop",
            "--interval",
            str(interval),
            "--parent-pid",
            str(os.getpid()),
        ],
        env={**os.environ, "LANTERN_DATABASE_URL": str(config["DATABASE_URL"])},
    )

    def stop() -> None:
        if process.poll() is None:
            process.terminate()

    atexit.register(stop)
    return process


@click.group("mail")
def mail_group() -> None:
    """The email outbox."""


@mail_group.command("send")
@click.option("--loop", is_flag=True, help="Keep draining every --interval seconds.")
@click.option("--interval", default=15.0, show_default=True, type=float)
@click.option("--parent-pid", type=int, default=None, hidden=True)
def mail_send(loop: bool, interval: float, parent_pid: int | None) -> None:
    """Send every due email and SMS in the outbox (SMTP via LANTERN_SMTP_URL, else .eml files;
    SMS via LANTERN_SMS_URL when set). Letters are printed from the staff "Letters to print"
    page."""
    config = _config()
    if not loop:
        report = drain_once(config)
        click.echo(f"sent {report.sent}, will retry {report.retried}, failed {report.failed}")
        return
    from portal.services.outbox import run_forever

    stop = threading.Event()
    click.echo(f"draining the outbox every {interval:g} s (Ctrl-C to stop)")

    def once() -> Any:
        if parent_pid is not None and os.getppid() != parent_pid:
            stop.set()  # the server that started us is gone
            return None
        report = drain_once(config)
        if report.attempted:
            click.echo(f"sent {report.sent}, will retry {report.retried}, failed {report.failed}")
        return report

    if parent_pid is not None:

        def watch_parent() -> None:
            while not stop.wait(1.0):
                if os.getppid() != parent_pid:
                    stop.set()

        threading.Thread(target=watch_parent, daemon=True).start()
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
