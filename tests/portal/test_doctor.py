"""``lantern doctor`` against real files, real databases (fresh SQLite and PostgreSQL), a real
Redis and a loopback port with nothing listening; and the ``*_FILE`` secrets it checks."""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.engine import make_url

from portal import create_app
from portal.cli import main
from portal.config import ConfigError
from portal.db import make_engine, normalize_url
from portal.services.doctor import (
    MB,
    Deployment,
    Finding,
    Status,
    check_database,
    check_disk,
    check_key_files,
    check_mail,
    check_redis,
    check_uploads,
    run_checks,
)
from publisher.keys import PseudonymKeyError, load_key
from tests.conftest import POSTGRES_ADMIN_URL, _postgres_reachable
from tests.support import free_port, require

REDIS_URL = os.environ.get("LANTERN_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
SECRET = "s3cret-value-that-must-never-be-printed-0123456789"
CODE_KEY = "another-secret-value-never-printed-9876543210abcdef"


def by_check(findings: list[Finding], check: str) -> list[Finding]:
    return [f for f in findings if f.check == check]


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "LANTERN_ENV": "production",
        "LANTERN_INSTANCE_PATH": str(tmp_path / "instance"),
        **extra,
    }


# --- key files -------------------------------------------------------------------------------


def key_file(tmp_path: Path, name: str, mode: int, value: str = SECRET) -> Path:
    path = tmp_path / name
    path.write_text(value + "\n")
    path.chmod(mode)
    return path


def test_a_key_file_others_can_read_is_a_problem_and_0600_is_ok(tmp_path: Path) -> None:
    loose = key_file(tmp_path, "secret_key", 0o644)
    tight = key_file(tmp_path, "access_code_key", 0o600, CODE_KEY)
    env = production_env(
        tmp_path, LANTERN_SECRET_KEY_FILE=str(loose), LANTERN_ACCESS_CODE_KEY_FILE=str(tight)
    )
    findings = check_key_files(Deployment(env, tmp_path))
    [bad] = by_check(findings, "key file secret_key")
    assert bad.status is Status.PROBLEM
    assert "mode 0644" in bad.message and f"chmod 600 {loose}" in bad.message
    [good] = by_check(findings, "key file access_code_key")
    assert good.status is Status.OK

    loose.chmod(0o640)  # group-readable is still readable by someone else
    [bad] = by_check(check_key_files(Deployment(env, tmp_path)), "key file secret_key")
    assert bad.status is Status.PROBLEM and "0640" in bad.message


