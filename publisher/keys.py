"""The publisher's pseudonym key and the keyed pseudonyms of complaints and officers.

Published ids are HMAC-SHA256 of an internal identity under a secret key that lives outside the
database and outside every release: ``LANTERN_PSEUDONYM_KEY`` or the file
``<instance>/pseudonym_key`` (created once, mode 0600, with a loud notice). The same key gives the
same ids in every release; a new key changes every published id, so the key must be kept (backed
up with the database, never published).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

#: Environment variable holding the key (wins over the key file).
KEY_ENV = "LANTERN_PSEUDONYM_KEY"
#: Environment variable naming a file that holds the key (systemd credentials, container secrets).
KEY_FILE_ENV = "LANTERN_PSEUDONYM_KEY_FILE"
#: Name of the key file in the instance folder.
KEY_FILE = "pseudonym_key"
#: A key shorter than this is refused: a guessable key makes every pseudonym reversible.
MIN_KEY_LENGTH = 32
#: Crockford base32 alphabet (no I, L, O, U).
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: Base32 characters in a pseudonym (60 bits: collisions stay negligible at millions of cases).
PSEUDONYM_CHARS = 12

NOTICE = """\
************************************************************************************
lantern: created a NEW pseudonym key in {path}
Every published complaint and officer id is derived from this key. KEEP THIS FILE
(back it up with the database). A lost or replaced key changes every published id,
so releases would no longer line up. It is never written into a release.
************************************************************************************
"""


class PseudonymKeyError(Exception):
    """The pseudonym key is unusable (too short, unreadable)."""


def instance_path(environ: Mapping[str, str]) -> Path:
    """The instance folder: ``LANTERN_INSTANCE_PATH`` or ``./instance`` (like the portal's CLI)."""
    return Path(environ.get("LANTERN_INSTANCE_PATH") or Path.cwd() / "instance").resolve()


def load_key(
    environ: Mapping[str, str] | None = None,
    instance: Path | None = None,
    *,
    notice: TextIO | None = None,
) -> bytes:
    """Return the pseudonym key, creating the key file once if neither source exists.

    ``LANTERN_PSEUDONYM_KEY`` (or the file ``LANTERN_PSEUDONYM_KEY_FILE`` names) wins; otherwise
    ``<instance>/pseudonym_key`` is read, or created
    with 256 random bits (mode 0600) and a notice written to ``notice`` (default stderr).
    Raises ``PseudonymKeyError`` for a key shorter than ``MIN_KEY_LENGTH`` characters.
    """
    env = os.environ if environ is None else environ
    value = env.get(KEY_ENV, "").strip()
    if env.get(KEY_FILE_ENV):
        from portal.config import ConfigError, secret_from_file

        try:
            value = secret_from_file(env, KEY_ENV) or ""
        except ConfigError as error:
            raise PseudonymKeyError(str(error)) from None
    if not value:
        folder = instance or instance_path(env)
        path = folder / KEY_FILE
        if path.exists():
            value = path.read_text(encoding="utf-8").strip()
        else:
            value = _create_key_file(folder, path, notice or sys.stderr)
    if len(value) < MIN_KEY_LENGTH:
        raise PseudonymKeyError(
            f"the pseudonym key must have at least {MIN_KEY_LENGTH} characters "
            f"(set {KEY_ENV} or fix {KEY_FILE} in the instance folder)"
        )
    return value.encode("utf-8")


def _create_key_file(folder: Path, path: Path, notice: TextIO) -> str:
    """Write a new random key to ``path`` (0600, never overwriting) and announce it loudly."""
    folder.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    notice.write(NOTICE.format(path=path))
    notice.flush()
    return value


def _base32(digest: bytes, chars: int) -> str:
    """The first ``chars`` Crockford base32 characters of ``digest`` (5 bits each)."""
    number = int.from_bytes(digest[:8], "big") >> (64 - 5 * chars)
    out = []
    for _ in range(chars):
        out.append(CROCKFORD[number & 31])
        number >>= 5
    return "".join(reversed(out))


def pseudonym(prefix: str, identity: str, key: bytes) -> str:
    """``prefix-`` + 12 Crockford base32 characters of HMAC-SHA256(key, identity)."""
    digest = hmac.new(key, identity.encode("utf-8"), hashlib.sha256).digest()
    return f"{prefix}-{_base32(digest, PSEUDONYM_CHARS)}"


def complaint_pseudonym(internal_id: int, key: bytes) -> str:
    """The published id of complaint ``internal_id``: ``C-`` + 12 base32 characters."""
    return pseudonym("C", f"complaint:{internal_id}", key)


def officer_identity(source: str | None, source_id: str | None, internal_id: int) -> str:
    """The stable identity of a roster officer: its source and source id, else its internal id.

    Keying on the source's id keeps an officer's pseudonym when the roster is re-imported into a
    new database (internal ids change, the department's ids do not).
    """
    if source and source_id:
        return f"officer:{source}:{source_id}"
    return f"officer:id:{internal_id}"


def officer_pseudonym(identity: str, key: bytes) -> str:
    """The published id of the officer with stable ``identity``: ``O-`` + 12 base32 characters."""
    return pseudonym("O", identity, key)
