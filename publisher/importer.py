"""Historical import: closed cases from CSV files described by a TOML mapping.

A mapping names the files, how they join (every file has a column holding the case's id in the
source), which column feeds which field, value maps, date formats, defaults and rows to skip. The
format is documented in the README ("Importing historical cases"); ``publisher/mappings/`` holds
real examples.

Guarantees: every error names the file, the row and the column (values of personal fields are
never echoed); a failed import writes nothing (one transaction); cases already imported from the
same source (``source``, ``source_id``) are left alone, so a re-run is idempotent; only closed
cases go in (rows matching a ``[[skip]]`` rule exclude their whole case, counted per reason).
"""

from __future__ import annotations

import csv
import datetime as dt
import time
import tomllib
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Date,
    Engine,
    Enum,
    Integer,
    String,
    Table,
    insert,
    select,
)
from sqlalchemy.schema import ColumnDefault
from sqlalchemy.types import DateTime, TypeDecorator

from portal.db import WRITE_OPTION
from portal.models import (
    Allegation,
    AuditEntry,
    Complainant,
    Complaint,
    InvolvedOfficer,
    Officer,
)
from portal.vocabulary import CaseState, Finding, age_band_of
from publisher.seed import insert_rows, next_ids, reset_sequences

#: Stop collecting after this many errors: the first few are enough to fix a mapping.
MAX_ERRORS = 20

#: Fields a mapping may fill, per entity (everything else is set by the importer or left empty).
ENTITY_FIELDS: dict[str, tuple[Table, frozenset[str]]] = {
    "complaint": (
        Complaint.__table__,  # type: ignore[dict-item]
        frozenset(
            {
                "source_id",
                "received_at",
                "closed_at",
                "channel",
                "district",
                "beat",
                "narrative",
                "reported_categories",
                "incident_date",
                "incident_location",
                "screening_outcome",
                "preferred_language",
            }
        ),
    ),
    "officer": (
        Officer.__table__,  # type: ignore[dict-item]
        frozenset(
            {
                "source_id",
                "first_name",
                "last_name",
                "badge_number",
                "rank",
                "unit",
                "gender",
                "race",
                "hired_on",
            }
        ),
    ),
    "allegation": (
        Allegation.__table__,  # type: ignore[dict-item]
        frozenset({"category", "finding", "recommended_finding", "discipline", "suspension_days"}),
    ),
    "complainant": (
        Complainant.__table__,  # type: ignore[dict-item]
        frozenset({"role", "age", "age_band", "gender", "race"}),
    ),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "complaint": ("source_id", "received_at", "channel"),
    "officer": ("source_id",),
    "allegation": ("category",),
    "complainant": (),
}
_FIELD_KEYS = frozenset(
    {"column", "value", "map", "unmapped", "default", "format", "time", "split", "required"}
)


class MappingError(ValueError):
    """The mapping file itself is wrong (unknown key, missing file section, bad value map)."""


class ImportFailed(RuntimeError):
    """The data does not fit the mapping; ``errors`` lists each problem with file, row, column."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        more = " (stopped after the first errors)" if len(errors) >= MAX_ERRORS else ""
        super().__init__(f"{len(errors)} error(s){more}:\n" + "\n".join(errors))


@dataclass(frozen=True)
class FieldSpec:
    """How one target field is filled: from ``column`` (or the constant ``value``)."""

    target: str
    column: str | None
    value: Any
    value_map: dict[str, str] | None
    unmapped: str  # "error" | "keep" | "null"
    default: Any
    date_format: str | None
    at_time: dt.time | None
    split: str | None
    required: bool


@dataclass(frozen=True)
class SkipRule:
    """Rows of ``file`` whose ``column`` is one of ``values`` exclude their whole case."""

    file: str
    column: str
    values: frozenset[str]
    reason: str


@dataclass(frozen=True)
class FileSpec:
    """One CSV file and the column holding the case's id in the source."""

    name: str
    path: str
    key: str
    delimiter: str
    encoding: str


@dataclass(frozen=True)
class ImportMapping:
    """A parsed, checked mapping."""

    source: str
    strip: bool
    files: dict[str, FileSpec]
    entities: dict[str, tuple[str, list[FieldSpec]]]  # entity → (file name, fields)
    skips: list[SkipRule]
    path: Path


