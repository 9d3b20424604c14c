"""Spanish is complete: every resident-facing message in the code has a real Spanish translation.

The messages are extracted from the source the way ``pybabel extract`` does (``portal/babel.cfg``),
so a string added to a template or view without a translation fails here, not in front of a
resident. Staff screens (``portal/auth``, ``portal/backoffice``) may stay in English, except the
emails and letters the back office sends to complainants (``portal/backoffice/templates/mail``,
``portal/backoffice/templates/letters``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from portal import TRANSLATION_DIRECTORIES

PORTAL = Path(__file__).resolve().parents[2] / "portal"
STAFF_ONLY = ("auth/", "backoffice/")
RESIDENT_FACING_UNDER_STAFF = ("backoffice/templates/mail/", "backoffice/templates/letters/")
KEYWORDS = {
    "_": None,
    "gettext": None,
    "lazy_gettext": None,
    "_l": None,  # the usual alias of lazy_gettext in forms
    "ngettext": (1, 2),
    "lazy_ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|\{(\w*)\}")


def _method_map() -> list[tuple[str, str]]:
    pairs = []
    for line in (PORTAL / "babel.cfg").read_text().splitlines():
        match = re.fullmatch(r"\[(\w+):\s*(.+)\]", line.strip())
        if match:
            pairs.append((match.group(2), match.group(1)))
    return pairs


def _resident_facing(relative: str) -> bool:
    if relative.startswith(RESIDENT_FACING_UNDER_STAFF):
        return True
    return not relative.startswith(STAFF_ONLY)


def _scanned(folder: str) -> bool:
    """The folders ``make catalogs`` scans: all but hidden ones and ``__pycache__`` (Babel's
    default filter also skips ``_macros``, which holds the shared form macros)."""
    name = Path(folder).name
    return not name.startswith(".") and name != "__pycache__"


def _source_messages() -> dict[str, str]:
    """msgid → first file it appears in, for every resident-facing message in the portal."""
    found: dict[str, str] = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        str(PORTAL), _method_map(), keywords=KEYWORDS, directory_filter=_scanned
    ):
        if not _resident_facing(filename):
            continue
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault(msgid, filename)
    return found


def _catalog_paths() -> list[Path]:
    return [
        PORTAL / folder / "es" / "LC_MESSAGES" / "messages.po"
        for folder in TRANSLATION_DIRECTORIES
        if (PORTAL / folder / "es" / "LC_MESSAGES" / "messages.po").exists()
    ]


def _read(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale="es")


def _strings(message: Message) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple | list) else [message.string]


def _ids(message: Message) -> list[str]:
    return list(message.id) if isinstance(message.id, tuple | list) else [message.id]


def test_the_resident_catalog_exists() -> None:
    assert (PORTAL / "translations" / "es" / "LC_MESSAGES" / "messages.po") in _catalog_paths()


@pytest.mark.parametrize("path", _catalog_paths(), ids=lambda p: str(p.relative_to(PORTAL)))
def test_catalog_has_no_fuzzy_or_empty_spanish(path: Path) -> None:
    catalog = _read(path)
    problems = []
    for message in catalog:
        if not message.id:
            continue
        if message.fuzzy:
            problems.append(f"fuzzy: {_ids(message)[0]!r}")
        if any(not text.strip() for text in _strings(message)):
            problems.append(f"untranslated: {_ids(message)[0]!r}")
    assert not problems, f"{path.relative_to(PORTAL)}:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", _catalog_paths(), ids=lambda p: str(p.relative_to(PORTAL)))
def test_spanish_keeps_every_placeholder(path: Path) -> None:
    bad = []
    for message in _read(path):
        if not message.id:
            continue
        wanted = {m for pair in PLACEHOLDER.findall(_ids(message)[0]) for m in pair if m}
        for text in _strings(message):
            got = {m for pair in PLACEHOLDER.findall(text) for m in pair if m}
            if got != wanted:
                bad.append(f"{_ids(message)[0]!r}: {sorted(wanted)} != {sorted(got)}")
    assert not bad, "\n".join(bad)


def test_every_resident_facing_message_is_translated() -> None:
    translated: set[str] = set()
    for path in _catalog_paths():
        for message in _read(path):
            if message.id and not message.fuzzy and all(s.strip() for s in _strings(message)):
                translated.add(_ids(message)[0])
    missing = {
        msgid: where for msgid, where in _source_messages().items() if msgid not in translated
    }
    assert not missing, (
        "messages without Spanish (run `make catalogs`, then translate):\n"
        + "\n".join(
            f"{where}: {msgid!r}" for msgid, where in sorted(missing.items(), key=lambda kv: kv[1])
        )
    )


def test_compiled_catalogs_are_current() -> None:
    """`make translations` must have compiled each catalog after its last edit."""
    for path in _catalog_paths():
        mo = path.with_suffix(".mo")
        assert mo.exists(), f"{mo.relative_to(PORTAL)} missing: run `make translations`"
        with mo.open("rb") as handle:
            compiled = {m.id if isinstance(m.id, str) else m.id[0] for m in read_mo(handle) if m.id}
        source = {_ids(m)[0] for m in _read(path) if m.id}
        assert source <= compiled, f"{mo.relative_to(PORTAL)} is stale: run `make translations`"