def test_the_pseudonym_key_file_in_the_instance_folder_is_checked_too(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    instance.mkdir()
    key_file(instance, "pseudonym_key", 0o644, "k" * 64)
    findings = check_key_files(Deployment(production_env(tmp_path), tmp_path))
    [finding] = by_check(findings, "key file pseudonym_key")
    assert finding.status is Status.PROBLEM


# --- secrets and the command ------------------------------------------------------------------


def run_doctor(env: dict[str, str], cwd: Path, *args: str) -> tuple[int, str]:
    """``lantern doctor`` with exactly ``env`` (nothing inherited from the test's environment)."""
    cleared: dict[str, str | None] = {k: None for k in os.environ if k.startswith("LANTERN_")}
    old = Path.cwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(main, ["doctor", *args], env={**cleared, **env})
    finally:
        os.chdir(old)
    return result.exit_code, result.output


def test_production_without_its_secrets_exits_1_and_says_what_to_set(tmp_path: Path) -> None:
    code, output = run_doctor(production_env(tmp_path), tmp_path)
    assert code == 1
    lines = output.splitlines()
    assert any(
        line.startswith("PROBLEM") and "LANTERN_SECRET_KEY is not set" in line for line in lines
    )
    assert any(
        line.startswith("PROBLEM") and "LANTERN_ACCESS_CODE_KEY is not set" in line
        for line in lines
    )
    assert any(line.startswith("PROBLEM") and "LANTERN_REDIS_URL" in line for line in lines)
    assert "problem(s)" in output
    # The doctor changed nothing: no SQLite file, no generated secret, no instance folder.
    assert not (tmp_path / "instance").exists()


def test_instance_key_files_do_not_count_in_production(tmp_path: Path) -> None:
    """The portal ignores instance/secret_key in production: so does the doctor."""
    instance = tmp_path / "instance"
    instance.mkdir()
    key_file(instance, "secret_key", 0o600)
    findings = run_checks(Deployment(production_env(tmp_path), tmp_path))
    [finding] = by_check(findings, "secret LANTERN_SECRET_KEY")
    assert finding.status is Status.PROBLEM and "not set" in finding.message
    local = run_checks(Deployment({"LANTERN_INSTANCE_PATH": str(instance)}, tmp_path))
    assert by_check(local, "secret LANTERN_SECRET_KEY")[0].status is Status.OK


def test_secret_values_are_never_printed_text_or_json(tmp_path: Path) -> None:
    pg = make_url(normalize_url(POSTGRES_ADMIN_URL)).set(password="pg-password-never-shown")
    env = production_env(
        tmp_path,
        LANTERN_SECRET_KEY=SECRET,
        LANTERN_ACCESS_CODE_KEY="short-but-secret",
        LANTERN_PSEUDONYM_KEY=CODE_KEY,
        LANTERN_DATABASE_URL=pg.render_as_string(hide_password=False),
        LANTERN_REDIS_URL=f"redis://:redis-password-never-shown@127.0.0.1:{free_port()}/0",
        LANTERN_SMTP_URL="smtps://mailer:smtp-password-never-shown@127.0.0.1:465",
    )
    for args in ((), ("--json",)):
        code, output = run_doctor(env, tmp_path, *args)
        assert code == 1
        for value in (
            SECRET,
            "short-but-secret",
            CODE_KEY,
            "pg-password-never-shown",
            "redis-password-never-shown",
            "smtp-password-never-shown",
        ):
            assert value not in output
    report = json.loads(output)
    assert report["status"] == "problem"
    statuses = {f["check"]: f["status"] for f in report["findings"]}
    assert statuses["secret LANTERN_SECRET_KEY"] == "ok"
    assert statuses["secret LANTERN_ACCESS_CODE_KEY"] == "warning"  # 16 characters
    assert statuses["mail"] == "ok"


def test_the_same_value_for_two_keys_is_a_problem(tmp_path: Path) -> None:
    env = production_env(tmp_path, LANTERN_SECRET_KEY=SECRET, LANTERN_ACCESS_CODE_KEY=SECRET)
    findings = run_checks(Deployment(env, tmp_path))
    assert any(
        f.status is Status.PROBLEM and "same value as LANTERN_SECRET_KEY" in f.message
        for f in findings
    )


def test_a_setting_that_stops_the_portal_is_named(tmp_path: Path) -> None:
    env = production_env(tmp_path, LANTERN_LOOKUP_LOCK_MINUTES="fifteen")
    [finding] = by_check(run_checks(Deployment(env, tmp_path)), "configuration")
    assert finding.status is Status.PROBLEM and "LANTERN_LOOKUP_LOCK_MINUTES" in finding.message


# --- the database -----------------------------------------------------------------------------


def test_a_migrated_database_is_ok(database_url: str, tmp_path: Path) -> None:
    [finding] = check_database({"DATABASE_URL": database_url}, Deployment({}, tmp_path))
    assert finding.status is Status.OK and "migrated" in finding.message


def test_a_fresh_sqlite_database_is_not_migrated_and_stays_untouched(tmp_path: Path) -> None:
    path = tmp_path / "fresh.sqlite3"
    sqlite3.connect(path).close()
    before = path.read_bytes()
    [finding] = check_database({"DATABASE_URL": f"sqlite:///{path}"}, Deployment({}, tmp_path))
    assert finding.status is Status.PROBLEM
    assert "not migrated" in finding.message and "lantern db upgrade" in finding.message
    assert path.read_bytes() == before

    missing = tmp_path / "nowhere" / "lantern.sqlite3"
    [finding] = check_database({"DATABASE_URL": f"sqlite:///{missing}"}, Deployment({}, tmp_path))
    assert finding.status is Status.PROBLEM and "does not exist" in finding.message
    assert not missing.parent.exists()


@pytest.fixture
def fresh_postgres() -> Iterator[str]:
    """A new, empty PostgreSQL database (never migrated), dropped afterwards."""
    reason = _postgres_reachable()
    require(reason is None, reason or "")
    name = f"lantern_doctor_{uuid.uuid4().hex[:10]}"
    admin = make_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(normalize_url(POSTGRES_ADMIN_URL)).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def test_a_fresh_postgresql_database_is_not_migrated(fresh_postgres: str, tmp_path: Path) -> None:
    [finding] = check_database({"DATABASE_URL": fresh_postgres}, Deployment({}, tmp_path))
    assert finding.status is Status.PROBLEM and "not migrated" in finding.message


def test_a_database_nobody_answers_for_is_a_problem(tmp_path: Path) -> None:
    url = f"postgresql://lantern:pw-hidden@127.0.0.1:{free_port()}/lantern"
    [finding] = check_database({"DATABASE_URL": url}, Deployment({}, tmp_path))
    assert finding.status is Status.PROBLEM and "cannot reach the database" in finding.message
    assert "pw-hidden" not in finding.message and "***" in finding.message


# --- Redis ------------------------------------------------------------------------------------


def test_redis_reachable_is_ok(tmp_path: Path) -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        require(False, f"Redis at {REDIS_URL} is not reachable: {type(error).__name__}")
    finding = check_redis({"REDIS_URL": REDIS_URL}, Deployment({}, tmp_path))
    assert finding.status is Status.OK


def test_redis_port_with_nothing_listening_is_a_problem(tmp_path: Path) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    finding = check_redis({"REDIS_URL": url}, Deployment({}, tmp_path))
    assert finding.status is Status.PROBLEM and "cannot reach Redis" in finding.message


# --- mail -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("smtp://user:pw@mail.example.org:port", Status.PROBLEM),
        ("http://mail.example.org", Status.PROBLEM),
        ("smtp://", Status.PROBLEM),
        ("smtp://user:pw@mail.example.org:587", Status.WARNING),  # STARTTLS only if offered
        ("smtp+starttls://user:pw@mail.example.org:587", Status.OK),
        ("smtps://user:pw@mail.example.org", Status.OK),
    ],
)
def test_smtp_urls(url: str, status: Status, tmp_path: Path) -> None:
    config = {"SMTP_URL": url, "MAIL_FROM": "Office <complaints@example.org>"}
    [mail, sender] = check_mail(config, Deployment({"LANTERN_ENV": "production"}, tmp_path))
    assert mail.status is status
    assert "pw" not in mail.message
    assert sender.status is Status.OK