@dataclass
class ImportSummary:
    """What an import did (or, on a dry run, would do)."""

    source: str
    dry_run: bool
    complaints_read: int = 0
    imported: int = 0
    already_imported: int = 0
    excluded: Counter[str] = field(default_factory=Counter)
    allegations: int = 0
    merged_allegations: int = 0
    officers_new: int = 0
    officers_existing: int = 0
    involved_officers: int = 0
    unidentified_officers: int = 0
    complainants: int = 0
    orphan_rows: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    def report(self) -> str:
        """A plain-text summary for the terminal (counts only, never personal data)."""
        verb = "would import" if self.dry_run else "imported"
        lines = [
            f"{self.source}: {self.complaints_read} cases read; {verb} {self.imported} closed "
            f"cases in {self.seconds:.1f} s"
            + (" (dry run: nothing written)" if self.dry_run else ""),
            f"  allegations: {self.allegations} ({self.merged_allegations} duplicate rows merged)",
            f"  officers: {self.officers_new} new, {self.officers_existing} already known; "
            f"{self.involved_officers} involved, {self.unidentified_officers} unidentified",
            f"  complainants: {self.complainants}",
        ]
        if self.already_imported:
            lines.append(f"  already imported (left alone): {self.already_imported}")
        total_excluded = sum(self.excluded.values())
        lines.append(f"  excluded: {total_excluded}")
        for reason, count in sorted(self.excluded.items()):
            lines.append(f"    {count:6d}  {reason}")
        for name, count in sorted(self.orphan_rows.items()):
            lines.append(f"  {name}: {count} row(s) naming a case not in the main file, ignored")
        return "\n".join(lines)


# --- the mapping ---------------------------------------------------------------------------------


def _parse_time(text: str, where: str) -> dt.time:
    """Parse a mapping's ``HH:MM`` time."""
    try:
        return dt.time.fromisoformat(text)
    except ValueError as error:
        raise MappingError(f"{where}: time {text!r} is not HH:MM") from error


def _field_spec(
    entity: str, target: str, raw: Any, maps: Mapping[str, dict[str, str]], where: str
) -> FieldSpec:
    """Check one ``[entity.fields]`` entry and turn it into a ``FieldSpec``."""
    table, allowed = ENTITY_FIELDS[entity]
    if target not in allowed:
        raise MappingError(
            f"{where}: {entity} has no importable field {target!r} "
            f"(allowed: {', '.join(sorted(allowed))})"
        )
    if isinstance(raw, str):
        raw = {"column": raw}
    if not isinstance(raw, dict):
        raise MappingError(f"{where}: expected a column name or a table")
    unknown = set(raw) - _FIELD_KEYS
    if unknown:
        raise MappingError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    if ("column" in raw) == ("value" in raw):
        raise MappingError(f"{where}: give exactly one of 'column' or 'value'")
    value_map = raw.get("map")
    if isinstance(value_map, str):
        if value_map not in maps:
            raise MappingError(f"{where}: no [maps.{value_map}] section")
        value_map = maps[value_map]
    if value_map is not None and not (
        isinstance(value_map, dict) and all(isinstance(v, str) for v in value_map.values())
    ):
        raise MappingError(f"{where}: 'map' must name a [maps.X] section or be a table of strings")
    unmapped = raw.get("unmapped", "error" if value_map else "keep")
    if unmapped not in {"error", "keep", "null"}:
        raise MappingError(f"{where}: 'unmapped' must be error, keep or null")
    kind = _kind(table.c[target])
    date_format = raw.get("format")
    if kind in {"date", "datetime"} and "column" in raw and not date_format:
        raise MappingError(f"{where}: a date needs 'format' (strptime, e.g. \"%Y-%m-%d\")")
    at_time = _parse_time(raw["time"], where) if "time" in raw else None
    return FieldSpec(
        target=target,
        column=raw.get("column"),
        value=raw.get("value"),
        value_map=value_map,
        unmapped=unmapped,
        default=raw.get("default"),
        date_format=date_format,
        at_time=at_time,
        split=raw.get("split"),
        # An empty officer id is allowed: it means the officer was never identified.
        required=bool(raw.get("required", target in REQUIRED[entity] and entity != "officer")),
    )


