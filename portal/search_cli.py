"""``lantern search reindex``: (re)build the case search index.

Intake, corrections and officer changes keep the index current as they happen; cases that reach
the database another way (``lantern seed``, ``lantern import``, a restore from backup) are not
in it until this runs. Safe to run any time; it rebuilds every case's document.
"""

from __future__ import annotations

import click


@click.group("search")
def search_group() -> None:
    """The case search index."""


@search_group.command("reindex")
@click.option("--progress/--no-progress", default=True, help="Show a progress line.")
def reindex(progress: bool) -> None:
    """Rebuild the search document of every case (after a seed, an import or a restore)."""
    from portal.cli import database_url
    from portal.clock import utcnow
    from portal.db import make_engine, session_factory
    from portal.services.search import rebuild_index

    def report(done: int, total: int) -> None:
        if progress:
            click.echo(f"\rindexed {done:,} of {total:,} cases", nl=False, err=True)

    engine = make_engine(database_url())
    try:
        with session_factory(engine)() as session:
            count = rebuild_index(session, now=utcnow(), batch=1000, progress=report)
    finally:
        engine.dispose()
    if progress and count:
        click.echo("", err=True)
    click.echo(f"search index rebuilt: {count:,} cases")


def register(main: click.Group) -> None:
    """Add ``lantern search`` to the command line."""
    main.add_command(search_group)
