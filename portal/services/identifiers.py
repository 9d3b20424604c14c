"""Reference numbers and access codes: the two things a resident keeps to follow a complaint.

Both use Crockford's base32 alphabet (no I, L, O, U: nothing to confuse when read aloud or typed
from paper); input is forgiving (any case, dashes or spaces, ``O``→``0``, ``I``/``L``→``1``).

- Reference ``LNT-XXXX-XXXX``: 7 random symbols (35 bits; never sequential) and one check symbol
  (Luhn mod 32), which catches every single-symbol substitution and every swap of two adjacent
  symbols except ``0``↔``Z``, so a mistyped reference is caught before any lookup.
- Access code ``XXXX-XXXX-XXXX``: 12 random symbols (60 bits), stored only as an HMAC-SHA256 with
  a server key and compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUE = {symbol: index for index, symbol in enumerate(ALPHABET)}
# Crockford's decoding of look-alikes.
_ALIASES = {"O": "0", "I": "1", "L": "1"}
PREFIX = "LNT"
REFERENCE_BODY = 8  # 7 random symbols + 1 check symbol
ACCESS_CODE_LENGTH = 12


class ReferenceFormatError(ValueError):
    """A reference that cannot be right; ``reason`` is ``length``, ``symbol`` or ``check``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _strip(text: str) -> str:
    """Upper-case and drop dashes and spaces."""
    return "".join(ch for ch in text.upper() if ch not in "- \t\u00a0\u2010\u2011\u2013")


def _clean(text: str) -> str:
    """``_strip``, then map look-alike letters to the digits they stand for."""
    return "".join(_ALIASES.get(ch, ch) for ch in _strip(text))


def check_symbol(body: str) -> str:
    """The Luhn mod 32 check symbol for ``body`` (Crockford symbols)."""
    total = 0
    factor = 2
    for symbol in reversed(body):
        addend = factor * _VALUE[symbol]
        total += addend // 32 + addend % 32
        factor = 1 if factor == 2 else 2
    return ALPHABET[(32 - total % 32) % 32]


def format_reference(body: str) -> str:
    """``"7K3MQ9XD"`` → ``"LNT-7K3M-Q9XD"``."""
    return f"{PREFIX}-{body[:4]}-{body[4:]}"


def new_reference() -> str:
    """A fresh random reference number (uniqueness is the database's unique constraint)."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(REFERENCE_BODY - 1))
    return format_reference(body + check_symbol(body))


def parse_reference(text: str) -> str:
    """Normalize what a resident typed into the canonical ``LNT-XXXX-XXXX``.

    Accepts any case, with or without the ``LNT`` prefix, dashes or spaces. Raises
    ``ReferenceFormatError`` (reason ``length``, ``symbol`` or ``check``) when it cannot be a
    reference, so the page can say what to check before any database lookup.
    """
    stripped = _strip(text)
    if stripped.startswith(PREFIX) and len(stripped) == len(PREFIX) + REFERENCE_BODY:
        stripped = stripped[len(PREFIX) :]
    cleaned = _clean(stripped)
    if len(cleaned) != REFERENCE_BODY:
        raise ReferenceFormatError("length")
    if any(ch not in _VALUE for ch in cleaned):
        raise ReferenceFormatError("symbol")
    if check_symbol(cleaned[:-1]) != cleaned[-1]:
        raise ReferenceFormatError("check")
    return format_reference(cleaned)


def new_access_code() -> str:
    """A fresh access code, ``XXXX-XXXX-XXXX`` (60 bits from ``secrets``)."""
    code = "".join(secrets.choice(ALPHABET) for _ in range(ACCESS_CODE_LENGTH))
    return "-".join(code[i : i + 4] for i in range(0, ACCESS_CODE_LENGTH, 4))


def normalize_access_code(text: str) -> str:
    """The 12 symbols of an access code as typed (any case, dashes/spaces ignored).

    Returns a string that may be wrong; only ``access_code_matches`` decides.
    """
    return _clean(text)


def hash_access_code(code: str, key: str) -> str:
    """HMAC-SHA256 (hex) of the normalized code under the server key: what the database stores."""
    normalized = normalize_access_code(code)
    return hmac.new(key.encode(), normalized.encode(), hashlib.sha256).hexdigest()


#: Compared against when the reference is unknown, so both failures cost the same work.
DUMMY_HASH = "0" * 64


def access_code_matches(code: str, stored_hash: str | None, key: str) -> bool:
    """True when ``code`` hashes to ``stored_hash``; constant-time, also for a missing hash."""
    return hashes_match(hash_access_code(code, key), stored_hash)


def hashes_match(candidate: str, stored_hash: str | None) -> bool:
    """True when the keyed hash ``candidate`` equals ``stored_hash``; constant-time, also for a
    missing hash (compared against ``DUMMY_HASH``, so both failures cost the same work)."""
    expected = stored_hash if stored_hash else DUMMY_HASH
    return hmac.compare_digest(candidate, expected) and stored_hash is not None