def load_mapping(path: Path) -> ImportMapping:
    """Read and check a TOML mapping; raise ``MappingError`` naming what is wrong and where."""
    try:
        with path.open("rb") as handle:
            doc = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise MappingError(f"{path.name}: {error}") from error
    source = doc.get("source")
    if not isinstance(source, str) or not source:
        raise MappingError(f"{path.name}: 'source' (the name stored on imported rows) is required")
    files: dict[str, FileSpec] = {}
    for name, spec in (doc.get("files") or {}).items():
        if not isinstance(spec, dict) or "path" not in spec or "key" not in spec:
            raise MappingError(f"{path.name}: [files.{name}] needs 'path' and 'key'")
        files[name] = FileSpec(
            name=name,
            path=spec["path"],
            key=spec["key"],
            delimiter=spec.get("delimiter", ","),
            encoding=spec.get("encoding", "utf-8-sig"),
        )
    if not files:
        raise MappingError(f"{path.name}: no [files.*] sections")
    maps = doc.get("maps") or {}
    entities: dict[str, tuple[str, list[FieldSpec]]] = {}
    for entity in ENTITY_FIELDS:
        section = doc.get(entity)
        if section is None:
            continue
        file_name = section.get("file")
        if file_name not in files:
            raise MappingError(f"{path.name}: [{entity}] file {file_name!r} is not in [files]")
        specs = [
            _field_spec(entity, target, raw, maps, f"{path.name}: [{entity}.fields.{target}]")
            for target, raw in (section.get("fields") or {}).items()
        ]
        given = {s.target for s in specs}
        missing = [t for t in REQUIRED[entity] if t not in given]
        if missing:
            raise MappingError(f"{path.name}: [{entity}.fields] needs {', '.join(missing)}")
        entities[entity] = (file_name, specs)
    if "complaint" not in entities:
        raise MappingError(f"{path.name}: a [complaint] section is required")
    if ("officer" in entities) and ("allegation" not in entities):
        raise MappingError(f"{path.name}: [officer] needs an [allegation] section")
    if "officer" in entities and entities["officer"][0] != entities["allegation"][0]:
        raise MappingError(f"{path.name}: [officer] and [allegation] must read the same file")
    skips = []
    for index, rule in enumerate(doc.get("skip") or []):
        where = f"{path.name}: [[skip]] #{index + 1}"
        if rule.get("file") not in files or not rule.get("column") or not rule.get("reason"):
            raise MappingError(f"{where} needs a known 'file', a 'column' and a 'reason'")
        skips.append(
            SkipRule(
                rule["file"], rule["column"], frozenset(rule.get("values", [])), rule["reason"]
            )
        )
    return ImportMapping(
        source=source,
        strip=bool(doc.get("strip", True)),
        files=files,
        entities=entities,
        skips=skips,
        path=path,
    )


# --- reading and converting ----------------------------------------------------------------------


@dataclass
class _Row:
    """One CSV row with where it came from (for error messages)."""

    file: str
    number: int  # 1-based data row (the header is row 0)
    line: int  # physical line where the row ends (quoted fields may span lines)
    cells: dict[str, str]


def _read(spec: FileSpec, data_dir: Path, strip: bool, columns: set[str]) -> list[_Row]:
    """Read one CSV file (stripped if asked), checking the mapped columns exist."""
    path = data_dir / spec.path
    if not path.is_file():
        raise ImportFailed([f"{spec.path}: file not found in {data_dir}"])
    rows = []
    with path.open(newline="", encoding=spec.encoding) as handle:
        reader = csv.DictReader(handle, delimiter=spec.delimiter)
        header = [h.strip() if strip else h for h in (reader.fieldnames or [])]
        reader.fieldnames = header
        missing = sorted(columns - set(header))
        if missing:
            raise ImportFailed(
                [
                    f"{spec.path}: column {c!r} named in the mapping is not in the header"
                    for c in missing
                ]
            )
        for number, cells in enumerate(reader, start=1):
            if strip:
                cells = {k: (v.strip() if isinstance(v, str) else "") for k, v in cells.items()}
            rows.append(_Row(spec.path, number, reader.line_num, cells))
    return rows


