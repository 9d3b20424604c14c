"""``CHANGELOG.md`` of a release: what changed since the previous release in the same folder.

Complaints are compared by pseudonymous id and by the content of everything published about
them (their complaints row, their allegations and their complainants), so a complaint counts as
changed when any of its published rows differ. Schema changes compare the resources and their
fields (name and type) with the previous ``datapackage.json``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl

from publisher.package import SEMVER, version_key

#: Ids are listed when there are at most this many in a group (counts are always given).
MAX_LISTED = 50
_SEP = "\x1f"


def previous_release(root: Path, version: str) -> Path | None:
    """The release folder under ``root`` with the highest semantic version below ``version``."""
    if not root.is_dir():
        return None
    mine = version_key(version)
    candidates = [
        p
        for p in root.iterdir()
        if SEMVER.match(p.name)
        and (p / "datapackage.json").is_file()
        and version_key(p.name) < mine
    ]
    return max(candidates, key=lambda p: version_key(p.name)) if candidates else None


def _read(path: Path) -> pl.DataFrame:
    """A published CSV with every column as text (empty cells stay empty strings)."""
    return pl.read_csv(path, infer_schema=False)


def _rows_text(frame: pl.DataFrame, columns: list[str]) -> pl.Expr:
    """One text per row of ``columns`` (unit-separated, so column boundaries stay visible)."""
    del frame
    return pl.concat_str([pl.col(c).fill_null("") for c in columns], separator=_SEP)


def fingerprints(data: Mapping[str, pl.DataFrame]) -> pl.DataFrame:
    """``complaint_id`` and ``content``: a 64-bit hash of every published row about it.

    ``data`` maps table name to its frame (``complaints`` required; ``allegations`` and
    ``complainants`` used when present). Child rows are sorted, so their order does not count.
    Hashes (not the texts) keep a million complaints' fingerprints small; both releases are
    hashed in the same process, so polars' hash is comparable.
    """
    complaints = data["complaints"]
    own = [c for c in complaints.columns if c != "complaint_id"]
    result = complaints.select(
        "complaint_id", _rows_text(complaints, own).hash(seed=0).alias("content")
    )
    for table in ("allegations", "complainants"):
        frame = data.get(table)
        if frame is None:
            continue
        cols = [c for c in frame.columns if c != "complaint_id"]
        children = (
            frame.select("complaint_id", _rows_text(frame, cols).alias("row"))
            .group_by("complaint_id")
            .agg(pl.col("row").sort().str.join("\x1e").hash(seed=0).alias(table))
        )
        result = result.join(children, on="complaint_id", how="left").select(
            "complaint_id",
            pl.struct(pl.col("content"), pl.col(table).fill_null(0)).hash(seed=0).alias("content"),
        )
    return result


def _release_frames(folder: Path) -> dict[str, pl.DataFrame]:
    """The record tables of a release folder that exist."""
    frames = {}
    for table in ("complaints", "allegations", "complainants"):
        path = folder / "data" / f"{table}.csv"
        if path.exists():
            frames[table] = _read(path)
    return frames


def schema_changes(
    previous: Mapping[str, Any], current: Mapping[str, Mapping[str, Any]]
) -> list[str]:
    """Sentences naming resources and fields added, removed or retyped since ``previous``.

    ``previous`` is the earlier ``datapackage.json``; ``current`` maps resource name → schema.
    """
    old = {
        r["name"]: {f["name"]: f.get("type", "any") for f in r.get("schema", {}).get("fields", [])}
        for r in previous.get("resources", [])
        if "schema" in r  # tables only: the SQLite and Parquet copies are files
    }
    new = {
        name: {f["name"]: f.get("type", "any") for f in schema.get("fields", [])}
        for name, schema in current.items()
    }
    lines = [f"Table `{n}` added." for n in sorted(set(new) - set(old))]
    lines += [f"Table `{n}` removed." for n in sorted(set(old) - set(new))]
    for name in sorted(set(old) & set(new)):
        before, after = old[name], new[name]
        lines += [f"`{name}.{f}` added ({after[f]})." for f in after if f not in before]
        lines += [f"`{name}.{f}` removed." for f in before if f not in after]
        lines += [
            f"`{name}.{f}` type changed from {before[f]} to {after[f]}."
            for f in after
            if f in before and before[f] != after[f]
        ]
    return lines


def _listed(title: str, ids: list[str]) -> list[str]:
    """A count line, and the ids when there are few."""
    lines = [f"- {title}: {len(ids):,}"]
    if 0 < len(ids) <= MAX_LISTED:
        lines += [f"  - `{i}`" for i in ids]
    return lines


def changelog(
    version: str,
    current: Mapping[str, pl.DataFrame],
    schemas: Mapping[str, Mapping[str, Any]],
    previous: Path | None,
) -> str:
    """The ``CHANGELOG.md`` text of ``version`` (``current``: published record frames)."""
    lines = [f"# Changelog: release {version}", ""]
    total = current["complaints"].height
    if previous is None:
        lines += [
            "First release in this folder: there is no earlier release to compare with.",
            "",
            f"- Complaints published: {total:,}",
            "",
        ]
        return "\n".join(lines)
    old_package = json.loads((previous / "datapackage.json").read_text(encoding="utf-8"))
    before = fingerprints(_release_frames(previous))
    after = fingerprints(current)
    both = after.join(before, on="complaint_id", how="full", suffix="_old", coalesce=True)
    added = both.filter(pl.col("content_old").is_null())["complaint_id"].sort().to_list()
    removed = both.filter(pl.col("content").is_null())["complaint_id"].sort().to_list()
    changed = (
        both.filter(
            pl.col("content").is_not_null()
            & pl.col("content_old").is_not_null()
            & (pl.col("content") != pl.col("content_old"))
        )["complaint_id"]
        .sort()
        .to_list()
    )
    unchanged = total - len(added) - len(changed)
    lines += [
        f"Compared with release {previous.name}, the previous release in this folder, by "
        "pseudonymous complaint id and the content of every published row about each complaint "
        "(its complaints row, allegations and complainants). A change of generalization level "
        "between releases (see disclosure-report.md) changes the rows it touches.",
        "",
        "## Complaints",
        "",
        *_listed("Added", added),
        *_listed("Changed", changed),
        *_listed("Removed (no longer published)", removed),
        f"- Unchanged: {unchanged:,}",
        f"- Published in this release: {total:,}",
        "",
        "## Schema changes",
        "",
    ]
    changes = schema_changes(old_package, schemas)
    lines += [f"- {c}" for c in changes] if changes else ["None."]
    lines.append("")
    return "\n".join(lines)
