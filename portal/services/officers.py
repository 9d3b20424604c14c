"""The officer roster: ``lantern officers import roster.csv``.

The CSV (UTF-8, with or without a BOM, comma-separated, header row) has these columns; only
``badge_number`` or ``source_id`` is required on each row, unknown columns are an error (so a
misspelt header is not silently ignored):

``source_id, badge_number, first_name, last_name, rank, unit, gender, race, hired_on``

A row updates the officer with the same ``source_id`` (within ``--source``), or else the same
badge number, and creates one otherwise. Every row is checked first; any bad row is reported by
row number (the header is row 1) and column, and nothing is written. A good file is written in
one transaction.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.db import begin_write
from portal.models import Officer
from portal.services import audit

COLUMNS = (
    "source_id",
    "badge_number",
    "first_name",
    "last_name",
    "rank",
    "unit",
    "gender",
    "race",
    "hired_on",
)
LIMITS = {
    "source_id": 64,
    "badge_number": 32,
    "first_name": 100,
    "last_name": 100,
    "rank": 64,
    "unit": 128,
    "gender": 32,
    "race": 64,
}
ROSTER_IMPORT = "officers.import"


@dataclass(frozen=True)
class RowError:
    """One problem: ``row`` is the CSV line's row number (header = 1), ``column`` its column."""

    row: int
    column: str
    problem: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.problem}"


@dataclass
class RosterReport:
    """What an import did (or, with ``errors``, why it did nothing)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)


def _clean(record: Mapping[str, str | None], number: int, errors: list[RowError]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for column in COLUMNS:
        raw = (record.get(column) or "").strip()
        if column == "hired_on":
            if raw:
                try:
                    values[column] = dt.date.fromisoformat(raw)
                except ValueError:
                    errors.append(RowError(number, column, f"{raw!r} is not a date (YYYY-MM-DD)"))
            else:
                values[column] = None
            continue
        if len(raw) > LIMITS[column]:
            errors.append(RowError(number, column, f"longer than {LIMITS[column]} characters"))
        values[column] = raw or None
    if not values.get("badge_number") and not values.get("source_id"):
        errors.append(RowError(number, "badge_number", "give a badge number or a source_id"))
    return values


def read_roster(text: str) -> tuple[list[dict[str, str | None]], list[RowError]]:
    """Parse roster CSV text into rows; header problems come back as errors on row 1."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in reader.fieldnames or []]
    errors = [RowError(1, h, "unknown column") for h in header if h not in COLUMNS]
    if not {"badge_number", "source_id"} & set(header):
        errors.append(RowError(1, "badge_number", "the header needs badge_number or source_id"))
    reader.fieldnames = header
    rows: list[dict[str, str | None]] = []
    for record in reader:
        if None in record:
            errors.append(RowError(reader.line_num, "-", "more values than columns"))
        rows.append({k: v for k, v in record.items() if k is not None})
    return rows, errors


def import_roster(
    session: Session,
    rows: Iterable[Mapping[str, str | None]],
    *,
    source: str,
    now: dt.datetime,
    actor_id: int | None = None,
) -> RosterReport:
    """Upsert ``rows`` into the roster (see the module docstring) without committing.

    Returns a report; when it has ``errors`` nothing was changed. The caller commits. Writes one
    audit entry with the counts (no names).
    """
    report = RosterReport()
    cleaned: list[tuple[int, dict[str, Any]]] = []
    seen_badges: dict[str, int] = {}
    seen_sources: dict[str, int] = {}
    for index, record in enumerate(rows, start=2):
        values = _clean(record, index, report.errors)
        for key, seen in (("badge_number", seen_badges), ("source_id", seen_sources)):
            value = values.get(key)
            if isinstance(value, str):
                if value in seen:
                    report.errors.append(RowError(index, key, f"same {key} as row {seen[value]}"))
                seen[value] = index
        cleaned.append((index, values))
    if report.errors:
        return report

    if not session.in_transaction():
        begin_write(session)
    existing = list(session.scalars(select(Officer)))
    by_source = {o.source_id: o for o in existing if o.source == source and o.source_id}
    by_badge = {o.badge_number: o for o in existing if o.badge_number}
    for index, values in cleaned:
        officer = by_source.get(values["source_id"]) if values["source_id"] else None
        if officer is None and values["badge_number"]:
            officer = by_badge.get(values["badge_number"])
        holder = by_badge.get(values["badge_number"]) if values["badge_number"] else None
        if holder is not None and officer is not None and holder is not officer:
            report.errors.append(
                RowError(index, "badge_number", "this badge number belongs to another officer")
            )
            continue
        if officer is None:
            officer = Officer(source=source)
            session.add(officer)
            report.created += 1
        else:
            changed = any(
                getattr(officer, k) != values[k] for k in COLUMNS if k != "source_id"
            ) or bool(values["source_id"] and officer.source_id != values["source_id"])
            if changed:
                report.updated += 1
            else:
                report.unchanged += 1
        for key in COLUMNS:
            if key == "source_id" and not values[key]:
                continue
            setattr(officer, key, values[key])
        if values["source_id"]:
            officer.source = source
            by_source[values["source_id"]] = officer
        if values["badge_number"]:
            by_badge[values["badge_number"]] = officer
    if report.errors:
        session.rollback()
        report.created = report.updated = report.unchanged = 0
        return report
    session.flush()
    audit.record(
        session,
        actor_id=actor_id,
        action=ROSTER_IMPORT,
        object_type="officer",
        detail=(
            f"source={source} created={report.created} updated={report.updated} "
            f"unchanged={report.unchanged}"
        ),
        now=now,
    )
    return report