def _kind(column: Column[Any]) -> str:
    """The kind of value a column takes: enum, datetime, date, int, list or str."""
    kind: Any = column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance if hasattr(kind, "impl_instance") else kind.impl
    if isinstance(kind, Enum):
        return "enum"
    if isinstance(kind, DateTime):
        return "datetime"
    if isinstance(kind, Date):
        return "date"
    if isinstance(kind, Integer):
        return "int"
    if isinstance(kind, JSON):
        return "list"
    return "str"


class _Converter:
    """Turns cells into typed field values, collecting errors instead of stopping at the first."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def error(self, row: _Row, column: str | None, message: str) -> None:
        """Record an error at ``row`` (and ``column``), up to ``MAX_ERRORS``."""
        if len(self.errors) < MAX_ERRORS:
            where = f"{row.file}, row {row.number} (line {row.line})"
            if column:
                where += f", column {column}"
            self.errors.append(f"{where}: {message}")

    def values(self, entity: str, specs: Iterable[FieldSpec], row: _Row) -> dict[str, Any] | None:
        """The converted fields of ``entity`` from ``row`` (None when the row has errors)."""
        table, _ = ENTITY_FIELDS[entity]
        out: dict[str, Any] = {}
        ok = True
        for spec in specs:
            column = table.c[spec.target]
            personal = (column.comment or "").startswith("PERSONAL")
            try:
                out[spec.target] = self._one(spec, column, row)
            except ValueError as problem:
                ok = False
                shown = "" if personal or spec.column is None else row.cells.get(spec.column, "")
                detail = f" (value {shown[:40]!r})" if shown else ""
                self.error(row, spec.column, f"{problem}{detail}")
        return out if ok else None

    def _one(self, spec: FieldSpec, column: Column[Any], row: _Row) -> Any:
        """Map, default and convert one field of one row (ValueError: a bad cell)."""
        raw: Any = spec.value if spec.column is None else row.cells.get(spec.column, "")
        if spec.column is not None and spec.value_map is not None:
            if raw in spec.value_map:
                raw = spec.value_map[raw]
            elif raw != "":
                if spec.unmapped == "error":
                    raise ValueError("value not in the mapping's value map")
                if spec.unmapped == "null":
                    raw = ""
        if raw == "" or raw is None:
            raw = spec.default
            if raw == "" and _kind(column) == "str":
                return ""  # an explicit empty default, e.g. for a narrative that is NOT NULL
        if raw is None or raw == "":
            if spec.required:
                raise ValueError(f"{spec.target} is required but empty")
            return [] if _kind(column) == "list" else None
        return self._typed(spec, column, raw)

    def _typed(self, spec: FieldSpec, column: Column[Any], raw: Any) -> Any:
        """Convert a non-empty value to the target column's type."""
        kind = _kind(column)
        if kind == "enum":
            enum_class = column.type.enum_class  # type: ignore[attr-defined]
            try:
                return enum_class(raw)
            except ValueError:
                allowed = ", ".join(m.value for m in enum_class)
                raise ValueError(f"{raw!r} is not a {spec.target} (allowed: {allowed})") from None
        if kind == "list":
            parts = str(raw).split(spec.split) if spec.split else [str(raw)]
            return [p.strip() for p in parts if p.strip()]
        if kind == "int":
            try:
                return int(raw)
            except ValueError:
                raise ValueError("not a whole number") from None
        if kind in {"date", "datetime"}:
            if isinstance(raw, dt.date):
                day_or_time: dt.date | dt.datetime = raw
            else:
                try:
                    day_or_time = dt.datetime.strptime(str(raw), spec.date_format or "%Y-%m-%d")
                except ValueError:
                    raise ValueError(f"does not match the date format {spec.date_format}") from None
            if kind == "date":
                return day_or_time.date() if isinstance(day_or_time, dt.datetime) else day_or_time
            moment = (
                day_or_time
                if isinstance(day_or_time, dt.datetime)
                else dt.datetime.combine(day_or_time, dt.time())
            )
            if spec.at_time is not None:
                moment = dt.datetime.combine(moment.date(), spec.at_time)
            return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment
        text = str(raw)
        length = getattr(column.type, "length", None)
        if isinstance(column.type, String) and length and len(text) > length:
            raise ValueError(f"longer than {length} characters")
        return text


