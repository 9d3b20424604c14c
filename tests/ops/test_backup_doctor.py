"""``lantern doctor`` says whether this machine can back up its PostgreSQL database."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from portal.services.doctor import Status, check_backup_tools
from tests.support import require

POSTGRES = {"DATABASE_URL": "postgresql://lantern@/lantern?host=/run/postgresql"}


def test_pg_dump_installed_is_ok() -> None:
    require(shutil.which("pg_dump") is not None, "pg_dump is not installed (postgresql-client)")
    finding = check_backup_tools(POSTGRES)
    assert finding is not None and finding.status is Status.OK
    assert "pg_dump (PostgreSQL)" in finding.message


def test_pg_dump_missing_is_a_warning_that_names_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH with no programs at all
    finding = check_backup_tools(POSTGRES)
    assert finding is not None and finding.status is Status.WARNING
    assert "pg_dump and pg_restore not installed" in finding.message
    assert "postgresql-client" in finding.message


def test_sqlite_needs_no_backup_tool() -> None:
    assert check_backup_tools({"DATABASE_URL": "sqlite:////var/lib/lantern/x.sqlite3"}) is None
