"""Time the k-anonymity step alone on synthetic complainants (not a pass/fail test).

    .venv/bin/python bench/anonymize.py [RECORDS ...]   # default: 100000 1000000

Prints wall time per stage of ``anonymize_complainants`` (level search, local suppression, the
rest) and what it chose. ``bench/publish.py`` times the whole publish.
"""

from __future__ import annotations

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


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [100_000, 1_000_000]
    policy = load_policy()
    for records in sizes:
        frame = anonymize.benchmark_frame(records, seed=1)
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
        print(
            f"{records:>9,} complainants: total {total:5.2f} s | search {times['search']:.2f} s"
            f" ({report.combinations_searched} combinations) | local suppression"
            f" {times['local suppression']:.2f} s | records with a withheld value"
            f" {report.records_suppressed:,} ({report.records_suppressed / records:.2%})"
            f" | levels {result.levels}"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
