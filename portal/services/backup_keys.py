"""Lantern's three keys as a backup sees them: where each is read from, and its fingerprint.

The portal and the publisher read each key from ``LANTERN_<KEY>_FILE`` (a file), else
``LANTERN_<KEY>`` (the environment), else a file in the instance folder (``portal/config.py``,
``publisher/keys.py``). A backup captures the key from whichever source is in use; a restore
puts it back where the instance reads it, or checks that the key the instance already has is
the one the backup was made with.

Keys are compared by a keyed fingerprint (HMAC-SHA256 keyed with the key itself over a fixed
label): it identifies a key without revealing it. No function here returns a key in a message.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

SourceKind = Literal["file", "environment", "instance"]


class KeyProblem(Exception):
    """A key source that cannot be used (both settings given, an unreadable or empty file).

    The message names the setting and the path, never the value.
    """


@dataclass(frozen=True)
class KeySpec:
    """One of Lantern's keys: its name in an archive, its setting, what losing it costs."""

    name: str  # file name in the instance folder and in an archive (``keys/<name>``)
    setting: str  # ``LANTERN_<KEY>``; ``<setting>_FILE`` names a file holding it
    label: str
    lost: str  # what is lost without it, in plain words


KEYS = (
    KeySpec(
        "secret_key",
        "LANTERN_SECRET_KEY",
        "secret key",
        "everyone is signed out and half-filled forms are lost (nothing else)",
    ),
    KeySpec(
        "access_code_key",
        "LANTERN_ACCESS_CODE_KEY",
        "access-code key",
        "EVERY complainant's access code stops working (and every staff recovery code)",
    ),
    KeySpec(
        "pseudonym_key",
        "LANTERN_PSEUDONYM_KEY",
        "pseudonym key",
        "EVERY published complaint and officer id changes: new releases no longer line up",
    ),
)
KEY_NAMES = tuple(spec.name for spec in KEYS)


def spec(name: str) -> KeySpec:
    """The ``KeySpec`` called ``name`` (raises ``KeyError`` for any other)."""
    for candidate in KEYS:
        if candidate.name == name:
            return candidate
    raise KeyError(name)


@dataclass(frozen=True)
class KeySource:
    """Where the instance reads one key from, and the key when it is there.

    ``path`` is the file for the ``file`` and ``instance`` kinds (the instance file may not exist
    yet: ``value`` is then None).
    """

    spec: KeySpec
    kind: SourceKind
    path: Path | None
    value: str | None

    def describe(self) -> str:
        """Where the key comes from, for a message (a path or a setting, never the value)."""
        if self.kind == "environment":
            return f"the environment variable {self.spec.setting}"
        if self.kind == "file":
            return f"{self.path} ({self.spec.setting}_FILE)"
        return f"{self.path} (the instance folder)"


def _read(path: Path, setting: str) -> str | None:
    """The stripped content of ``path``, None when it does not exist; ``KeyProblem`` when it
    cannot be read or is empty."""
    try:
        value = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise KeyProblem(f"{setting}: cannot read {path} ({reason})") from None
    if not value:
        raise KeyProblem(f"{setting}: {path} is empty")
    return value


def locate(key: KeySpec, environ: Mapping[str, str], instance: Path) -> KeySource:
    """Where the instance configured by ``environ`` reads ``key`` from, with its value.

    Raises ``KeyProblem`` when both ``<setting>`` and ``<setting>_FILE`` are set, or when the
    file in use exists but cannot be read or is empty.
    """
    named = environ.get(f"{key.setting}_FILE")
    if named:
        if environ.get(key.setting):
            raise KeyProblem(f"set {key.setting} or {key.setting}_FILE, not both")
        path = Path(named)
        return KeySource(key, "file", path, _read(path, f"{key.setting}_FILE"))
    direct = environ.get(key.setting, "").strip()
    if direct:
        return KeySource(key, "environment", None, direct)
    path = instance / key.name
    return KeySource(key, "instance", path, _read(path, key.setting))


def locate_all(environ: Mapping[str, str], instance: Path) -> list[KeySource]:
    """``locate`` for each of the three keys, in ``KEYS`` order."""
    return [locate(key, environ, instance) for key in KEYS]


def fingerprint(name: str, value: str) -> str:
    """A keyed fingerprint of key ``name``: 32 hex characters that identify it, reveal nothing."""
    label = f"lantern backup key fingerprint v1:{name}".encode()
    return hmac.new(value.encode("utf-8"), label, hashlib.sha256).hexdigest()[:32]


def write_key(path: Path, value: str) -> None:
    """Write a key file (mode 0600, its folder 0700 when created); never overwrites one.

    Raises ``FileExistsError`` when ``path`` exists, ``OSError`` when it cannot be written.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
        handle.flush()
        os.fsync(handle.fileno())
