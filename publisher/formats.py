"""The release's tables in two more formats: one SQLite database and one Parquet file per table.

CSV is the release's reference format; these are the same rows for people who work in SQL
(SQLite, Datasette) or in pandas, R, polars or DuckDB (Parquet). Both are written from the
release's own CSV files, read back as text and typed by the published Table Schemas, so they
hold exactly what the CSVs hold:

- a value listed in a field's ``missingValues`` (``""``, ``withheld``, ``unidentified``...)
  becomes NULL, so ``avg(days_to_close)`` or ``officer_id`` joins work; the ``suppression``
  column of an aggregate (and, for ``days_to_close``, an empty ``closed_period``) still tells
  why a value is missing;
- ``integer`` → INTEGER / Int64, ``number`` → REAL / Float64, everything else TEXT / String.

``data/lantern-<version>.sqlite`` has one table per CSV with its primary key, foreign keys and
NOT NULL for required fields, a ``data_dictionary`` table (one row per field: type, required,
description, allowed values, missing values) and a ``release`` table (version, created, licence).
``data/parquet/<table>.parquet`` has one file per CSV.

Both are byte-for-byte reproducible: rows go in in the CSV's order, the SQLite file has a
fixed page size, no WAL, no timestamps and is VACUUMed; Parquet files are written with fixed
compression, row-group size and statistics settings by the same polars.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final

import polars as pl

#: SQLite page size (bytes): fixed so the file does not depend on the build's default.
SQLITE_PAGE_SIZE = 4096
PARQUET_COMPRESSION: Final = "zstd"
PARQUET_LEVEL = 3
PARQUET_ROW_GROUP = 100_000
SQLITE_TYPES = {"integer": "INTEGER", "number": "REAL"}
POLARS_TYPES: dict[str, type[pl.DataType]] = {"integer": pl.Int64, "number": pl.Float64}
DICTIONARY_TABLE = "data_dictionary"
RELEASE_TABLE = "release"


def sqlite_path(version: str) -> str:
    """The SQLite database's path inside a release (``data/lantern-<version>.sqlite``)."""
    return f"data/lantern-{version}.sqlite"


def parquet_path(table: str) -> str:
    """A table's Parquet file path inside a release."""
    return f"data/parquet/{table}.parquet"


def _missing(schema: Mapping[str, Any], fld: Mapping[str, Any]) -> list[str]:
    """The field's missing values (the field's own, else the schema's, else ``[""]``)."""
    return list(fld.get("missingValues", schema.get("missingValues", [""])))


def typed_table(csv_path: Path, schema: Mapping[str, Any]) -> pl.DataFrame:
    """Read a release CSV as text and type it by its Table Schema (missing values → null).

    A value that does not fit its declared type becomes null here: the release's validation
    reports it in the CSV, and nothing is published.
    """
    fields = list(schema["fields"])
    # An empty cell reads as null: "" is a missing value of every published field.
    text = pl.read_csv(csv_path, schema={f["name"]: pl.Utf8 for f in fields})
    columns = []
    for fld in fields:
        column = pl.col(fld["name"])
        missing = _missing(schema, fld)
        if missing:
            column = pl.when(column.is_in(missing)).then(None).otherwise(column)
        kind = POLARS_TYPES.get(fld.get("type", "string"), pl.Utf8)
        columns.append(column.cast(kind, strict=False).alias(fld["name"]))
    return text.select(columns)


def _quote(name: str) -> str:
    """A SQL identifier in double quotes."""
    return '"' + name.replace('"', '""') + '"'


