"""The database session of the current request (one per request, closed at teardown)."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from portal.db import make_engine, session_factory

_KEY = "lantern.db"


def init_db(app: Flask) -> None:
    """Create the app's engine and register the teardown that closes request sessions."""
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions[_KEY] = (engine, session_factory(engine))
    app.teardown_appcontext(_close_session)


def engine() -> Engine:
    """The current app's engine."""
    return current_app.extensions[_KEY][0]  # type: ignore[no-any-return]


def factory() -> sessionmaker[Session]:
    """The current app's session factory (for work outside a request, e.g. background mail)."""
    return current_app.extensions[_KEY][1]  # type: ignore[no-any-return]


def db_session() -> Session:
    """The request's session, opened on first use."""
    if "db_session" not in g:
        g.db_session = factory()()
    return g.db_session  # type: ignore[no-any-return]


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