# --- the import ----------------------------------------------------------------------------------


def _columns_used(mapping: ImportMapping) -> dict[str, set[str]]:
    """The columns of each file the mapping reads (to check headers up front)."""
    used: dict[str, set[str]] = {name: {spec.key} for name, spec in mapping.files.items()}
    for file_name, specs in mapping.entities.values():
        used[file_name].update(s.column for s in specs if s.column)
    for rule in mapping.skips:
        used[rule.file].add(rule.column)
    return used


def _sustained_first(existing: dict[str, Any], candidate: dict[str, Any]) -> bool:
    """Whether a duplicate allegation row should replace the one kept (a sustained one wins)."""
    return candidate.get("finding") is Finding.SUSTAINED and (
        existing.get("finding") is not Finding.SUSTAINED
    )


def run_import(
    engine: Engine,
    mapping: ImportMapping,
    data_dir: Path,
    *,
    now: dt.datetime,
    actor: int | None = None,
    dry_run: bool = False,
) -> ImportSummary:
    """Import the closed cases ``mapping`` describes from the CSV files in ``data_dir``.

    Reads and converts everything first; any error raises ``ImportFailed`` (listing file, row and
    column) before a single row is written. Writes in one transaction, so a failure while writing
    also leaves the database unchanged. Cases already imported from ``mapping.source`` are left
    alone; officers already known (same source and id) are reused. ``dry_run`` does all of it
    except the writing. Imported cases are ``closed``; ``created_at``/``updated_at`` are ``now``.
    The audit trail records the import (counts only) with ``actor`` (None: the command line).
    """
    started = time.perf_counter()
    summary = ImportSummary(source=mapping.source, dry_run=dry_run)
    used = _columns_used(mapping)
    rows = {
        name: _read(spec, data_dir, mapping.strip, used[name])
        for name, spec in mapping.files.items()
    }
    main_file, _ = mapping.entities["complaint"]
    main_key = mapping.files[main_file].key

    # Group every other file's rows under the case they belong to.
    by_case: dict[str, dict[str, list[_Row]]] = defaultdict(lambda: defaultdict(list))
    main_rows: dict[str, _Row] = {}
    convert = _Converter()
    for row in rows[main_file]:
        case_id = row.cells[main_key]
        if case_id in main_rows:
            convert.error(
                row, main_key, f"duplicate case id (first on row {main_rows[case_id].number})"
            )
        main_rows[case_id] = row
    for name, file_rows in rows.items():
        if name == main_file:
            continue
        key = mapping.files[name].key
        for row in file_rows:
            if row.cells[key] in main_rows:
                by_case[row.cells[key]][name].append(row)
            else:
                summary.orphan_rows[mapping.files[name].path] += 1
    summary.complaints_read = len(main_rows)

    # Skip rules: the first rule a case's rows match excludes the whole case.
    kept: list[str] = []
    for case_id, row in main_rows.items():
        reason = None
        for rule in mapping.skips:
            candidates = [row] if rule.file == main_file else by_case[case_id][rule.file]
            if any(r.cells.get(rule.column, "") in rule.values for r in candidates):
                reason = rule.reason
                break
        if reason is None:
            kept.append(case_id)
        else:
            summary.excluded[reason] += 1

    with engine.connect() as conn:
        conn = conn.execution_options(**{WRITE_OPTION: True})
        with conn.begin() as transaction:
            already = _existing(conn, Complaint.__table__, mapping.source)  # type: ignore[arg-type]
            officers_known = _existing(conn, Officer.__table__, mapping.source)  # type: ignore[arg-type]
            plan = _plan(
                mapping, kept, main_rows, by_case, already, officers_known, convert, now, summary
            )
            if convert.errors:
                raise ImportFailed(convert.errors)
            if dry_run:
                transaction.rollback()
            else:
                _write(conn, plan)
                _audit(conn, summary, now, actor)
    summary.seconds = time.perf_counter() - started
    return summary


