"""``lantern doctor``: check a deployment's configuration and say in plain words what is wrong.

Each check looks at one thing (the mode, the secrets, each key file, the database, Redis, mail,
the uploads folder, its disk, the statistics site, the public address) and returns a ``Finding``:
``ok``, ``warning`` (works, but not as an office should run it) or ``problem`` (broken, or
unsafe: fix it before going live), with a message that says what to do.

The checks read the same ``LANTERN_*`` environment the portal reads, need no Flask request and
change nothing: the database is opened read-only (a SQLite file that does not exist is not
created), the only write is a temporary file in the uploads folder, removed at once, to prove the
service user can write there. No message ever contains a secret: database and Redis addresses
are shown with their password masked, keys only by name, length and file mode.
"""

from __future__ import annotations

import enum
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from portal.config import ConfigError, Defaults, default_folders, load_config

#: Keys shorter than this are guessable: the doctor warns (the pseudonym key is refused below it).
MIN_SECRET_LENGTH = 32
#: Free space the uploads disk should keep by default (``--min-free-mb``).
DEFAULT_MIN_FREE_MB = 1024
MB = 1024 * 1024
#: Seconds to wait for the database or Redis to answer.
CONNECT_TIMEOUT = 5


class Status(enum.StrEnum):
    """How a check came out."""

    OK = "ok"
    WARNING = "warning"
    PROBLEM = "problem"


@dataclass(frozen=True)
class Finding:
    """The outcome of one check: what was checked, how it came out, what to do."""

    check: str
    status: Status
    message: str

    def as_dict(self) -> dict[str, str]:
        """A JSON-ready dict (``status`` as its plain value)."""
        return {**asdict(self), "status": self.status.value}


@dataclass(frozen=True)
class Deployment:
    """What the checks look at: the environment, the instance folder and the working directory
    (where ``build/site`` and ``data_releases`` live), and the free space to insist on."""

    environ: Mapping[str, str]
    cwd: Path
    min_free_bytes: int = DEFAULT_MIN_FREE_MB * MB

    @property
    def instance(self) -> Path:
        """The instance folder, resolved as the portal resolves it."""
        raw = self.environ.get("LANTERN_INSTANCE_PATH")
        return (Path(raw) if raw else self.cwd / "instance").resolve()

    @property
    def production(self) -> bool:
        """True when ``LANTERN_ENV=production``."""
        return self.environ.get("LANTERN_ENV", Defaults.ENV) == "production"


