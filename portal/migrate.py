"""Alembic, driven from code: ``lantern db upgrade`` and the tests use these functions."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from portal.db import normalize_url

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database_url: str) -> Config:
    """An Alembic config pointing at Lantern's migrations and ``database_url``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser interpolation: a literal % in a password must be doubled.
    config.set_main_option("sqlalchemy.url", normalize_url(database_url).replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database at ``database_url`` up to ``revision`` (creating it if needed)."""
    command.upgrade(alembic_config(database_url), revision)


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Alembic ``include_object`` hook: leave out the search index's backend-specific objects
    (FTS5 tables on SQLite, the tsvector column and its GIN index on PostgreSQL), which the
    ORM does not describe (see ``portal.models.search``)."""
    from portal.models.search import is_backend_specific

    table = getattr(getattr(obj, "table", None), "name", None)
    return not is_backend_specific(name, type_, table)
