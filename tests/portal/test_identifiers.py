"""Reference numbers and access codes: format, check symbol, entropy, keyed hash."""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.services import identifiers
from portal.services.identifiers import (
    ALPHABET,
    ReferenceFormatError,
    access_code_matches,
    hash_access_code,
    new_access_code,
    new_reference,
    parse_reference,
)

REFERENCE_RE = re.compile(r"^LNT-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")
bodies = st.text(alphabet=ALPHABET, min_size=7, max_size=7)


def test_reference_format_is_readable_aloud() -> None:
    for _ in range(200):
        reference = new_reference()
        assert REFERENCE_RE.match(reference), reference
        # No letters that read like digits (Crockford leaves out I, L, O, U).
        assert not set(reference[4:]) & set("ILOU")


def test_new_references_parse_back_to_themselves() -> None:
    for _ in range(200):
        reference = new_reference()
        assert parse_reference(reference) == reference


def test_references_are_not_sequential() -> None:
    references = [new_reference() for _ in range(1000)]
    assert len(set(references)) == 1000
    # Consecutive references share no more leading symbols than chance would give.
    shared = sum(a[4] == b[4] for a, b in itertools.pairwise(references))
    assert shared < 100  # expected ~31 of 999 for independent draws


@given(bodies)
def test_check_symbol_catches_every_single_substitution(body: str) -> None:
    full = body + identifiers.check_symbol(body)
    reference = identifiers.format_reference(full)
    assert parse_reference(reference) == reference
    for position in range(len(full)):
        for symbol in ALPHABET:
            if symbol == full[position]:
                continue
            typo = full[:position] + symbol + full[position + 1 :]
            with pytest.raises(ReferenceFormatError) as caught:
                parse_reference(identifiers.format_reference(typo))
            assert caught.value.reason == "check"


@given(bodies)
def test_check_symbol_catches_adjacent_swaps(body: str) -> None:
    full = body + identifiers.check_symbol(body)
    for position in range(len(full) - 1):
        a, b = full[position], full[position + 1]
        if a == b or {a, b} == {"0", "Z"}:  # Luhn mod 32's one blind spot (0 and 31)
            continue
        swapped = full[:position] + b + a + full[position + 2 :]
        with pytest.raises(ReferenceFormatError):
            parse_reference(swapped)


def test_reference_input_is_forgiving() -> None:
    reference = new_reference()
    body = reference.replace("LNT-", "").replace("-", "")
    assert parse_reference(body.lower()) == reference
    assert parse_reference(" lnt " + body[:4] + " " + body[4:] + " ") == reference
    assert parse_reference("LNT" + body) == reference


def test_look_alike_letters_are_read_as_digits() -> None:
    body = "0111ABC"
    reference = identifiers.format_reference(body + identifiers.check_symbol(body))
    typed = reference.replace("0", "O", 1).replace("1", "I", 1).replace("1", "l", 1)
    assert parse_reference(typed) == reference


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("LNT-7K3M", "length"),
        ("", "length"),
        ("LNT-7K3M-Q9XD-1", "length"),
        ("LNT-7K3M-Q9X!", "symbol"),
    ],
)
def test_malformed_references_say_why(typed: str, reason: str) -> None:
    with pytest.raises(ReferenceFormatError) as caught:
        parse_reference(typed)
    assert caught.value.reason == reason


def test_access_code_format_and_entropy() -> None:
    codes = [new_access_code() for _ in range(2000)]
    assert all(re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){2}", c) for c in codes)
    assert len(set(codes)) == len(codes)
    # 12 symbols of 32 = 60 bits; every symbol is used about equally in every position.
    assert 12 * math.log2(len(ALPHABET)) >= 60
    symbols = Counter("".join(c.replace("-", "") for c in codes))
    expected = 2000 * 12 / 32
    assert set(symbols) == set(ALPHABET)
    assert all(abs(n - expected) < expected * 0.35 for n in symbols.values())


def test_access_code_hash_is_keyed_and_input_forgiving() -> None:
    code = new_access_code()
    stored = hash_access_code(code, "key-one")
    assert code.replace("-", "") not in stored
    assert stored != hash_access_code(code, "key-two")
    assert access_code_matches(code, stored, "key-one")
    assert access_code_matches(code.lower().replace("-", " "), stored, "key-one")
    assert not access_code_matches(code, stored, "key-two")


def test_wrong_or_missing_code_never_matches() -> None:
    code = new_access_code()
    stored = hash_access_code(code, "k")
    other = new_access_code()
    assert not access_code_matches(other, stored, "k")
    assert not access_code_matches(code, None, "k")
    assert not access_code_matches("", stored, "k")


def test_comparison_is_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, str]] = []
    real = identifiers.hmac.compare_digest

    def spy(a: str, b: str) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(identifiers.hmac, "compare_digest", spy)
    code = new_access_code()
    access_code_matches(code, hash_access_code(code, "k"), "k")
    access_code_matches(code, None, "k")  # unknown reference: same work, against a dummy
    assert len(calls) == 2
