"""``lantern staff add / disable / enable / reset / list`` (Click runner, both databases)."""

from __future__ import annotations

import re

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner, Result
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.cli import main
from portal.models import AuditEntry, Staff


@pytest.fixture
def run(database_url: str, tmp_path):
    def invoke(*args: str) -> Result:
        env = {"LANTERN_DATABASE_URL": database_url, "LANTERN_INSTANCE_PATH": str(tmp_path)}
        return CliRunner().invoke(main, ["staff", *args], env=env)

    return invoke


def temporary_password(output: str) -> str:
    match = re.search(r"Temporary password \(shown once[^)]*\): (\S+)", output)
    assert match, output
    return match.group(1)


def account(db: Session, email: str) -> Staff:
    db.rollback()  # a new transaction sees what the command committed
    staff = db.scalars(select(Staff).where(Staff.email == email)).one()
    return staff


def test_add_prints_a_temporary_password_that_works(run, db: Session) -> None:
    result = run("add", "Dana.Reyes@Oversight.example", "--role", "supervisor", "--name", "Dana")
    assert result.exit_code == 0, result.output
    password = temporary_password(result.output)
    staff = account(db, "dana.reyes@oversight.example")
    assert staff.role.value == "supervisor" and staff.name == "Dana"
    assert staff.is_active and not staff.is_totp_enrolled
    assert staff.password_hash and PasswordHasher().verify(staff.password_hash, password)
    entry = db.scalars(select(AuditEntry)).one()
    assert (entry.action, entry.actor_id, entry.object_id) == ("staff.add", None, staff.id)
    assert password not in repr((entry.before, entry.after, entry.detail))


def test_add_refuses_a_duplicate_an_invalid_email_and_an_unknown_role(run) -> None:
    assert run("add", "a@x.org", "--role", "intake").exit_code == 0
    again = run("add", "A@X.org", "--role", "admin")
    assert again.exit_code == 1 and "already exists" in again.output
    bad = run("add", "not-an-email", "--role", "admin")
    assert bad.exit_code == 1 and "not a valid email" in bad.output
    role = run("add", "b@x.org", "--role", "boss")
    assert role.exit_code == 2 and "boss" in role.output
    missing = run("add", "c@x.org")
    assert missing.exit_code == 2 and "--role" in missing.output


def test_disable_enable_and_reset(run, db: Session) -> None:
    run("add", "ivy@x.org", "--role", "investigator")
    before = account(db, "ivy@x.org").session_version
    disabled = run("disable", "IVY@x.org")
    assert disabled.exit_code == 0 and "Disabled ivy@x.org" in disabled.output
    staff = account(db, "ivy@x.org")
    assert not staff.is_active and staff.session_version == before + 1
    assert run("disable", "ivy@x.org").exit_code == 1  # already disabled
    assert run("enable", "ivy@x.org").exit_code == 0
    assert account(db, "ivy@x.org").is_active
    reset = run("reset", "ivy@x.org")
    assert reset.exit_code == 0
    password = temporary_password(reset.output)
    staff = account(db, "ivy@x.org")
    assert staff.password_hash and PasswordHasher().verify(staff.password_hash, password)
    assert staff.totp_secret is None and not staff.is_totp_enrolled
    actions = list(db.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions == ["staff.add", "staff.disable", "staff.enable", "staff.reset"]


@pytest.mark.parametrize("command", ["disable", "enable", "reset"])
def test_unknown_account_is_an_error(run, command: str) -> None:
    result = run(command, "nobody@x.org")
    assert result.exit_code == 1
    assert "No staff account has that email" in result.output


def test_list(run) -> None:
    empty = run("list")
    assert empty.exit_code == 0 and "No staff accounts yet" in empty.output
    run("add", "b@x.org", "--role", "admin")
    run("add", "a@x.org", "--role", "commissioner")
    run("disable", "b@x.org")
    listing = run("list").output.splitlines()
    assert listing[0].split() == ["email", "role", "state", "last", "sign-in"]
    assert listing[1].split() == ["a@x.org", "commissioner", "not", "set", "up", "never"]
    assert listing[2].split() == ["b@x.org", "admin", "disabled", "never"]


def test_role(run, db: Session) -> None:
    run("add", "r@x.org", "--role", "intake")
    version = account(db, "r@x.org").session_version
    result = run("role", "r@x.org", "investigator")
    assert result.exit_code == 0 and "now investigator" in result.output
    staff = account(db, "r@x.org")
    assert staff.role.value == "investigator" and staff.session_version == version + 1
    assert run("role", "r@x.org", "investigator").exit_code == 1
    assert run("role", "r@x.org", "king").exit_code == 2
    assert run("role", "nobody@x.org", "admin").exit_code == 1