def create_table_sql(table: str, schema: Mapping[str, Any]) -> str:
    """``CREATE TABLE`` for a published table: declared types, NOT NULL for required fields,
    the primary key and the foreign keys of its Table Schema."""
    lines = []
    for fld in schema["fields"]:
        kind = SQLITE_TYPES.get(fld.get("type", "string"), "TEXT")
        required = " NOT NULL" if fld.get("constraints", {}).get("required") else ""
        lines.append(f"  {_quote(fld['name'])} {kind}{required}")
    key = schema.get("primaryKey")
    if key:
        lines.append(f"  PRIMARY KEY ({', '.join(_quote(k) for k in key)})")
    for fk in schema.get("foreignKeys", []):
        ref = fk["reference"]
        lines.append(
            f"  FOREIGN KEY ({', '.join(_quote(f) for f in fk['fields'])}) REFERENCES "
            f"{_quote(ref['resource'])} ({', '.join(_quote(f) for f in ref['fields'])})"
        )
    # A table with a primary key is stored in the key's own B-tree (WITHOUT ROWID): no second
    # copy of the key in an index, so the file is smaller and the load faster.
    suffix = " WITHOUT ROWID" if key else ""
    return f"CREATE TABLE {_quote(table)} (\n" + ",\n".join(lines) + "\n)" + suffix


def dictionary_rows(schemas: Mapping[str, Mapping[str, Any]]) -> list[tuple[Any, ...]]:
    """One row per published field: (table, position, field, type, required, description,
    allowed values as a JSON list or NULL, missing values as a JSON list)."""
    rows = []
    for table, schema in schemas.items():
        for position, fld in enumerate(schema["fields"], start=1):
            enum = fld.get("constraints", {}).get("enum")
            rows.append(
                (
                    table,
                    position,
                    fld["name"],
                    fld.get("type", "string"),
                    1 if fld.get("constraints", {}).get("required") else 0,
                    fld.get("description", ""),
                    json.dumps(enum, ensure_ascii=False) if enum is not None else None,
                    json.dumps(_missing(schema, fld), ensure_ascii=False),
                )
            )
    return rows


DICTIONARY_SQL = f"""CREATE TABLE {DICTIONARY_TABLE} (
  "table_name" TEXT NOT NULL,
  "position" INTEGER NOT NULL,
  "field_name" TEXT NOT NULL,
  "type" TEXT NOT NULL,
  "required" INTEGER NOT NULL,
  "description" TEXT NOT NULL,
  "allowed_values" TEXT,
  "missing_values" TEXT NOT NULL,
  PRIMARY KEY ("table_name", "field_name")
)"""
RELEASE_SQL = f"""CREATE TABLE {RELEASE_TABLE} (
  "key" TEXT NOT NULL PRIMARY KEY,
  "value" TEXT NOT NULL
)"""


def write_sqlite(
    path: Path,
    tables: Mapping[str, pl.DataFrame],
    schemas: Mapping[str, Mapping[str, Any]],
    about: Mapping[str, str],
) -> None:
    """Write the SQLite database of ``tables`` (typed frames, in ``schemas`` order) to ``path``.

    ``about`` (version, created, licence...) fills the ``release`` table. The file is built
    under a temporary name and renamed, never left half-written.
    """
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(partial, isolation_level=None)
    try:
        connection.execute(f"PRAGMA page_size = {SQLITE_PAGE_SIZE}")
        # Built under a temporary name and renamed when complete: no journal is needed, and
        # none is left in the file (the header says "rollback journal", never WAL).
        connection.execute("PRAGMA journal_mode = OFF")
        connection.execute("PRAGMA synchronous = OFF")
        connection.execute("PRAGMA foreign_keys = OFF")  # loaded in any order, checked below
        connection.execute("BEGIN")
        for table, schema in schemas.items():
            connection.execute(create_table_sql(table, schema))
            frame = tables[table]
            marks = ", ".join("?" for _ in frame.columns)
            connection.executemany(
                f"INSERT INTO {_quote(table)} VALUES ({marks})",  # noqa: S608 - schema names
                frame.iter_rows(),
            )
        connection.execute(DICTIONARY_SQL)
        connection.executemany(
            f"INSERT INTO {DICTIONARY_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
            dictionary_rows(schemas),
        )
        connection.execute(RELEASE_SQL)
        connection.executemany(
            f"INSERT INTO {RELEASE_TABLE} VALUES (?, ?)",  # noqa: S608 - a constant
            sorted(about.items()),
        )
        connection.execute("COMMIT")
        # Keys are checked after validation (``check_formats``), which reports the CSV's row.
        connection.execute("VACUUM")
    finally:
        connection.close()
    os.replace(partial, path)


