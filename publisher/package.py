"""Writing a release folder: CSVs, ``datapackage.json``, ``CHANGELOG.md`` and ``SHA256SUMS``.

Every byte is deterministic: rows arrive sorted, CSVs are UTF-8 RFC 4180 with ``\\n`` line ends
(polars quotes only when needed), JSON has sorted keys and a final newline, and ``created`` comes
from the data, never the clock. The Table Schemas are the files in ``publisher/schemas/`` (the
allow-list: a frame column that is not a schema field is an error, never written), adjusted
only where the policy decides a value set (generalized group names, officer names).
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

SCHEMAS = Path(__file__).resolve().parent / "schemas"
PACKAGE_PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
RECORD_TABLES = ("complaints", "allegations", "officers", "complainants")
#: Resource descriptions (the schema files hold the field descriptions).
RECORD_DESCRIPTIONS = {
    "complaints": "One row per published (closed) complaint.",
    "allegations": "One row per allegation (one officer and one category of conduct).",
    "officers": "One row per pseudonymous officer named in a published allegation.",
    "complainants": "One row per complainant; the quasi-identifiers are k-anonymous.",
}
SEMVER = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")


class PackageError(ValueError):
    """A frame does not match its published schema (a column outside the allow-list...)."""


def version_key(version: str) -> tuple[int, int, int]:
    """``MAJOR.MINOR.PATCH`` as a sortable tuple; raises ``PackageError`` if not semantic."""
    match = SEMVER.match(version)
    if not match:
        raise PackageError(
            f"version {version!r} is not a semantic version MAJOR.MINOR.PATCH (e.g. 1.2.0)"
        )
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def load_schema(name: str) -> dict[str, Any]:
    """The Table Schema of table ``name`` from ``publisher/schemas/`` (a fresh copy)."""
    path = SCHEMAS / f"{name}.json"
    if not path.exists():
        raise PackageError(f"no published schema for table {name!r}: it cannot leave")
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return schema


def schema_for(
    name: str,
    *,
    extra_values: Mapping[str, Iterable[str]] | None = None,
    drop_fields: Sequence[str] = (),
) -> dict[str, Any]:
    """The schema of ``name`` as published: ``extra_values`` (field → values) are added to that
    field's enum (the policy's generalized group names), ``drop_fields`` removed (officer names
    when the policy does not publish them). The schema-level ``description`` is removed (it goes
    on the resource)."""
    schema = copy.deepcopy(load_schema(name))
    schema.pop("description", None)
    schema["fields"] = [f for f in schema["fields"] if f["name"] not in drop_fields]
    for fld in schema["fields"]:
        extra = (extra_values or {}).get(fld["name"])
        enum = fld.get("constraints", {}).get("enum")
        if extra is not None and enum is not None:
            fld["constraints"]["enum"] = enum + sorted(set(extra) - set(enum))
    return schema


def resource_description(name: str) -> str:
    """The description of resource ``name``."""
    if name in RECORD_DESCRIPTIONS:
        return RECORD_DESCRIPTIONS[name]
    return str(load_schema(name).get("description", ""))


def check_columns(name: str, frame: pl.DataFrame, schema: Mapping[str, Any]) -> None:
    """Raise ``PackageError`` unless ``frame``'s columns are exactly the schema's fields, in order.

    This is the allow-list: a column not in the published schema cannot leave.
    """
    fields = [f["name"] for f in schema["fields"]]
    if frame.columns != fields:
        extra = [c for c in frame.columns if c not in fields]
        missing = [f for f in fields if f not in frame.columns]
        raise PackageError(
            f"{name}: columns {frame.columns} do not match the published schema {fields}"
            + (f"; not allowed: {extra}" if extra else "")
            + (f"; missing: {missing}" if missing else "")
        )


def write_csv(frame: pl.DataFrame, path: Path) -> None:
    """Write ``frame`` as UTF-8 RFC 4180 CSV with ``\\n`` line ends; null is an empty cell."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.write_csv(path, line_terminator="\n", quote_style="necessary", null_value="")


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class PackageInfo:
    """What ``datapackage.json`` says about the release besides its resources."""

    version: str
    created: str
    licence: str
    licence_url: str
    attribution: str
    publisher: str = "Police oversight office"
    name: str = "lantern-complaints"
    title: str = "Police complaints: anonymized closed cases"
    keywords: list[str] = field(
        default_factory=lambda: [
            "police oversight",
            "complaints",
            "police accountability",
            "open data",
            "anonymized",
        ]
    )


def datapackage(
    folder: Path,
    info: PackageInfo,
    schemas: Mapping[str, Mapping[str, Any]],
    extra: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """The Data Package v2 descriptor of the CSVs already written under ``folder/data``.

    ``extra``: resources of other files already written (the SQLite database and Parquet files,
    see ``publisher.formats``), listed after the CSVs with their ``bytes`` and ``hash``.
    """
    resources = []
    for name, schema in schemas.items():
        path = folder / "data" / f"{name}.csv"
        resources.append(
            {
                "name": name,
                "type": "table",
                "path": f"data/{name}.csv",
                "scheme": "file",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "description": resource_description(name),
                "bytes": path.stat().st_size,
                "hash": f"sha256:{sha256_of(path)}",
                "dialect": {"delimiter": ",", "quoteChar": '"', "header": True},
                "schema": dict(schema),
            }
        )
    for spec in extra:
        path = folder / spec["path"]
        resources.append(
            {**spec, "bytes": path.stat().st_size, "hash": f"sha256:{sha256_of(path)}"}
        )
    return {
        "$schema": PACKAGE_PROFILE,
        "name": info.name,
        "title": info.title,
        "description": (
            "Closed police misconduct complaints, anonymized under the policy in policy.toml: "
            "no names, contact details, narratives, exact dates or ages; stable pseudonymous "
            "ids; k-anonymous complainant attributes; small cells suppressed in the aggregates "
            "(disclosure-report.md explains what was done). " + info.attribution
        ),
        "version": info.version,
        "created": info.created,
        "licenses": [{"name": info.licence, "path": info.licence_url, "title": info.licence}],
        "sources": [
            {
                "title": f"{info.publisher} case management database (Lantern), closed cases",
            }
        ],
        "contributors": [{"title": info.publisher, "roles": ["publisher"]}],
        "keywords": info.keywords,
        "resources": resources,
    }


def write_json(path: Path, value: Any) -> None:
    """Deterministic JSON: sorted keys, 2-space indent, UTF-8, final newline."""
    path.write_text(
        json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
    )


def write_sha256sums(folder: Path) -> None:
    """Write ``SHA256SUMS`` for every other file of ``folder`` (``sha256sum -c`` format)."""
    lines = [
        f"{sha256_of(path)}  {path.relative_to(folder).as_posix()}\n"
        for path in sorted(folder.rglob("*"), key=lambda p: p.relative_to(folder).as_posix())
        if path.is_file() and path.name != "SHA256SUMS"
    ]
    (folder / "SHA256SUMS").write_text("".join(lines), encoding="utf-8")