def masked_url(url: str) -> str:
    """``url`` with any password replaced by ``***`` (and nothing after the path)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url.split("?", 1)[0]
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    user = parts.username or ""
    return f"{parts.scheme}://{user}:***@{host}{parts.path}"


# --- the configuration itself ----------------------------------------------------------------


def _config(deployment: Deployment) -> tuple[dict[str, Any] | None, list[Finding]]:
    """Load the configuration, or say which setting stops it from loading."""
    findings: list[Finding] = []
    for key in dir(Defaults):
        default = getattr(Defaults, key)
        raw = deployment.environ.get(f"LANTERN_{key}")
        if key.isupper() and isinstance(default, int) and not isinstance(default, bool) and raw:
            try:
                int(raw)
            except ValueError:
                findings.append(
                    Finding(
                        "configuration",
                        Status.PROBLEM,
                        f"LANTERN_{key} must be a whole number (it is not): fix it, "
                        "the portal does not start like this.",
                    )
                )
    if findings:
        return None, findings
    try:
        config = load_config(deployment.environ, deployment.instance)
    except ConfigError as error:
        return None, [
            Finding("configuration", Status.PROBLEM, f"{error}: fix it, the portal cannot start.")
        ]
    return config, []


def check_mode(deployment: Deployment) -> Finding:
    """Production mode on?"""
    if deployment.production:
        return Finding("mode", Status.OK, "LANTERN_ENV=production: the hard checks are on.")
    return Finding(
        "mode",
        Status.WARNING,
        "LANTERN_ENV is not 'production': secrets are generated into the instance folder and "
        "cookies are not marked Secure. Set LANTERN_ENV=production on a real deployment.",
    )


# --- secrets ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Secret:
    name: str  # environment variable
    instance_file: str  # file name in the instance folder used when the variable is unset
    what: str


_SECRETS = (
    _Secret("LANTERN_SECRET_KEY", "secret_key", "signs sessions and CSRF tokens"),
    _Secret("LANTERN_ACCESS_CODE_KEY", "access_code_key", "keys the complainants' access codes"),
    _Secret("LANTERN_PSEUDONYM_KEY", "pseudonym_key", "derives every published id"),
)


def _secret_value(deployment: Deployment, secret: _Secret) -> tuple[str | None, str]:
    """The secret's value and where it came from (value None: not found or unreadable)."""
    env = deployment.environ
    file_name = env.get(f"{secret.name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip() or None, file_name
        except OSError:
            return None, file_name
    if env.get(secret.name):
        return env[secret.name].strip(), "the environment"
    path = deployment.instance / secret.instance_file
    # The portal reads its two keys from the instance folder only outside production; the
    # publisher reads the pseudonym key from there in every mode.
    in_use = not deployment.production or secret.instance_file == "pseudonym_key"
    if in_use and path.is_file():
        try:
            return path.read_text(encoding="utf-8").strip() or None, str(path)
        except OSError:
            return None, str(path)
    return None, ""


def check_secrets(deployment: Deployment) -> list[Finding]:
    """The three keys: present, long enough, distinct (their values are never shown)."""
    findings: list[Finding] = []
    values: dict[str, str] = {}
    for secret in _SECRETS:
        value, source = _secret_value(deployment, secret)
        check = f"secret {secret.name}"
        if value is None and source:
            findings.append(
                Finding(
                    check,
                    Status.PROBLEM,
                    f"{secret.name} ({secret.what}) is empty or cannot be read from {source}: "
                    "fix the file or its permissions.",
                )
            )
            continue
        if value is None:
            pseudonym = secret.instance_file == "pseudonym_key"
            if pseudonym:
                status, advice = (
                    Status.WARNING,
                    "the first 'lantern publish' will create it in the instance folder; "
                    "back it up with the database, a lost key changes every published id.",
                )
            elif deployment.production:
                status, advice = (
                    Status.PROBLEM,
                    f"production refuses to start without it. Set {secret.name} or "
                    f"{secret.name}_FILE (a long random value, e.g. from "
                    "'openssl rand -base64 48').",
                )
            else:
                status, advice = (
                    Status.OK,
                    "it will be generated into the instance folder (development only).",
                )
            findings.append(Finding(check, status, f"{secret.name} is not set: {advice}"))
            continue
        values[secret.name] = value
        if len(value) < MIN_SECRET_LENGTH:
            status = Status.PROBLEM if secret.instance_file == "pseudonym_key" else Status.WARNING
            findings.append(
                Finding(
                    check,
                    status,
                    f"{secret.name} has only {len(value)} characters: use at least "
                    f"{MIN_SECRET_LENGTH} random ones (e.g. 'openssl rand -base64 48').",
                )
            )
            continue
        findings.append(
            Finding(check, Status.OK, f"{secret.name} is set ({len(value)} characters).")
        )
    seen: dict[str, str] = {}
    for name, value in values.items():
        if value in seen:
            findings.append(
                Finding(
                    f"secret {name}",
                    Status.PROBLEM,
                    f"{name} has the same value as {seen[value]}: give each key its own "
                    "random value.",
                )
            )
        seen[value] = name
    return findings


def _key_files(deployment: Deployment) -> Iterator[Path]:
    for secret in _SECRETS:
        named = deployment.environ.get(f"{secret.name}_FILE")
        if named:
            yield Path(named)
        path = deployment.instance / secret.instance_file
        if path.exists():
            yield path


def check_key_files(deployment: Deployment) -> list[Finding]:
    """Every key file in use readable only by its owner, the user the service runs as."""
    findings: list[Finding] = []
    me = os.geteuid()
    for path in _key_files(deployment):
        check = f"key file {path.name}"
        try:
            info = path.stat()
        except OSError as error:
            findings.append(
                Finding(check, Status.PROBLEM, f"{path}: {error.strerror or 'cannot be read'}.")
            )
            continue
        mode = stat.S_IMODE(info.st_mode)
        if not stat.S_ISREG(info.st_mode):
            findings.append(Finding(check, Status.PROBLEM, f"{path} is not a regular file."))
        elif mode & 0o077:
            findings.append(
                Finding(
                    check,
                    Status.PROBLEM,
                    f"{path} can be read by other users (mode {mode:04o}): "
                    f"run 'chmod 600 {path}' (owner: the service user).",
                )
            )
        elif not os.access(path, os.R_OK):
            findings.append(
                Finding(
                    check,
                    Status.PROBLEM,
                    f"{path} cannot be read by this user (uid {me}): run the service and the "
                    "doctor as the file's owner, or 'chown' it to the service user.",
                )
            )
        elif info.st_uid != me:
            findings.append(
                Finding(
                    check,
                    Status.WARNING,
                    f"{path} belongs to uid {info.st_uid}, not to this user (uid {me}): run the "
                    "doctor as the service user to check what the service sees.",
                )
            )
        else:
            findings.append(
                Finding(check, Status.OK, f"{path} is readable only by its owner ({mode:04o}).")
            )
    return findings


# --- services --------------------------------------------------------------------------------


def check_database(config: Mapping[str, Any], deployment: Deployment) -> list[Finding]:
    """The database answers and is migrated to this Lantern's latest revision."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    from portal.db import normalize_url
    from portal.migrate import alembic_config

    findings: list[Finding] = []
    url = make_url(normalize_url(str(config["DATABASE_URL"])))
    shown = url.render_as_string(hide_password=True)
    connect_args: dict[str, Any] = {}
    if url.get_backend_name() == "sqlite":
        if deployment.production:
            findings.append(
                Finding(
                    "database",
                    Status.WARNING,
                    "SQLite in production: use PostgreSQL (LANTERN_DATABASE_URL=postgresql://…) "
                    "for several workers, backups and years of cases.",
                )
            )
        database = url.database or ""
        if database in {"", ":memory:"} or not Path(database).is_file():
            findings.append(
                Finding(
                    "database",
                    Status.PROBLEM,
                    f"the database file {database or '(none)'} does not exist: run "
                    "'lantern db upgrade' to create it (or fix LANTERN_DATABASE_URL).",
                )
            )
            return findings
        # Read-only: the doctor changes nothing, not even the journal mode.
        url = make_url(f"sqlite:///file:{Path(database).resolve()}?mode=ro&uri=true")
    else:
        connect_args["connect_timeout"] = CONNECT_TIMEOUT
    engine = create_engine(url, poolclass=NullPool, connect_args=connect_args)
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    except Exception as error:
        findings.append(
            Finding(
                "database",
                Status.PROBLEM,
                f"cannot reach the database at {shown} ({type(error).__name__}): start it, or "
                "fix LANTERN_DATABASE_URL (address, user, password, database name).",
            )
        )
        return findings
    finally:
        engine.dispose()
    if current is None:
        message = (
            f"the database at {shown} is not migrated (no Lantern schema): "
            "run 'lantern db upgrade'."
        )
        findings.append(Finding("database", Status.PROBLEM, message))
    elif current != head:
        known = {
            s.revision
            for s in ScriptDirectory.from_config(alembic_config("sqlite://")).walk_revisions()
        }
        advice = (
            "run 'lantern db upgrade'."
            if current in known
            else "it was migrated by a newer Lantern: run that version, or restore a backup."
        )
        findings.append(
            Finding(
                "database",
                Status.PROBLEM,
                f"the database is at revision {current}, this Lantern needs {head}: {advice}",
            )
        )
    else:
        findings.append(
            Finding("database", Status.OK, f"{shown} answers and is migrated ({head}, the latest).")
        )
    return findings


def check_redis(config: Mapping[str, Any], deployment: Deployment) -> Finding:
    """Redis set (required in production) and answering."""
    url = config.get("REDIS_URL")
    if not url:
        if deployment.production:
            return Finding(
                "redis",
                Status.PROBLEM,
                "LANTERN_REDIS_URL is not set: production refuses to start without it (the rate "
                "limits must be shared by every worker). Set it, e.g. redis://127.0.0.1:6379/0.",
            )
        return Finding(
            "redis",
            Status.OK,
            "LANTERN_REDIS_URL is not set: rate limits are kept in each process (development).",
        )
    import redis

    shown = masked_url(str(url))
    try:
        client = redis.Redis.from_url(
            str(url), socket_connect_timeout=CONNECT_TIMEOUT, socket_timeout=CONNECT_TIMEOUT
        )
        try:
            client.ping()
        finally:
            client.close()
    except ValueError:
        return Finding(
            "redis",
            Status.PROBLEM,
            f"LANTERN_REDIS_URL is not a Redis address ({shown}): it must look like "
            "redis://host:6379/0 (or rediss:// with TLS).",
        )
    except redis.RedisError as error:
        return Finding(
            "redis",
            Status.PROBLEM,
            f"cannot reach Redis at {shown} ({type(error).__name__}): start Redis, or fix "
            "LANTERN_REDIS_URL.",
        )
    return Finding("redis", Status.OK, f"Redis at {shown} answers.")


def check_mail(config: Mapping[str, Any], deployment: Deployment) -> list[Finding]:
    """The SMTP address parses, is encrypted, and the sender looks like an address."""
    from portal.services.outbox import SmtpSettings

    findings: list[Finding] = []
    url = config.get("SMTP_URL")
    if not url:
        status = Status.WARNING if deployment.production else Status.OK
        findings.append(
            Finding(
                "mail",
                status,
                "LANTERN_SMTP_URL is not set: emails to complainants are written as files into "
                "the instance's outbox/ folder and reach nobody. Set it to the office's mail "
                "server, e.g. smtp+starttls://user:password@mail.example.org:587.",
            )
        )
    else:
        try:
            settings = SmtpSettings.from_url(str(url))
        except ValueError:
            findings.append(
                Finding(
                    "mail",
                    Status.PROBLEM,
                    "LANTERN_SMTP_URL is malformed: it must look like "
                    "smtp+starttls://user:password@host:587 or smtps://user:password@host:465 "
                    "(special characters in the password URL-encoded, a numeric port).",
                )
            )
        else:
            where = f"{settings.host}:{settings.port}"
            if settings.mode == "opportunistic":
                findings.append(
                    Finding(
                        "mail",
                        Status.WARNING,
                        f"mail goes to {where} with STARTTLS only if the server offers it: use "
                        "smtp+starttls:// (or smtps://) so a password and emails are never sent "
                        "in clear.",
                    )
                )
            else:
                findings.append(Finding("mail", Status.OK, f"mail goes to {where} encrypted."))
    _name, address = parseaddr(str(config.get("MAIL_FROM") or ""))
    if "@" not in address:
        findings.append(
            Finding(
                "mail sender",
                Status.PROBLEM,
                "LANTERN_MAIL_FROM is not an email address: use e.g. "
                "'Office of Police Oversight <complaints@example.org>'.",
            )
        )
    elif deployment.production and address.endswith("@localhost"):
        findings.append(
            Finding(
                "mail sender",
                Status.WARNING,
                f"LANTERN_MAIL_FROM is still {address}: set the office's own address.",
            )
        )
    else:
        findings.append(Finding("mail sender", Status.OK, f"emails are sent as {address}."))
    return findings


# --- files -----------------------------------------------------------------------------------


def check_uploads(folder: Path) -> Finding:
    """The uploads folder exists, is a folder, the service user can write to it, others cannot
    read it."""
    if not folder.exists():
        return Finding(
            "uploads",
            Status.PROBLEM,
            f"the uploads folder {folder} does not exist: create it on the uploads volume, "
            f"owned by the service user ('install -d -m 700 -o lantern {folder}').",
        )
    if not folder.is_dir():
        return Finding("uploads", Status.PROBLEM, f"{folder} is not a folder: fix the path.")
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".doctor-", delete=True):
            pass
    except OSError:
        return Finding(
            "uploads",
            Status.PROBLEM,
            f"this user (uid {os.geteuid()}) cannot write to the uploads folder {folder}: "
            "'chown' it to the service user (mode 700).",
        )
    mode = stat.S_IMODE(folder.stat().st_mode)
    if mode & 0o007:
        return Finding(
            "uploads",
            Status.WARNING,
            f"the uploads folder {folder} is open to every user (mode {mode:04o}): evidence "
            f"files are personal data; run 'chmod 700 {folder}'.",
        )
    return Finding("uploads", Status.OK, f"{folder} is writable by the service user.")


def check_disk(folder: Path, min_free_bytes: int) -> Finding:
    """Free space on the disk holding the uploads folder (or its nearest existing parent)."""
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    usage = shutil.disk_usage(probe)
    free_mb, need_mb = usage.free // MB, min_free_bytes // MB
    percent = 100 * usage.free / usage.total if usage.total else 0.0
    if usage.free < min_free_bytes:
        return Finding(
            "disk space",
            Status.PROBLEM,
            f"only {free_mb} MB free on the disk of {folder} (at least {need_mb} MB wanted): "
            "residents' uploads will fail when it fills. Free space or grow the volume.",
        )
    return Finding(
        "disk space", Status.OK, f"{free_mb} MB ({percent:.0f} %) free on the disk of {folder}."
    )


def check_site(folder: Path) -> Finding:
    """A statistics site is built where the portal serves /data/ from."""
    if (folder / "index.html").is_file():
        return Finding("statistics site", Status.OK, f"/data/ serves the site built in {folder}.")
    return Finding(
        "statistics site",
        Status.WARNING,
        f"no statistics site in {folder}: /data/ answers 404. Publish a release and run "
        "'lantern site build' in the service's working directory.",
    )


def check_public_address(config: Mapping[str, Any], deployment: Deployment) -> list[Finding]:
    """In production: an https public address, and the proxy's headers trusted."""
    if not deployment.production:
        return []
    findings: list[Finding] = []
    base = str(config.get("PUBLIC_BASE_URL") or "")
    if not base.startswith("https://"):
        findings.append(
            Finding(
                "public address",
                Status.WARNING,
                f"LANTERN_PUBLIC_BASE_URL is {base or '(empty)'}: set the public https:// "
                "address (links in emails use it).",
            )
        )
    else:
        findings.append(Finding("public address", Status.OK, f"the public address is {base}."))
    if not config.get("TRUST_PROXY"):
        findings.append(
            Finding(
                "reverse proxy",
                Status.WARNING,
                "LANTERN_TRUST_PROXY is off: behind the reverse proxy every resident looks like "
                "the proxy (one rate limit for all) and HSTS is not sent. Set it to true when "
                "exactly one proxy forwards to the portal.",
            )
        )
    else:
        findings.append(
            Finding("reverse proxy", Status.OK, "X-Forwarded-For/-Proto from one proxy trusted.")
        )
    return findings


def check_backup_tools(config: Mapping[str, Any]) -> Finding | None:
    """With PostgreSQL: ``pg_dump`` and ``pg_restore`` installed for ``lantern backup``."""
    import subprocess

    from sqlalchemy.engine import make_url

    from portal.db import normalize_url

    url = make_url(normalize_url(str(config["DATABASE_URL"])))
    if url.get_backend_name() != "postgresql":
        return None
    missing = [tool for tool in ("pg_dump", "pg_restore") if shutil.which(tool) is None]
    if missing:
        return Finding(
            "backup tools",
            Status.WARNING,
            f"{' and '.join(missing)} not installed: 'lantern backup create' and 'restore' need "
            "them for PostgreSQL. Install Debian's postgresql-client (its version at least the "
            "server's).",
        )
    found = subprocess.run(  # noqa: S603  (a fixed program found on PATH)
        [str(shutil.which("pg_dump")), "--version"],
        capture_output=True,
        text=True,
        check=False,
        timeout=CONNECT_TIMEOUT,
    ).stdout.strip()
    return Finding(
        "backup tools",
        Status.OK,
        f"{found or 'pg_dump'} and pg_restore are installed for 'lantern backup'.",
    )


# --- all of it -------------------------------------------------------------------------------


def run_checks(deployment: Deployment) -> list[Finding]:
    """Every check, in the order an administrator would fix things."""
    findings: list[Finding] = [check_mode(deployment)]
    config, problems = _config(deployment)
    findings += problems
    findings += check_secrets(deployment)
    findings += check_key_files(deployment)
    folders = default_folders(deployment.instance, deployment.cwd)
    uploads = Path(folders["UPLOAD_FOLDER"])
    if config is not None:
        steps: list[Callable[[], Finding | list[Finding] | None]] = [
            lambda: check_database(config, deployment),
            lambda: check_backup_tools(config),
            lambda: check_redis(config, deployment),
            lambda: check_mail(config, deployment),
        ]
        for step in steps:
            outcome = step()
            if outcome is not None:
                findings += outcome if isinstance(outcome, list) else [outcome]
    findings.append(check_uploads(uploads))
    findings.append(check_disk(uploads, deployment.min_free_bytes))
    findings.append(check_site(Path(folders["SITE_FOLDER"])))
    if config is not None:
        findings += check_public_address(config, deployment)
    return findings


def worst(findings: list[Finding]) -> Status:
    """The worst status among ``findings`` (ok when empty)."""
    order = [Status.OK, Status.WARNING, Status.PROBLEM]
    return max((f.status for f in findings), key=order.index, default=Status.OK)


__all__ = [
    "DEFAULT_MIN_FREE_MB",
    "Deployment",
    "Finding",
    "Status",
    "run_checks",
    "worst",
]
