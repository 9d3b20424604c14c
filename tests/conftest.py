"""Shared fixtures: the database under test (SQLite always, PostgreSQL too), the app, clients,
a real server process, and the ``require`` rule for missing components.

Every test that uses ``database_url`` (directly or through ``app``/``client``/``db``) runs twice:
``[sqlite]`` and ``[postgresql]``. PostgreSQL comes from ``LANTERN_TEST_POSTGRES_URL`` (default
``postgresql://postgres@127.0.0.1:5432/test``); each test run creates its own database there and
drops it at the end. With ``CI=true`` a missing component fails the test instead of skipping it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from portal import create_app
from portal.db import make_engine, normalize_url, session_factory
from portal.migrate import upgrade
from portal.models import Base
from tests.support import free_port, require, wait_for_http

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_ADMIN_URL = os.environ.get(
    "LANTERN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


# --- databases ---------------------------------------------------------------------------------


def _postgres_reachable() -> str | None:
    """None when PostgreSQL answers, else the reason it does not."""
    try:
        engine = make_engine(POSTGRES_ADMIN_URL)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
    except Exception as error:
        return f"PostgreSQL at {POSTGRES_ADMIN_URL} is not reachable: {type(error).__name__}"
    return None


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once per run; each test gets a copy."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test run, migrated once, dropped at the end."""
    reason = _postgres_reachable()
    if reason:
        require(
            False,
            reason + " (start it: pg_ctlcluster --skip-systemctl-redirect "
            "$(ls /etc/postgresql) main start)",
        )
    name = f"lantern_test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(normalize_url(POSTGRES_ADMIN_URL)).set(database=name)
    url_text = url.render_as_string(hide_password=False)
    upgrade(url_text)
    yield url_text
    with admin.connect() as conn:
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": name},
        )
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def _truncate_postgres(url: str) -> None:
    engine = make_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database for one test: a SQLite copy, or the run's PostgreSQL database
    (emptied after the test)."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "lantern.sqlite3"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    url: str = request.getfixturevalue("postgres_database")
    try:
        yield url
    finally:
        _truncate_postgres(url)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on the test database."""
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session on the test database for arranging data and checking results."""
    session = session_factory(engine)()
    yield session
    session.close()


# --- the app -----------------------------------------------------------------------------------


def base_test_config(database_url: str, instance: Path) -> dict[str, Any]:
    """Configuration every test app starts from."""
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "ACCESS_CODE_KEY": "test-access-code-key",
        "UPLOAD_FOLDER": str(instance / "uploads"),
        "OUTBOX_FOLDER": str(instance / "outbox"),
        "SITE_FOLDER": str(instance / "site"),
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
    }


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Per-test overrides of the app configuration (override this fixture in a module)."""
    return {}


@pytest.fixture
def app(database_url: str, tmp_path: Path, app_config: dict[str, Any]) -> Iterator[Flask]:
    """The portal app on the test database, with an instance folder of its own."""
    instance = tmp_path / "instance"
    config = base_test_config(database_url, instance) | app_config
    application = create_app(config, environ={"LANTERN_INSTANCE_PATH": str(instance)})
    yield application
    from portal.request_db import engine as app_engine

    with application.app_context():
        app_engine().dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of the app."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """A CLI runner of the app."""
    return app.test_cli_runner()


# --- a real server process ---------------------------------------------------------------------


class LiveServer:
    """A gunicorn process serving the portal on a loopback port."""

    def __init__(self, url: str, process: subprocess.Popen[bytes], log: Path) -> None:
        self.url = url
        self.process = process
        self.log = log

    def output(self) -> str:
        """Everything the server wrote to stdout/stderr so far."""
        return self.log.read_text(errors="replace")


def start_live_server(
    database_url: str, instance: Path, extra_env: dict[str, str] | None = None, workers: int = 2
) -> LiveServer:
    """Start ``lantern serve`` in a subprocess on a free loopback port and wait until it answers."""
    port = free_port()
    env = {
        **os.environ,
        "LANTERN_DATABASE_URL": database_url,
        "LANTERN_INSTANCE_PATH": str(instance),
        "LANTERN_SECRET_KEY": "test-secret-key-not-for-production",
        "LANTERN_ACCESS_CODE_KEY": "test-access-code-key",
        **(extra_env or {}),
    }
    instance.mkdir(parents=True, exist_ok=True)
    log = instance / "server.log"
    handle = log.open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "portal",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--no-migrate",
        ],
        cwd=instance,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    handle.close()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(url + "/healthz", timeout=30, process=process)
    except Exception:
        process.kill()
        process.wait()
        raise RuntimeError(
            "live server did not start:\n" + log.read_text(errors="replace")
        ) from None
    return LiveServer(url, process, log)


def stop_live_server(server: LiveServer) -> None:
    """Stop the server process and wait for it."""
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture
def live_server(database_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    """The portal under gunicorn (2 workers) on loopback, on the test database."""
    server = start_live_server(database_url, tmp_path / "live-instance")
    yield server
    stop_live_server(server)