def _audit(conn: Connection, summary: ImportSummary, now: dt.datetime, actor: int | None) -> None:
    """One audit entry per import, in the import's transaction (counts only, no personal data)."""
    conn.execute(
        insert(AuditEntry.__table__),  # type: ignore[arg-type]
        {
            "at": now,
            "actor_id": actor,
            "action": "cases.import",
            "object_type": "source",
            "detail": (
                f"source={summary.source} read={summary.complaints_read} "
                f"imported={summary.imported} already={summary.already_imported} "
                f"excluded={sum(summary.excluded.values())} allegations={summary.allegations}"
            ),
        },
    )


def _existing(conn: Connection, table: Table, source: str) -> dict[str, int]:
    """Source id → row id of what was already imported from ``source``."""
    query = select(table.c.source_id, table.c.id).where(table.c.source == source)
    return {source_id: row_id for source_id, row_id in conn.execute(query)}


@dataclass
class _Plan:
    """The converted rows of an import, linked by list positions until ids are given."""

    complaints: list[dict[str, Any]] = field(default_factory=list)
    officers: list[dict[str, Any]] = field(default_factory=list)
    involved: list[dict[str, Any]] = field(default_factory=list)
    allegations: list[dict[str, Any]] = field(default_factory=list)
    complainants: list[dict[str, Any]] = field(default_factory=list)


def _plan(
    mapping: ImportMapping,
    kept: list[str],
    main_rows: dict[str, _Row],
    by_case: dict[str, dict[str, list[_Row]]],
    already: dict[str, int],
    officers_known: dict[str, int],
    convert: _Converter,
    now: dt.datetime,
    summary: ImportSummary,
) -> _Plan:
    """Convert the kept cases into rows with placeholder keys (ids are given when writing)."""
    plan = _Plan()
    main_file, complaint_specs = mapping.entities["complaint"]

    def rows_of(case_id: str, file_name: str) -> list[_Row]:
        # One CSV may hold both the case and its (single) allegation or complainant.
        if not file_name:
            return []
        if file_name == main_file:
            return [main_rows[case_id]]
        return by_case[case_id].get(file_name, [])

    allegation_file, allegation_specs = mapping.entities.get("allegation", ("", []))
    _, officer_specs = mapping.entities.get("officer", ("", []))
    complainant_file, complainant_specs = mapping.entities.get("complainant", ("", []))
    officer_key: dict[str, int] = {}  # source officer id → index in plan.officers or -(id) known
    for case_id in kept:
        row = main_rows[case_id]
        values = convert.values("complaint", complaint_specs, row)
        if values is None:
            continue
        if values["source_id"] in already:
            summary.already_imported += 1
            continue
        case_index = len(plan.complaints)
        values.update(
            {
                "source": mapping.source,
                "state": CaseState.CLOSED,
                "created_at": now,
                "updated_at": now,
            }
        )
        values.setdefault("reported_categories", [])
        plan.complaints.append(values)

        # Allegations, grouped by the officer they are against (one unidentified per case).
        involved_index: dict[str | None, int] = {}
        kept_allegations: dict[tuple[int, Any], dict[str, Any]] = {}
        for child in rows_of(case_id, allegation_file):
            allegation = convert.values("allegation", allegation_specs, child)
            officer = convert.values("officer", officer_specs, child) if officer_specs else {}
            if allegation is None or officer is None:
                continue
            officer_source_id = officer.get("source_id")
            if officer_source_id not in involved_index:
                involved_index[officer_source_id] = len(plan.involved)
                roster: tuple[str, int] | None = None
                if officer_source_id is not None:
                    if officer_source_id in officers_known:
                        roster = ("known", officers_known[officer_source_id])
                        if officer_source_id not in officer_key:
                            officer_key[officer_source_id] = -1
                            summary.officers_existing += 1
                    else:
                        if officer_source_id not in officer_key:
                            officer_key[officer_source_id] = len(plan.officers)
                            # The first row naming an officer gives their roster details.
                            plan.officers.append({**officer, "source": mapping.source})
                        roster = ("new", officer_key[officer_source_id])
                else:
                    summary.unidentified_officers += 1
                plan.involved.append(
                    {"case": case_index, "roster": roster, "is_unknown": roster is None}
                )
            involved = involved_index[officer_source_id]
            dedupe = (involved, allegation["category"])
            allegation.update({"case": case_index, "involved": involved})
            if allegation.get("finding") is not None:
                allegation.setdefault("decided_at", values.get("closed_at"))
            if dedupe in kept_allegations:
                summary.merged_allegations += 1
                if _sustained_first(kept_allegations[dedupe], allegation):
                    kept_allegations[dedupe] = allegation
                continue
            kept_allegations[dedupe] = allegation
        plan.allegations.extend(kept_allegations.values())

        for child in rows_of(case_id, complainant_file):
            person = convert.values("complainant", complainant_specs, child)
            if person is None:
                continue
            if "age_band" not in person and person.get("age") is not None:
                person["age_band"] = age_band_of(person["age"])
            person["case"] = case_index
            plan.complainants.append(person)
    summary.imported = len(plan.complaints)
    summary.allegations = len(plan.allegations)
    summary.officers_new = len(plan.officers)
    summary.involved_officers = len(plan.involved)
    summary.complainants = len(plan.complainants)
    return plan


