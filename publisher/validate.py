"""Validation of a written release with Frictionless, before it becomes visible.

Each resource is validated against its explicit Table Schema (types, constraints, enums, keys,
foreign keys, bytes and sha256) by ``frictionless``, one resource per child interpreter: the
package has foreign keys, and Frictionless's own ``parallel`` mode turns itself off for those.
Frictionless stops collecting errors at 1,000 per resource by default; the report says so.
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


def _validate_in_child(descriptor: str, name: str) -> tuple[str, list[str], int, float]:
    """Run ``validate_resource`` in a fresh interpreter (``python -m publisher.validate``).

    A plain child process, not ``multiprocessing``: nothing depends on how the caller's
    ``__main__`` was started (a script, stdin, a test runner, a notebook).
    """
    root = str(Path(__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    done = subprocess.run(  # noqa: S603 - our own module, arguments are paths and names
        [sys.executable, "-m", "publisher.validate", descriptor, name],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-5:]
        return name, [f"validation crashed: {' / '.join(tail)}"], 0, 0.0
    out = json.loads(done.stdout)
    return name, list(out["problems"]), int(out["rows"]), float(out["peak_rss_mib"])


def validate_release(
    folder: Path,
    names: Sequence[str],
    *,
    workers: int = 2,
    on_done: Callable[[str], None] | None = None,
) -> ValidationResult:
    """Validate resources ``names`` of the release at ``folder`` with Frictionless.

    With ``workers > 1``, up to ``workers`` child interpreters validate one resource each at a
    time (biggest files first); with ``workers <= 1`` everything runs in this process.
    ``on_done`` is called per resource.
    """
    descriptor = str(folder / "datapackage.json")
    result = ValidationResult()
    ordered = sorted(names, key=lambda n: -(folder / "data" / f"{n}.csv").stat().st_size)

    def record(outcome: tuple[str, list[str], int, float]) -> None:
        name, problems, rows, peak = outcome
        result.problems[name], result.rows[name] = problems, rows
        result.peak_rss_mib = max(result.peak_rss_mib, peak)
        if on_done:
            on_done(name)

    if workers <= 1:
        for n in ordered:
            record(validate_resource(descriptor, n))
        return result
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for outcome in pool.map(lambda n: _validate_in_child(descriptor, n), ordered):
            record(outcome)
    return result


def _main(argv: Sequence[str]) -> None:
    """``python -m publisher.validate DESCRIPTOR NAME``: print the resource's result as JSON."""
    descriptor, name = argv
    _, problems, rows, peak = validate_resource(descriptor, name)
    print(json.dumps({"problems": problems, "rows": rows, "peak_rss_mib": peak}))


if __name__ == "__main__":
    _main(sys.argv[1:])
