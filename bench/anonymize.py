"""Time the k-anonymity step alone on synthetic complainants (not a pass/fail test).

    .venv/bin/python bench/anonymize.py [RECORDS ...]   # default: 100000 1000000

Prints wall time per stage of ``anonymize_complainants`` (level search, local suppression, the
rest) and what it chose, twice on the same frame, side by side: over every column an attacker
can join to a complainant (the policy's quasi-identifiers: age band, gender, race, received and
closed periods, days to close, channel, district), and over the five the publisher used before
(age band, gender, race, district, received period), so the run itself shows what measuring the
whole join costs. ``bench/publish.py`` times the whole publish.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Callable
from typing import Any

import publisher.anonymize as anonymize
from publisher.policy import load_policy


def _timed(name: str, func: Callable[..., Any], times: dict[str, float]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            times[name] = time.perf_counter() - started

    return wrapper


#: The quasi-identifiers of releases before closed period, days to close and channel counted
#: (a bench-only policy: ``publisher.policy`` refuses a file that lists fewer than the join).
FIVE = (
    "complainants.age_band",
    "complainants.gender",
    "complainants.race",
    "complaints.received_period",
    "complaints.district",
)


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [100_000, 1_000_000]
    full = load_policy()
    five = dataclasses.replace(full, quasi_identifiers=FIVE)
    for records in sizes:
        frame = anonymize.benchmark_frame(records, seed=1)
        totals = {}
        for name, policy in (("full join", full), ("five columns", five)):
            totals[name] = _run(name, frame, policy, records)
        ratio = totals["full join"] / totals["five columns"]
        print(f"{records:>9,} complainants: full join / five columns = {ratio:.2f}x")


def _run(name: str, frame: Any, policy: Any, records: int) -> float:
    """Anonymize ``frame`` under ``policy``, print the figures, return the total seconds."""
    times: dict[str, float] = {}
    search, local = anonymize.search_levels, anonymize.local_suppression
    anonymize.search_levels = _timed("search", search, times)
    anonymize.local_suppression = _timed("local suppression", local, times)
    try:
        started = time.perf_counter()
        result = anonymize.anonymize_complainants(frame, policy)
        total = time.perf_counter() - started
    finally:
        anonymize.search_levels, anonymize.local_suppression = search, local
    report = result.report
    levels = {a: result.levels[a] for a in policy.attributes}
    print(
        f"{records:>9,} complainants, {name}: total {total:5.2f} s"
        f" | search {times['search']:.2f} s ({report.combinations_searched} of"
        f" {report.combinations_total} combinations) | local suppression"
        f" {times['local suppression']:.2f} s | records with a withheld value"
        f" {report.records_suppressed:,} ({report.records_suppressed / records:.2%})"
        f" | k {report.k_achieved} | levels {levels}"
    )
    return total


if __name__ == "__main__":
    main(sys.argv[1:])
