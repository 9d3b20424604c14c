"""Aggregates: suppression properties (hypothesis, exact linear algebra) and hand-checked tables."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from publisher.aggregate import AggregateInputs, build_aggregates, caseload_by_month
from publisher.policy import load_policy
from publisher.suppression import COMPLEMENTARY, NONE, SMALL_CELL, bridges, protect


def derivable(
    counts: Sequence[int], kinds: Sequence[str], lines: Sequence[Sequence[int]]
) -> list[int]:
    """Suppressed cells whose value follows from the visible cells and the line totals.

    Exact: cell i is determined iff its unit vector lies in the row space of the line
    constraints restricted to the suppressed cells.
    """
    hidden = [i for i, kind in enumerate(kinds) if kind != NONE]
    if not hidden:
        return []
    matrix = np.array([[1.0 if i in line else 0.0 for i in hidden] for line in lines])
    if matrix.size == 0:
        return []
    rank = np.linalg.matrix_rank(matrix)
    out = []
    for position, cell in enumerate(hidden):
        unit = np.zeros(len(hidden))
        unit[position] = 1.0
        if np.linalg.matrix_rank(np.vstack([matrix, unit])) == rank:
            out.append(cell)
    return out


def check_primary(counts: Sequence[int], kinds: Sequence[str], threshold: int) -> None:
    """No visible count in 1..threshold-1; small cells labelled small_cell; zeros never."""
    for count, kind in zip(counts, kinds, strict=True):
        if 0 < count < threshold:
            assert kind == SMALL_CELL
        else:
            assert kind in (NONE, COMPLEMENTARY)


@settings(max_examples=300, deadline=None)
@given(
    counts=st.lists(st.integers(0, 14), min_size=2, max_size=12),
    threshold=st.integers(2, 11),
)
def test_one_way_tables_hide_small_cells_underivably(counts: list[int], threshold: int) -> None:
    line = list(range(len(counts)))
    kinds = protect(counts, [line], threshold)
    check_primary(counts, kinds, threshold)
    assert sum(k != NONE for k in kinds) != 1
    assert derivable(counts, kinds, [line]) == []


@settings(max_examples=300, deadline=None)
@given(
    shape=st.tuples(st.integers(1, 5), st.integers(1, 5)),
    data=st.data(),
    threshold=st.integers(2, 8),
)
def test_two_way_tables_hide_small_cells_underivably(
    shape: tuple[int, int], data: st.DataObject, threshold: int
) -> None:
    rows, cols = shape
    counts = data.draw(st.lists(st.integers(0, 12), min_size=rows * cols, max_size=rows * cols))
    kinds = protect(counts, [list(range(rows * cols))], threshold, (rows, cols))
    check_primary(counts, kinds, threshold)
    lines = [[r * cols + c for c in range(cols)] for r in range(rows)]
    lines += [[r * cols + c for r in range(rows)] for c in range(cols)]
    lines.append(list(range(rows * cols)))
    published = [line for line in lines if len(line) >= 2]  # a 1-cell line's total is the cell
    for line in published:
        assert sum(kinds[i] != NONE for i in line) != 1
    assert derivable(counts, kinds, published) == []


def test_line_rule_alone_leaves_a_bridge_that_the_grid_rule_closes() -> None:
    # Found by search: after the line rule every row and column holds 0 or >= 2 hidden cells,
    # yet (1, 3) joins two cycles of hidden cells and is derivable from the margins.
    counts = [20, 1, 9, 20, 20, 9, 2, 1, 9, 20, 20, 1, 2, 20, 0, 9]
    line_rule_only = [
        (0, 1), (0, 2), (1, 1), (1, 2), (1, 3), (2, 0), (2, 3), (3, 0), (3, 3),
    ]  # fmt: skip
    assert bridges(line_rule_only) == [(1, 3)]
    lines = [[r * 4 + c for c in range(4)] for r in range(4)]
    lines += [[r * 4 + c for r in range(4)] for c in range(4)]
    kinds_line_only = [NONE] * 16
    for r, c in line_rule_only:
        kinds_line_only[r * 4 + c] = SMALL_CELL
    assert all(sum(kinds_line_only[i] != NONE for i in line) != 1 for line in lines)
    assert derivable(counts, kinds_line_only, lines) == [1 * 4 + 3]
    kinds = protect(counts, [list(range(16))], 5, (4, 4))
    assert derivable(counts, kinds, lines) == []
    assert bridges([(i // 4, i % 4) for i, k in enumerate(kinds) if k != NONE]) == []


def test_complement_prefers_the_smallest_nonzero_cell() -> None:
    assert protect([3, 0, 40, 9, 12], [[0, 1, 2, 3, 4]], 5) == [
        SMALL_CELL,
        NONE,
        NONE,
        COMPLEMENTARY,
        NONE,
    ]
    # Only zeros left to hide: a zero is hidden rather than leave the small cell derivable.
    assert protect([3, 0], [[0, 1]], 5) == [SMALL_CELL, COMPLEMENTARY]


@settings(max_examples=100, deadline=None)
@given(
    events=st.lists(
        st.tuples(st.integers(0, 20), st.one_of(st.none(), st.integers(0, 6))),
        min_size=1,
        max_size=60,
    )
)
def test_caseload_balance_lines_never_hold_a_single_hidden_cell(
    events: list[tuple[int, int | None]],
) -> None:
    start = dt.date(2024, 1, 1)
    received = [start + dt.timedelta(days=30 * r) for r, _ in events]
    closed = [
        None if c is None else rec + dt.timedelta(days=30 * c)
        for rec, (_, c) in zip(received, events, strict=True)
    ]
    frame = pl.DataFrame({"received_at": received, "closed_at": closed})
    as_of = max(d for d in received + closed if d is not None)
    table = caseload_by_month(frame, as_of, 5)
    wide = {(m, s): (c, k) for m, s, c, k in table.iter_rows()}
    months = sorted({m for m, _ in wide})
    for i, month in enumerate(months):
        line = [(month, "open_at_month_end"), (month, "received"), (month, "closed")]
        if i:
            line.append((months[i - 1], "open_at_month_end"))
        assert sum(wide[cell][1] != NONE for cell in line) != 1
    # Open at month end is received so far minus closed so far (checked on visible cells).
    for month in months:
        end = dt.date.fromisoformat(month + "-01")
        end = (end.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        expected = sum(
            1 for r, c in zip(received, closed, strict=True) if r < end and (c is None or c >= end)
        )
        shown, kind = wide[(month, "open_at_month_end")]
        if kind == NONE:
            assert int(shown) == expected
        else:
            assert shown == "withheld"


# --- a small release checked by hand -------------------------------------------------------

DAYS = [10, 20, 25, 28, 29, 40, 45, 50, 70, 100, 120, 150, 170, 175, 200, 400, 500]
CLOSED = dt.date(2025, 6, 15)


def _inputs() -> AggregateInputs:
    n = len(DAYS)
    ids = [f"C-{i:012d}" for i in range(n)]
    received = [CLOSED - dt.timedelta(days=d) for d in DAYS]
    complaints = pl.DataFrame(
        {
            "complaint_id": ids,
            "channel": ["online"] * 12 + ["phone"] * 5,
            "district": ["D01"] * 8 + ["D02"] * 3 + ["D03"] * 6,
            "days_to_close": DAYS,
            "closed_at": [CLOSED] * n,
        }
    )
    officers = ["O-A"] * 7 + ["O-B"] * 2 + ["O-C"] + ["unidentified"] * 7
    allegations = pl.DataFrame(
        {
            "complaint_id": ids,
            "officer_id": officers,
            "category": ["force"] * 10 + ["discourtesy"] * 7,
            "finding": ["sustained"] * 6 + ["not_sustained"] * 11,
            "discipline": ["training"] * 3 + ["suspension"] * 3 + [None] * 11,
        }
    )
    complainants = pl.DataFrame(
        {
            "age_band": ["25_44"] * 10 + ["under_25"] * 7,
            "gender": ["man"] * 9 + ["woman"] * 6 + ["withheld"] * 2,
            "race": ["black"] * 17,
        }
    )
    caseload = pl.DataFrame(
        {
            "received_at": [
                *received,
                dt.date(2025, 11, 1),
                dt.date(2025, 11, 2),
                dt.date(2025, 11, 3),
            ],
            "closed_at": [CLOSED] * n + [None] * 3,
        }
    )
    return AggregateInputs(complaints, allegations, complainants, caseload, dt.date(2025, 12, 15))


def _rows(frame: pl.DataFrame) -> list[tuple[str, ...]]:
    return [tuple(str(v) for v in row) for row in frame.iter_rows()]


def test_release_aggregates_match_hand_counts() -> None:
    result = build_aggregates(_inputs(), load_policy())
    tables = result.tables
    assert sorted(tables) == [
        "agg_allegations_by_category_finding.csv",
        "agg_caseload_by_month.csv",
        "agg_complainant_demographics.csv",
        "agg_complaints_by_channel.csv",
        "agg_complaints_by_district.csv",
        "agg_days_to_close.csv",
        "agg_discipline_sustained.csv",
        "agg_headline.csv",
        "agg_officer_complaint_counts.csv",
    ]
    assert _rows(tables["agg_complaints_by_district.csv"]) == [
        ("D01", "8", "none"),
        ("D02", "withheld", "small_cell"),
        ("D03", "withheld", "complementary"),
    ]
    channel = _rows(tables["agg_complaints_by_channel.csv"])
    assert channel[:2] == [("online", "12", "none"), ("phone", "5", "none")]
    assert ("letter", "0", "none") in channel  # zeros are published as 0
    assert _rows(tables["agg_days_to_close.csv"]) == [
        ("0-30", "5", "none"),
        ("31-60", "withheld", "small_cell"),
        ("61-90", "withheld", "small_cell"),
        ("91-180", "5", "none"),
        ("181-365", "withheld", "small_cell"),
        ("366+", "withheld", "small_cell"),
    ]
    assert _rows(tables["agg_discipline_sustained.csv"]) == [
        ("training", "withheld", "small_cell"),
        ("suspension", "withheld", "small_cell"),
    ]
    assert _rows(tables["agg_officer_complaint_counts.csv"]) == [
        ("1", "withheld", "small_cell"),
        ("2", "withheld", "small_cell"),
        ("3-5", "0", "none"),
        ("6+", "withheld", "small_cell"),
    ]
    # force: 6 sustained, 4 not; discourtesy: 0 sustained, 7 not. The 4 hides 6 (its row) and
    # 7 (its column); then the sustained column holds one hidden cell, so its 0 goes too.
    assert _rows(tables["agg_allegations_by_category_finding.csv"]) == [
        ("force", "sustained", "withheld", "complementary"),
        ("force", "not_sustained", "withheld", "small_cell"),
        ("discourtesy", "sustained", "withheld", "complementary"),
        ("discourtesy", "not_sustained", "withheld", "complementary"),
    ]
    assert _rows(tables["agg_complainant_demographics.csv"]) == [
        ("age_band", "under_25", "7", "none"),
        ("age_band", "25_44", "10", "none"),
        ("gender", "woman", "withheld", "complementary"),  # vocabulary order
        ("gender", "man", "9", "none"),
        ("gender", "withheld", "withheld", "small_cell"),
        ("race", "black", "17", "none"),
    ]
    assert result.suppressed["agg_allegations_by_category_finding.csv"] == {
        "small_cell": 1,
        "complementary": 3,
    }
    assert result.suppressed["agg_complaints_by_district.csv"] == {
        "small_cell": 1,
        "complementary": 1,
    }


def test_headline_figures_match_hand_computation() -> None:
    table = build_aggregates(_inputs(), load_policy()).tables["agg_headline.csv"]
    assert table.columns == ["metric", "period", "value", "period_start", "period_end"]
    values = {(m, p): v for m, p, v, _, _ in table.iter_rows()}
    # Received in 2025: the 12 closed complaints open for at most 165 days plus 3 still open.
    assert values[("complaints_received", "current_12_months")] == "15"
    assert values[("complaints_received", "previous_12_months")] == "5"
    assert values[("complaints_closed", "current_12_months")] == "17"
    assert values[("complaints_closed", "previous_12_months")] == "0"
    assert values[("share_with_sustained", "current_12_months")] == "0.3529"  # 6 / 17
    assert values[("share_with_sustained", "previous_12_months")] == "withheld"
    assert values[("median_days_to_close", "current_12_months")] == "70"  # 9th of 17
    assert values[("p90_days_to_close", "current_12_months")] == "400"  # 16th of 17
    assert values[("median_days_to_close", "previous_12_months")] == "withheld"
    periods = {(p, s, e) for _, p, _, s, e in table.iter_rows()}
    assert periods == {
        ("current_12_months", "2025-01", "2025-12"),
        ("previous_12_months", "2024-01", "2024-12"),
    }


def test_caseload_counts_by_hand() -> None:
    table = build_aggregates(_inputs(), load_policy()).tables["agg_caseload_by_month.csv"]
    cells = {(m, s): (c, k) for m, s, c, k in table.iter_rows()}
    months = sorted({m for m, _ in cells})
    assert months[0] == "2024-02"  # received 500 days before 2025-06-15
    assert months[-1] == "2025-12"
    assert cells[("2025-06", "closed")] == ("17", "none")
    # Three cases still open from November: a small cell.
    assert cells[("2025-11", "open_at_month_end")] == ("withheld", "small_cell")
    assert cells[("2025-07", "open_at_month_end")] == ("0", "none")


def test_aggregates_are_deterministic() -> None:
    first = build_aggregates(_inputs(), load_policy())
    second = build_aggregates(_inputs(), load_policy())
    for name, frame in first.tables.items():
        assert frame.equals(second.tables[name])
        assert all(dtype == pl.Utf8 for dtype in frame.dtypes)
