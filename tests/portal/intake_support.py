"""Helpers for the complaint-form tests: a complete set of answers, files, page parsing."""

from __future__ import annotations

import html
import io
import re
from typing import Any

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(300)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(300)

#: Every free-text answer of the form, with a value a test can look for.
TEXT_ANSWERS = {
    "narrative": "The officer pushed my brother against the car and shouted.",
    "location": "Corner of 5th Street and Main",
    "officers-0-name": "Sgt. Smith",
    "officers-0-badge": "4411",
    "officers-0-unit": "Patrol car 12",
    "officers-0-description": "Tall, grey moustache",
    "officers-1-description": "Second officer stayed in the car",
    "witnesses": "Maria, the neighbour at number 7",
    "on_behalf_of": "Luis Ruiz",
    "name": "Ana Ruiz",
    "email": "ana.ruiz@example.org",
    "phone": "+1 555 010 0100",
    "postal_address": "12 Elm Street, Springfield",
    "interpreter_language": "Mixteco",
}

CHOICE_ANSWERS: dict[str, Any] = {
    "incident_date": "2026-02-27",
    "incident_time": "21:15",
    "date_is_approximate": "y",
    "district": "D03",
    "officers-1-unknown": "y",
    "categories": ["force", "discourtesy"],
    "role": "on_behalf",
    "contact_method": "email",
    "language": "es",
    "interpreter_needed": "y",
    "age_band": "35_44",
    "gender": "woman",
    "race": "latino",
    "consent": "y",
}


def answers(key: str = "test-idempotency-key-0001", **changes: Any) -> dict[str, Any]:
    """A complete, valid form body (no files) with ``changes`` applied (None removes a key)."""
    data: dict[str, Any] = {"idempotency_key": key, "submit": "Send my complaint"}
    data |= TEXT_ANSWERS | CHOICE_ANSWERS
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def with_files(data: dict[str, Any], *files: tuple[bytes, str]) -> dict[str, Any]:
    """``data`` plus the evidence file input holding ``files`` ((content, name) pairs)."""
    return data | {"evidence": [(io.BytesIO(content), name) for content, name in files]}


def field_value(page: str, name: str) -> str | None:
    """The value of a text input or the content of a textarea, unescaped (None: not found)."""
    tag = re.search(rf'<input[^>]*\bname="{re.escape(name)}"[^>]*>', page)
    if tag:
        value = re.search(r'\bvalue="([^"]*)"', tag.group(0))
        return html.unescape(value.group(1)) if value else ""
    area = re.search(
        rf'<textarea[^>]*\bname="{re.escape(name)}"[^>]*>\r?\n?(.*?)</textarea>', page, re.S
    )
    return html.unescape(area.group(1)) if area else None


def checked_values(page: str, name: str) -> set[str]:
    """Values of the checked checkboxes / radios named ``name``."""
    found = set()
    for tag in re.findall(rf'<input[^>]*\bname="{re.escape(name)}"[^>]*>', page):
        if re.search(r"\bchecked\b", tag):
            value = re.search(r'\bvalue="([^"]*)"', tag)
            found.add(html.unescape(value.group(1)) if value else "y")
    return found


def selected_value(page: str, name: str) -> str | None:
    """The selected option of the select named ``name``."""
    select = re.search(rf'<select[^>]*\bname="{re.escape(name)}"[^>]*>(.*?)</select>', page, re.S)
    assert select, f"no select {name}"
    option = re.search(
        r'<option[^>]*\bselected\b[^>]*value="([^"]*)"|<option[^>]*value="([^"]*)"[^>]*\bselected\b',
        select.group(1),
    )
    return (option.group(1) or option.group(2)) if option else None


def kept_tokens(page: str) -> list[str]:
    """The kept-file tokens the re-rendered form carries."""
    return re.findall(r'name="kept_file" value="([^"]+)"', page)
