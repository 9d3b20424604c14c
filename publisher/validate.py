"""Validation of a written release with Frictionless, before it becomes visible.

Each resource is validated against its explicit Table Schema (types, constraints, enums, keys,
foreign keys, bytes and sha256) by ``frictionless``, one resource per worker process: the
package has foreign keys, and Frictionless's own ``parallel`` mode turns itself off for those.
Frictionless stops collecting errors at 1,000 per resource by default; the report says so.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

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


def validate_resource(descriptor: str, name: str) -> tuple[str, list[str], int, float]:
    """Validate resource ``name`` of the package at ``descriptor``.

    Returns (name, problems, rows checked, peak RSS of this process in MiB).
    """
    from frictionless import Package

    package = Package(descriptor)
    report = package.validate(name=name, limit_errors=LIMIT_ERRORS)
    problems: list[str] = []
    rows = 0
    for error in report.errors:  # package-level (metadata) errors
        problems.append(f"datapackage.json: {error.message}")
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
        problems += [
            f"{warning} (Frictionless stops after {LIMIT_ERRORS:,} errors per table)"
            for warning in task.warnings
        ]
    return name, problems, rows, peak_rss_mib()


def validate_release(
    folder: Path,
    names: Sequence[str],
    *,
    workers: int = 2,
    on_done: Callable[[str], None] | None = None,
) -> ValidationResult:
    """Validate resources ``names`` of the release at ``folder`` with Frictionless.

    Runs ``workers`` processes (spawned, not forked: the caller may hold threads); with
    ``workers <= 1`` everything runs in this process. ``on_done`` is called per resource.
    """
    descriptor = str(folder / "datapackage.json")
    result = ValidationResult()
    # Biggest files first, so the longest validation starts at once.
    ordered = sorted(names, key=lambda n: -(folder / "data" / f"{n}.csv").stat().st_size)
    if workers <= 1:
        for n in ordered:
            name, problems, rows, peak = validate_resource(descriptor, n)
            result.problems[name], result.rows[name] = problems, rows
            result.peak_rss_mib = max(result.peak_rss_mib, peak)
            if on_done:
                on_done(name)
        return result
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [pool.submit(validate_resource, descriptor, n) for n in ordered]
        for future in futures:
            name, problems, rows, peak = future.result()
            result.problems[name], result.rows[name] = problems, rows
            result.peak_rss_mib = max(result.peak_rss_mib, peak)
            if on_done:
                on_done(name)
    return result
