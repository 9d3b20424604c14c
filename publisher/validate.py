"""Validation of a written release with Frictionless, before it becomes visible.

``datapackage.json`` is checked against the Data Package profile, then every resource against
its explicit Table Schema (types, required, enums, patterns, ranges, unique and primary keys,
bytes and sha256) by ``frictionless``, one resource per child interpreter in parallel.

Foreign keys are checked here with polars anti-joins instead of by Frictionless: Frictionless
re-reads and re-parses the whole referenced table (every field of a million complaints) once
per referencing table, which doubled the validation time of ``allegations`` and
``complainants``. The rule is the same (every key value that is not a missing value must exist
in the referenced table) and the report uses the same row numbers (the header is row 1).
Frictionless stops collecting errors at 1,000 per resource by default (so does the foreign-key
check); the report says so. ``bench/publish.py`` times a Frictionless-only validation of the
same files, foreign keys included, as the reference.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

#: (resource name, problems, rows checked, peak RSS MiB of the validating process)
Outcome = tuple[str, list[str], int, float]
#: Frictionless's default error limit per resource (validation stops there).
LIMIT_ERRORS = 1_000
#: Errors quoted per resource in the report (the count is always given).
QUOTED_ERRORS = 20


@dataclass
class ValidationResult:
    """Problems per resource (empty when valid) and the rows checked."""

    problems: dict[str, list[str]] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    #: Largest RSS high-water mark of a validating process (MiB).
    peak_rss_mib: float = 0.0

    @property
    def valid(self) -> bool:
        """True when no resource has a problem."""
        return not any(self.problems.values())

    def report(self) -> str:
        """A plain-text report of every problem (resource, row, field, message)."""
        lines = []
        for name, problems in sorted(self.problems.items()):
            if problems:
                lines.append(f"{name}: {len(problems):,} problem(s)")
                lines += [f"  {p}" for p in problems[:QUOTED_ERRORS]]
                if len(problems) > QUOTED_ERRORS:
                    lines.append(f"  ... and {len(problems) - QUOTED_ERRORS:,} more")
        return "\n".join(lines) if lines else "valid"


def peak_rss_mib() -> float:
    """This process's RSS high-water mark in MiB.

    ``VmHWM`` from ``/proc/self/status`` where there is one: unlike ``getrusage``'s
    ``ru_maxrss`` it starts afresh at ``exec``, so a child does not inherit its parent's peak.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def validate_metadata(descriptor: str) -> list[str]:
    """Problems of ``datapackage.json`` itself against the Data Package profile."""
    from frictionless import FrictionlessException, Package

    try:
        Package(descriptor).to_descriptor(validate=True)
    except FrictionlessException as exception:
        return [f"datapackage.json: {error.message}" for error in exception.to_errors()]
    return []


def validate_resource(descriptor: str, name: str) -> Outcome:
    """Validate resource ``name`` of the package at ``descriptor`` with Frictionless, foreign
    keys aside (see ``check_foreign_keys``).

    Returns (name, problems, rows checked, peak RSS of this process in MiB).
    """
    from frictionless import Resource

    folder = Path(descriptor).parent
    package = json.loads(Path(descriptor).read_text(encoding="utf-8"))
    spec = next(r for r in package["resources"] if r["name"] == name)
    spec = {**spec, "schema": {k: v for k, v in spec["schema"].items() if k != "foreignKeys"}}
    report = Resource(spec, basepath=str(folder)).validate(limit_errors=LIMIT_ERRORS)
    problems: list[str] = [f"{error.type}: {error.message}" for error in report.errors]
    rows = 0
    for task in report.tasks:
        rows += int(task.stats.get("rows") or 0)
        for error in task.errors:
            where = []
            row_number = getattr(error, "row_number", None)
            field_name = getattr(error, "field_name", None)
            if row_number:
                where.append(f"row {row_number}")
            if field_name:
                where.append(f"field {field_name}")
            prefix = f"{', '.join(where)}: " if where else ""
            problems.append(f"{prefix}{error.type}: {error.note or error.message}")
        # Warnings first: the report quotes only the first problems, and "stopped at the error
        # limit, there may be more" must not hide behind a thousand errors.
        problems[:0] = [
            f"{warning} (Frictionless stops after {LIMIT_ERRORS:,} errors per table; "
            "there may be more)"
            for warning in task.warnings
        ]
    return name, problems, rows, peak_rss_mib()