def _complete(table: Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give every row the same keys (executemany needs them), filling column defaults."""
    names = [c.name for c in table.columns]
    defaults = {
        c.name: (
            c.default.arg if isinstance(c.default, ColumnDefault) and c.default.is_scalar else None
        )
        for c in table.columns
    }
    return [
        {name: defaults[name] if row.get(name) is None else row[name] for name in names}
        for row in rows
    ]


def _write(conn: Connection, plan: _Plan) -> None:
    """Insert the plan with explicit ids, parents first, in the caller's transaction."""
    tables: dict[str, Table] = {
        "complaints": Complaint.__table__,  # type: ignore[dict-item]
        "officers": Officer.__table__,  # type: ignore[dict-item]
        "involved_officers": InvolvedOfficer.__table__,  # type: ignore[dict-item]
        "allegations": Allegation.__table__,  # type: ignore[dict-item]
        "complainants": Complainant.__table__,  # type: ignore[dict-item]
    }
    ids = next_ids(conn, list(tables.values()))
    complaint_ids = [ids["complaints"] + i for i in range(len(plan.complaints))]
    officer_ids = [ids["officers"] + i for i in range(len(plan.officers))]
    for i, row in enumerate(plan.complaints):
        row["id"] = complaint_ids[i]
        # Historical cases have no portal reference; give them a unique, recognisable one.
        row["reference"] = f"IMP-{complaint_ids[i]:011d}"
    for i, row in enumerate(plan.officers):
        row["id"] = officer_ids[i]
    involved_rows = []
    for i, item in enumerate(plan.involved):
        roster = item["roster"]
        officer_id = None
        if roster is not None:
            officer_id = roster[1] if roster[0] == "known" else officer_ids[roster[1]]
        involved_rows.append(
            {
                "id": ids["involved_officers"] + i,
                "complaint_id": complaint_ids[item["case"]],
                "officer_id": officer_id,
                "is_unknown": item["is_unknown"],
            }
        )
    allegation_rows = [
        {
            **{k: v for k, v in row.items() if k not in {"case", "involved"}},
            "id": ids["allegations"] + i,
            "complaint_id": complaint_ids[row["case"]],
            "involved_officer_id": ids["involved_officers"] + row["involved"],
        }
        for i, row in enumerate(plan.allegations)
    ]
    complainant_rows = [
        {
            **{k: v for k, v in row.items() if k != "case"},
            "id": ids["complainants"] + i,
            "complaint_id": complaint_ids[row["case"]],
        }
        for i, row in enumerate(plan.complainants)
    ]
    for name, data in (
        ("complaints", plan.complaints),
        ("officers", plan.officers),
        ("involved_officers", involved_rows),
        ("allegations", allegation_rows),
        ("complainants", complainant_rows),
    ):
        if data:
            insert_rows(conn, tables[name], _complete(tables[name], data))
    reset_sequences(conn, list(tables.values()))
