"""The pseudonym key (env or instance file, created once, loudly) and the keyed pseudonyms."""

from __future__ import annotations

import io
import re
import stat
from pathlib import Path

import pytest

from publisher.keys import (
    KEY_ENV,
    KEY_FILE,
    PseudonymKeyError,
    complaint_pseudonym,
    load_key,
    officer_identity,
    officer_pseudonym,
)

KEY = b"k" * 40
PATTERN = re.compile(r"^[CO]-[0-9A-HJKMNP-TV-Z]{12}$")


def test_key_file_is_created_once_0600_with_a_loud_notice(tmp_path: Path) -> None:
    notice = io.StringIO()
    first = load_key({}, tmp_path / "instance", notice=notice)
    path = tmp_path / "instance" / KEY_FILE
    assert path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "NEW pseudonym key" in notice.getvalue() and "KEEP THIS FILE" in notice.getvalue()
    assert str(path) in notice.getvalue()
    # The notice never prints the key itself.
    assert first.decode() not in notice.getvalue()

    again = io.StringIO()
    assert load_key({}, tmp_path / "instance", notice=again) == first
    assert again.getvalue() == ""  # reused silently


def test_environment_wins_and_no_file_is_created(tmp_path: Path) -> None:
    key = load_key({KEY_ENV: "e" * 40}, tmp_path / "instance", notice=io.StringIO())
    assert key == b"e" * 40
    assert not (tmp_path / "instance" / KEY_FILE).exists()


def test_short_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PseudonymKeyError, match="at least 32"):
        load_key({KEY_ENV: "short"}, tmp_path)


def test_complaint_pseudonym_is_stable_keyed_and_well_formed() -> None:
    one = complaint_pseudonym(1, KEY)
    assert PATTERN.match(one) and one.startswith("C-")
    assert complaint_pseudonym(1, KEY) == one
    assert complaint_pseudonym(2, KEY) != one
    assert complaint_pseudonym(1, b"x" * 40) != one
    assert len({complaint_pseudonym(i, KEY) for i in range(20_000)}) == 20_000


def test_officer_pseudonym_keys_on_the_source_identity() -> None:
    by_source = officer_pseudonym(officer_identity("philly-ppd", "1234", 7), KEY)
    assert PATTERN.match(by_source) and by_source.startswith("O-")
    # Same department id after a re-import (new internal id): same pseudonym.
    assert officer_pseudonym(officer_identity("philly-ppd", "1234", 99), KEY) == by_source
    # No source id: the internal id is the identity.
    assert officer_identity(None, None, 7) != officer_identity(None, None, 8)
    # A complaint and an officer with the same number never share an id.
    assert (
        complaint_pseudonym(7, KEY)[2:]
        != officer_pseudonym(officer_identity(None, None, 7), KEY)[2:]
    )
