"""Configuration: safe local defaults, overridden from ``LANTERN_*`` environment variables.

Nothing is read at import time: ``load_config`` is called by ``create_app`` (and the CLI) with the
environment it should read, so tests pass their own mapping.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

MB = 1024 * 1024


class Defaults:
    """Defaults for local use. Every key can be overridden by ``LANTERN_<KEY>``."""

    ENV = "development"  # "production" turns on the hard checks in ``check_production``
    SECRET_KEY: str | None = None  # sessions + CSRF; generated into instance/ when local
    ACCESS_CODE_KEY: str | None = None  # HMAC key for access codes; instance/ file when local
    DATABASE_URL: str | None = None  # default: sqlite:///<instance>/lantern.sqlite3
    REDIS_URL: str | None = None  # rate-limit storage; memory:// when unset
    SMTP_URL: str | None = None  # smtp://user:pass@host:port ; unset → .eml files in outbox/
    RELEASES_FOLDER: str | None = None  # published releases; default: ./data_releases
    MAIL_FROM = "Lantern <no-reply@localhost>"
    # SMS to complainants: unset → off; file:///path (or file:) → one file per SMS in that
    # folder (instance/sms by default); https://… → POST JSON to an SMS gateway
    SMS_URL: str | None = None
    PUBLIC_BASE_URL = "http://127.0.0.1:5000"
    OFFICE_NAME = "Office of Police Oversight"
    OFFICE_ADDRESS = ""  # letterhead and return address: lines separated by ';'
    OFFICE_PHONE = ""  # on letters and SMS, e.g. "(555) 010-0100"
    LETTER_PAGE_SIZE = "letter"  # "letter" (US #10 window envelope) or "A4" (DIN 5008 DL window)
    UPLOAD_MAX_FILE_BYTES = 25 * MB
    UPLOAD_MAX_TOTAL_BYTES = 100 * MB
    # Districts residents can choose: "code=Label" pairs separated by ';'
    DISTRICTS = (
        "D01=District 1;D02=District 2;D03=District 3;D04=District 4;D05=District 5;"
        "D06=District 6;D07=District 7;D08=District 8"
    )
    LANGUAGES = "en,es"
    # Rate limits (Flask-Limiter syntax)
    LOOKUP_RATE_LIMIT = "30 per minute"
    LOOKUP_FAILURES_PER_REFERENCE = 10
    LOOKUP_LOCK_MINUTES = 15
    SUBMIT_RATE_LIMIT = "20 per hour"
    # Service levels in business days: acknowledge, screen, first contact, investigate, update
    SLA_ACKNOWLEDGE_DAYS = 2
    SLA_SCREEN_DAYS = 10
    SLA_FIRST_CONTACT_DAYS = 5
    SLA_INVESTIGATE_DAYS = 90
    SLA_UPDATE_EVERY_DAYS = 30
    HOLIDAYS = ""  # comma-separated ISO dates
    APPEAL_WINDOW_DAYS = 30
    DESK_COLLECT_SECONDS = (
        60  # desk: look for passed deadlines / failed messages at most this often
    )
    SURVEY_MIN_COUNT = 5  # survey lessons: smaller counts withheld, comments from this many
    # The vocabulary offered (comma-separated values from portal/vocabulary.py; empty: all)
    ALLEGATION_CATEGORIES = ""
    DISCIPLINE_OUTCOMES = ""
    EARLY_WARNING_RULES = ""  # path of the office's early-warning rules (TOML); empty: defaults
    RETENTION_SCHEDULE = ""  # path of the office's records schedule (TOML); empty: the default
    STAFF_SESSION_MINUTES = 30  # idle timeout of a staff session
    STAFF_SESSION_MAX_HOURS = 12  # absolute lifetime of a staff session
    STAFF_LOCKOUT_FAILURES = 5  # failed sign-ins from one address that lock it out of an account
    STAFF_ACCOUNT_LOCKOUT_FAILURES = 50  # failures in a row from anywhere that lock the account
    STAFF_LOCKOUT_MINUTES = 15
    STAFF_LOGIN_RATE_LIMIT = "10 per minute"  # per client, on the sign-in POSTs
    TRUST_PROXY = False  # honour X-Forwarded-For / -Proto from one proxy hop


def _coerce(default: Any, raw: str) -> Any:
    """Convert an environment string to the type of the default."""
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    return raw


#: Settings that may instead be read from a file named by ``LANTERN_<KEY>_FILE`` (systemd
#: credentials, container secrets): the value never has to sit in the environment.
FILE_SETTINGS = ("SECRET_KEY", "ACCESS_CODE_KEY")


def secret_from_file(environ: Mapping[str, str], name: str) -> str | None:
    """The value of ``<name>_FILE``'s file (stripped), or None when ``<name>_FILE`` is unset.

    Raises ``ConfigError`` (naming the variables and the path, never the value) when both
    ``name`` and ``name_FILE`` are set, or when the file cannot be read or is empty.
    """
    path = environ.get(f"{name}_FILE")
    if not path:
        return None
    if environ.get(name):
        raise ConfigError(f"set {name} or {name}_FILE, not both")
    try:
        value = Path(path).read_text(encoding="utf-8").strip()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise ConfigError(f"{name}_FILE: cannot read {path} ({reason})") from None
    if not value:
        raise ConfigError(f"{name}_FILE: {path} is empty")
    return value


def load_config(environ: Mapping[str, str], instance_path: Path) -> dict[str, Any]:
    """Return the effective configuration for ``environ``.

    Keys come from ``Defaults``; ``LANTERN_<KEY>`` in ``environ`` overrides each one (for the
    keys in ``FILE_SETTINGS``, ``LANTERN_<KEY>_FILE`` may name a file holding the value).
    Derived values (the SQLite URL in the instance folder) are filled in here.
    """
    config: dict[str, Any] = {}
    for key in dir(Defaults):
        if key.isupper():
            default = getattr(Defaults, key)
            raw = environ.get(f"LANTERN_{key}")
            if key in FILE_SETTINGS:
                raw = secret_from_file(environ, f"LANTERN_{key}") or raw
            config[key] = default if raw is None else _coerce(default, raw)
    if not config["DATABASE_URL"]:
        config["DATABASE_URL"] = f"sqlite:///{instance_path / 'lantern.sqlite3'}"
    return config


def default_folders(instance_path: Path, cwd: Path | None = None) -> dict[str, str]:
    """Where uploads, the mail outbox and the built statistics site live: the uploads and the
    outbox in the instance folder, the site in ``build/site`` of the working directory (where
    ``lantern site build`` writes it by default)."""
    base = Path.cwd() if cwd is None else cwd
    return {
        "UPLOAD_FOLDER": str(instance_path / "uploads"),
        "OUTBOX_FOLDER": str(instance_path / "outbox"),
        "SITE_FOLDER": str(base / "build" / "site"),
    }


def parse_districts(spec: str) -> list[tuple[str, str]]:
    """Parse ``"D01=District 1;D02=District 2"`` into ``[("D01", "District 1"), ...]``."""
    pairs: list[tuple[str, str]] = []
    for item in spec.split(";"):
        item = item.strip()
        if not item:
            continue
        code, _, label = item.partition("=")
        pairs.append((code.strip(), (label or code).strip()))
    return pairs


class ConfigError(RuntimeError):
    """Raised when the configuration is unsafe for the requested mode."""


def check_production(config: Mapping[str, Any]) -> None:
    """Refuse to run in production without the secrets and services production needs.

    Raises ``ConfigError`` naming every missing setting.
    """
    if config.get("ENV") != "production":
        return
    missing = [
        f"LANTERN_{key}"
        for key in ("SECRET_KEY", "ACCESS_CODE_KEY", "REDIS_URL")
        if not config.get(key)
    ]
    if missing:
        raise ConfigError("production mode needs these settings: " + ", ".join(missing))


def ensure_secret_file(instance_path: Path, name: str) -> str:
    """Read (or create once, mode 0600) a random secret in ``instance/`` for local use."""
    import secrets

    path = instance_path / name
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value
