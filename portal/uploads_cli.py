"""``lantern uploads sweep``: remove evidence files no complaint refers to.

A resident whose submission failed validation, and who then gave up, leaves accepted files in
the uploads folder (they were kept so the form need not ask for them again). Run this from cron,
e.g. daily; files younger than ``--older-than-hours`` are left alone because a resident may still
be filling in the form.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click


@click.group("uploads")
def uploads_group() -> None:
    """Evidence files in the uploads folder."""


@uploads_group.command("sweep")
@click.option(
    "--older-than-hours",
    default=24,
    show_default=True,
    type=click.IntRange(min=1),
    help="Only remove files not modified for this long.",
)
def sweep(older_than_hours: int) -> None:
    """Remove uploaded files that no complaint refers to (abandoned forms, partial writes)."""
    from portal import create_app
    from portal.clock import utcnow
    from portal.db import make_engine, session_factory
    from portal.services.evidence import sweep_orphans

    app = create_app()
    engine = make_engine(app.config["DATABASE_URL"])
    try:
        with session_factory(engine)() as session:
            removed = sweep_orphans(
                session,
                Path(app.config["UPLOAD_FOLDER"]),
                older_than=utcnow() - dt.timedelta(hours=older_than_hours),
            )
    finally:
        engine.dispose()
    click.echo(f"removed {removed} unattached file(s)")


def register(main: click.Group) -> None:
    """Add ``lantern uploads`` to the command line."""
    main.add_command(uploads_group)