def write_parquet(path: Path, frame: pl.DataFrame) -> None:
    """Write one typed table as Parquet with fixed settings (reproducible bytes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.write_parquet(
        path,
        compression=PARQUET_COMPRESSION,
        compression_level=PARQUET_LEVEL,
        statistics=True,
        row_group_size=PARQUET_ROW_GROUP,
    )


def write_formats(
    folder: Path,
    version: str,
    schemas: Mapping[str, Mapping[str, Any]],
    about: Mapping[str, str],
) -> list[str]:
    """Write the SQLite database and the Parquet files of every ``data/<table>.csv`` of the
    release in ``folder``; return the written paths (relative to ``folder``), SQLite first."""
    typed = {name: typed_table(folder / "data" / f"{name}.csv", s) for name, s in schemas.items()}
    written = [sqlite_path(version)]
    write_sqlite(folder / written[0], typed, schemas, about)
    for name, frame in typed.items():
        write_parquet(folder / parquet_path(name), frame)
        written.append(parquet_path(name))
    return written


#: (format, mediatype) by file suffix, for ``datapackage.json``.
MEDIA_TYPES = {
    ".sqlite": ("sqlite", "application/vnd.sqlite3"),
    ".parquet": ("parquet", "application/vnd.apache.parquet"),
}


def resource_name(path: str) -> str:
    """The resource name of an extra file: ``sqlite`` or ``<table>-parquet``."""
    if path.endswith(".sqlite"):
        return "sqlite"
    return Path(path).stem + "-parquet"


def describe(path: str) -> str:
    """The resource description of an extra file."""
    if path.endswith(".sqlite"):
        return (
            "Every table of this release in one SQLite database, with primary and foreign keys"
            " and the data dictionary as the table data_dictionary; values listed as missing"
            " in a field's schema (withheld, unidentified, empty) are NULL."
        )
    table = Path(path).stem
    return (
        f"data/{table}.csv as Parquet, typed by its Table Schema; values listed as missing"
        " (withheld, unidentified, empty) are null."
    )


def extra_resources(paths: Iterable[str]) -> list[dict[str, Any]]:
    """Resource stubs (name, path, format, mediatype, description) for the written files;
    ``package.datapackage`` adds ``bytes`` and ``hash``."""
    out = []
    for path in paths:
        fmt, mediatype = MEDIA_TYPES[Path(path).suffix]
        out.append(
            {
                "name": resource_name(path),
                # "file", not "table": Frictionless then checks their bytes and hash and does
                # not try to parse them (it needs extra plugins for SQLite and Parquet).
                "type": "file",
                "path": path,
                "scheme": "file",
                "format": fmt,
                "mediatype": mediatype,
                "description": describe(path),
            }
        )
    return out


def check_formats(folder: Path, paths: Iterable[str], rows: Mapping[str, int]) -> list[str]:
    """Problems of the written SQLite and Parquet files against the CSVs' row counts
    (``rows``: table → rows validated): each table must hold exactly as many rows, and the
    SQLite database must pass ``PRAGMA integrity_check``.

    Not ``PRAGMA foreign_key_check``: the CSVs' keys were just checked by validation, the copy
    holds the same rows, and the check costs 20 s at a million complaints (the tests run it).
    """
    problems = []
    for path in paths:
        if path.endswith(".parquet"):
            table = Path(path).stem
            n = pl.scan_parquet(folder / path).select(pl.len()).collect().item()
            if table in rows and n != rows[table]:
                problems.append(f"{path}: {n} rows, the CSV has {rows[table]}")
            continue
        connection = sqlite3.connect(f"file:{folder / path}?mode=ro", uri=True)
        try:
            if connection.execute("PRAGMA integrity_check").fetchone() != ("ok",):
                problems.append(f"{path}: integrity check failed")
            for table, expected in rows.items():
                count = f"SELECT count(*) FROM {_quote(table)}"  # noqa: S608 - schema names
                (n,) = connection.execute(count).fetchone()
                if n != expected:
                    problems.append(f"{path}: {table} has {n} rows, the CSV has {expected}")
        finally:
            connection.close()
    return problems
