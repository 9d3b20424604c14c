"""``lantern demo --no-serve`` twice on one fresh instance: set up once, then reuse everything."""

from __future__ import annotations

from pathlib import Path

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from portal.cli import main
from portal.demo import DEMO_STAFF_EMAIL
from portal.models import Complaint, Staff
from portal.vocabulary import StaffRole


def _cases(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(Complaint)).scalar_one())


def test_demo_twice_seeds_once_and_reuses_the_release(
    database_url: str, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANTERN_DATABASE_URL", database_url)
    monkeypatch.setenv("LANTERN_INSTANCE_PATH", str(tmp_path / "instance"))
    releases, site = tmp_path / "releases", tmp_path / "site"
    args = ["demo", "--no-serve", "--cases", "40", "--releases", str(releases)]
    args += ["--site-out", str(site)]
    runner = CliRunner()

    first = runner.invoke(main, args)
    assert first.exit_code == 0, first.output
    assert "seeded 40 synthetic demo cases" in first.output
    assert "release 1.0.0 published" in first.output
    assert (releases / "1.0.0" / "datapackage.json").exists()
    assert (releases / "1.0.0" / "SHA256SUMS").exists()
    assert _cases(engine) == 40
    assert (site / "index.html").exists()
    assert "http://127.0.0.1:5000/data/" in first.output
    login = next(line for line in first.output.splitlines() if "demo staff login" in line)
    password = login.split("temporary password ")[1].split()[0]
    with engine.connect() as conn:
        stored = conn.execute(
            select(Staff.password_hash, Staff.role).where(Staff.email == DEMO_STAFF_EMAIL)
        ).one()
    assert stored.role == StaffRole.SUPERVISOR
    assert PasswordHasher().verify(stored.password_hash, password)  # the printed one works

    second = runner.invoke(main, args)
    assert second.exit_code == 0, second.output
    assert "already has 40 cases: not seeding" in second.output
    assert "release 1.0.0 already exists" in second.output
    assert f"temporary password {password}" in second.output  # same account, printed again
    # The pseudonym key the demo created stays in the instance folder, never in the release.
    key = (tmp_path / "instance" / "pseudonym_key").read_text().strip()
    assert not any(key.encode() in p.read_bytes() for p in releases.rglob("*") if p.is_file())
    assert _cases(engine) == 40