def check_foreign_keys(folder: Path) -> dict[str, list[str]]:
    """Foreign-key problems per resource of the release at ``folder`` (polars anti-joins).

    A value that is one of the field's (or the schema's) missing values is not checked, as in
    Frictionless; every other value must exist in the referenced resource's key fields.
    """
    import polars as pl

    package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    resources = {r["name"]: r for r in package["resources"]}
    problems: dict[str, list[str]] = {}
    for name, spec in resources.items():
        schema = spec.get("schema", {})  # the SQLite and Parquet resources have none
        for fk in schema.get("foreignKeys", []):
            fields = list(fk["fields"])
            target = fk["reference"]["resource"]
            target_fields = list(fk["reference"]["fields"])
            missing = {
                f["name"]: set(f.get("missingValues", schema.get("missingValues", [""])))
                for f in schema["fields"]
            }
            rows = pl.read_csv(folder / spec["path"], columns=fields, infer_schema=False)
            rows = rows.with_row_index("_row", offset=2).with_columns(
                pl.col(f).fill_null("") for f in fields
            )
            present = pl.all_horizontal(~pl.col(f).is_in(sorted(missing[f])) for f in fields)
            keys = (
                pl.read_csv(
                    folder / resources[target]["path"], columns=target_fields, infer_schema=False
                )
                .rename(dict(zip(target_fields, fields, strict=True)))
                .unique()
            )
            orphans = rows.filter(present).join(keys, on=fields, how="anti").sort("_row")
            for row in orphans.head(LIMIT_ERRORS).iter_rows(named=True):
                values = ", ".join(f"{f}={row[f]!r}" for f in fields)
                problems.setdefault(name, []).append(
                    f"row {row['_row']}: foreign-key-error: {values} not found in "
                    f"{target}.{', '.join(target_fields)}"
                )
            if orphans.height > LIMIT_ERRORS:
                problems[name].append(
                    f"foreign-key check stopped after {LIMIT_ERRORS:,} errors "
                    f"({orphans.height:,} rows in all)"
                )
    return problems


def _validate_in_child(descriptor: str, names: Sequence[str]) -> list[Outcome]:
    """Run ``validate_resource`` for ``names`` in one fresh interpreter
    (``python -m publisher.validate DESCRIPTOR NAME...``).

    A plain child process, not ``multiprocessing``: nothing depends on how the caller's
    ``__main__`` was started (a script, stdin, a test runner, a notebook).
    """
    root = str(Path(__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    done = subprocess.run(  # noqa: S603 - our own module, arguments are paths and names
        [sys.executable, "-m", "publisher.validate", descriptor, *names],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        tail = " / ".join(done.stderr.strip().splitlines()[-5:])
        return [(name, [f"validation crashed: {tail}"], 0, 0.0) for name in names]
    return [
        (o["name"], list(o["problems"]), int(o["rows"]), float(o["peak_rss_mib"]))
        for o in json.loads(done.stdout)
    ]


def _partition(sizes: dict[str, int], workers: int) -> list[list[str]]:
    """Split resources into ``workers`` groups of similar total size (biggest first)."""
    groups: list[list[str]] = [[] for _ in range(workers)]
    totals = [0] * workers
    for name in sorted(sizes, key=lambda n: (-sizes[n], n)):
        smallest = totals.index(min(totals))
        groups[smallest].append(name)
        totals[smallest] += sizes[name]
    return [g for g in groups if g]


def validate_release(
    folder: Path,
    names: Sequence[str],
    *,
    workers: int = 2,
    on_done: Callable[[str], None] | None = None,
) -> ValidationResult:
    """Validate the package metadata, resources ``names`` (Frictionless) and the foreign keys
    of the release at ``folder``.

    With ``workers > 1``, the resources are split into ``workers`` groups of similar size, each
    validated by one child interpreter (an interpreter start and the Frictionless import cost
    about a second, so one per resource would waste more than it saves); with ``workers <= 1``
    everything runs in this process. ``on_done`` is called per resource.
    """
    descriptor = str(folder / "datapackage.json")
    result = ValidationResult()
    metadata = validate_metadata(descriptor)
    if metadata:
        result.problems["datapackage.json"] = metadata
        return result
    sizes = {n: (folder / "data" / f"{n}.csv").stat().st_size for n in names}

    def record(outcome: Outcome) -> None:
        name, problems, rows, peak = outcome
        result.problems[name], result.rows[name] = problems, rows
        result.peak_rss_mib = max(result.peak_rss_mib, peak)
        if on_done:
            on_done(name)

    if workers <= 1:
        for n in sorted(names):
            record(validate_resource(descriptor, n))
    else:
        groups = _partition(sizes, workers)
        with ThreadPoolExecutor(max_workers=len(groups)) as pool:
            for outcomes in pool.map(lambda g: _validate_in_child(descriptor, g), groups):
                for outcome in outcomes:
                    record(outcome)
    for name, problems in check_foreign_keys(folder).items():
        if name in result.problems:
            result.problems[name] += problems
    return result


def _main(argv: Sequence[str]) -> None:
    """``python -m publisher.validate DESCRIPTOR NAME...``: print the results as a JSON list."""
    descriptor, *names = argv
    results = []
    for name in names:
        _, problems, rows, peak = validate_resource(descriptor, name)
        results.append({"name": name, "problems": problems, "rows": rows, "peak_rss_mib": peak})
    print(json.dumps(results))


if __name__ == "__main__":
    _main(sys.argv[1:])