def test_no_smtp_in_production_warns_and_a_bad_sender_is_a_problem(tmp_path: Path) -> None:
    config = {"SMTP_URL": None, "MAIL_FROM": "the office"}
    [mail, sender] = check_mail(config, Deployment({"LANTERN_ENV": "production"}, tmp_path))
    assert mail.status is Status.WARNING and "reach nobody" in mail.message
    assert sender.status is Status.PROBLEM


# --- uploads and disk -------------------------------------------------------------------------


def test_uploads_folder_missing_or_a_file_is_a_problem(tmp_path: Path) -> None:
    finding = check_uploads(tmp_path / "uploads")
    assert finding.status is Status.PROBLEM and "does not exist" in finding.message
    (tmp_path / "uploads").write_text("")
    assert check_uploads(tmp_path / "uploads").status is Status.PROBLEM


def test_uploads_folder_writable_and_private_is_ok_and_left_empty(tmp_path: Path) -> None:
    folder = tmp_path / "uploads"
    folder.mkdir(mode=0o700)
    assert check_uploads(folder).status is Status.OK
    assert list(folder.iterdir()) == []
    folder.chmod(0o777)
    assert check_uploads(folder).status is Status.WARNING


def test_uploads_folder_the_service_user_cannot_write_to(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Root writes anywhere, so as root the check runs in a child that became ``nobody``."""
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="lantern-doctor-"))  # /tmp: traversable by nobody
    try:
        folder = base / "uploads"
        folder.mkdir()
        base.chmod(0o755)
        folder.chmod(0o555)
        if os.geteuid() != 0:
            finding = check_uploads(folder)
        else:
            read, write = os.pipe()
            with warnings.catch_warnings():  # 3.12+ warns on fork with threads; the child
                warnings.simplefilter("ignore", DeprecationWarning)  # only runs one check
                pid = os.fork()
            if pid == 0:  # the child: drop to nobody, run the check, report, leave
                try:
                    os.close(read)
                    os.setgid(65534)
                    os.setuid(65534)
                    result = check_uploads(folder)
                    os.write(write, json.dumps(result.as_dict()).encode())
                finally:
                    os._exit(0)
            os.close(write)
            with os.fdopen(read) as pipe:
                data = json.loads(pipe.read())
            os.waitpid(pid, 0)
            finding = Finding(data["check"], Status(data["status"]), data["message"])
        assert finding.status is Status.PROBLEM and "cannot write" in finding.message
    finally:
        folder.chmod(0o700)
        folder.rmdir()
        base.rmdir()


def test_low_disk_space_is_a_problem_at_the_configured_threshold(tmp_path: Path) -> None:
    import shutil

    free = shutil.disk_usage(tmp_path).free
    assert check_disk(tmp_path, min_free_bytes=max(free - 512 * MB, 0)).status is Status.OK
    low = check_disk(tmp_path, min_free_bytes=free + 1024 * MB)
    assert low.status is Status.PROBLEM and "MB free" in low.message


def test_min_free_mb_reaches_the_disk_check(tmp_path: Path) -> None:
    (tmp_path / "instance" / "uploads").mkdir(parents=True, mode=0o700)
    env = production_env(tmp_path)
    _code, output = run_doctor(env, tmp_path, "--json", "--min-free-mb", str(10**9))
    statuses = {f["check"]: f["status"] for f in json.loads(output)["findings"]}
    assert statuses["disk space"] == "problem"
    assert statuses["uploads"] == "ok"


# --- secrets from files (what the doctor checks) ----------------------------------------------


def test_the_portal_reads_its_keys_from_files(tmp_path: Path) -> None:
    secret = key_file(tmp_path, "secret", 0o600)
    code = key_file(tmp_path, "code", 0o600, CODE_KEY)
    app = create_app(
        environ=production_env(
            tmp_path,
            LANTERN_SECRET_KEY_FILE=str(secret),
            LANTERN_ACCESS_CODE_KEY_FILE=str(code),
            LANTERN_REDIS_URL="redis://127.0.0.1:6379/0",
        )
    )
    assert app.config["SECRET_KEY"] == SECRET and app.config["ACCESS_CODE_KEY"] == CODE_KEY


def test_key_file_mistakes_stop_the_portal_with_a_clear_message(tmp_path: Path) -> None:
    secret = key_file(tmp_path, "secret", 0o600)
    both = production_env(
        tmp_path, LANTERN_SECRET_KEY_FILE=str(secret), LANTERN_SECRET_KEY="inline"
    )
    with pytest.raises(ConfigError, match="LANTERN_SECRET_KEY or LANTERN_SECRET_KEY_FILE"):
        create_app(environ=both)
    gone = production_env(tmp_path, LANTERN_SECRET_KEY_FILE=str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match=r"cannot read .*missing"):
        create_app(environ=gone)
    empty = key_file(tmp_path, "empty", 0o600, "")
    with pytest.raises(ConfigError, match="is empty"):
        create_app(environ=production_env(tmp_path, LANTERN_SECRET_KEY_FILE=str(empty)))


def test_the_publisher_reads_its_pseudonym_key_from_a_file(tmp_path: Path) -> None:
    path = key_file(tmp_path, "pseudonym", 0o600, "p" * 40)
    env = {"LANTERN_PSEUDONYM_KEY_FILE": str(path), "LANTERN_INSTANCE_PATH": str(tmp_path / "i")}
    assert load_key(env) == b"p" * 40
    assert not (tmp_path / "i").exists()  # no key file was created beside it
    with pytest.raises(PseudonymKeyError, match="cannot read"):
        load_key({**env, "LANTERN_PSEUDONYM_KEY_FILE": str(tmp_path / "missing")})


def test_a_command_with_an_unreadable_key_file_stops_with_the_message(tmp_path: Path) -> None:
    env = {
        "LANTERN_INSTANCE_PATH": str(tmp_path / "instance"),
        "LANTERN_SECRET_KEY_FILE": str(tmp_path / "missing"),
    }
    code, output = run_doctor(env, tmp_path)  # the doctor reports it as a finding …
    assert code == 1 and "PROBLEM  configuration" in output and "cannot read" in output
    cleared: dict[str, str | None] = {k: None for k in os.environ if k.startswith("LANTERN_")}
    result = CliRunner().invoke(main, ["db", "upgrade"], env={**cleared, **env})
    assert result.exit_code == 2  # … every other command stops with it, no traceback
    assert f"LANTERN_SECRET_KEY_FILE: cannot read {tmp_path / 'missing'}" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "instance").exists()  # no database was created
