"""Small-cell and complementary suppression of count tables (pure Python; tables are small).

A table is a list of counts plus its *lines*: sets of cells whose total is published or can be
derived (a 1-D table's total; a 2-D table's rows, columns and grand total; a time series'
window totals and balance equations). Rules, applied until nothing changes:

1. primary: every count from 1 to threshold - 1 is suppressed (``small_cell``); zeros stay;
2. lines: a line of two or more cells holding exactly one suppressed cell gets a second one,
   its smallest visible cell, preferring a non-zero one (``complementary``): one unknown in a
   line with a known total is that total minus the visible cells;
3. for a 2-D grid with known row and column totals, a suppressed cell is still derivable when it
   is a *bridge* of the bipartite graph rows–columns whose edges are the suppressed cells (no
   cycle of suppressed cells passes through it); each bridge gets a visible cell closing a cycle
   through it.

Rule 2 makes the "only suppressed cell in a line" attack impossible; rule 3 makes the 2-D
suppression exact (a cell of a grid with known margins is determined iff it is such a bridge).
"""

from __future__ import annotations

from collections.abc import Sequence

NONE = "none"
SMALL_CELL = "small_cell"
COMPLEMENTARY = "complementary"


def _pick(cells: Sequence[int], counts: Sequence[int]) -> int:
    """The cell to hide as a complement: the smallest non-zero one, else the first zero."""
    return min(cells, key=lambda i: (counts[i] == 0, counts[i], i))


def protect(
    counts: Sequence[int],
    lines: Sequence[Sequence[int]],
    threshold: int,
    grid: tuple[int, int] | None = None,
) -> list[str]:
    """Suppression kind of each cell (``none``, ``small_cell``, ``complementary``).

    ``counts``: non-negative cell counts. ``lines``: index lists of cells with a published or
    derivable total. ``grid=(rows, columns)`` marks a 2-D table whose cell ``r * columns + c``
    lies in row ``r`` and column ``c`` (its row/column lines need not be repeated in ``lines``).
    Deterministic: ties go to the lower index.
    """
    kinds = [SMALL_CELL if 0 < c < threshold else NONE for c in counts]
    all_lines = [list(line) for line in lines if len(line) >= 2]
    if grid is not None:
        rows, cols = grid
        if rows * cols != len(counts):
            raise ValueError("grid does not match the number of cells")
        all_lines += [[r * cols + c for c in range(cols)] for r in range(rows) if cols >= 2]
        all_lines += [[r * cols + c for r in range(rows)] for c in range(cols) if rows >= 2]
    while True:
        changed = _close_lines(kinds, counts, all_lines)
        if grid is not None:
            changed = _break_bridges(kinds, counts, grid) or changed
        if not changed:
            return kinds


def _close_lines(kinds: list[str], counts: Sequence[int], lines: list[list[int]]) -> bool:
    """Rule 2 until stable; True if any cell was added."""
    added = False
    changed = True
    while changed:
        changed = False
        for line in lines:
            hidden = [i for i in line if kinds[i] != NONE]
            if len(hidden) == 1:
                visible = [i for i in line if kinds[i] == NONE]
                kinds[_pick(visible, counts)] = COMPLEMENTARY
                changed = added = True
    return added


def bridges(suppressed: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Suppressed cells (row, column) that lie on no cycle of suppressed cells (derivable ones)."""
    edges = list(suppressed)
    out = []
    for index, (r, c) in enumerate(edges):
        others = edges[:index] + edges[index + 1 :]
        if not _connected(others, ("r", r), ("c", c)):
            out.append((r, c))
    return out


def _component(edges: Sequence[tuple[int, int]], start: tuple[str, int]) -> set[tuple[str, int]]:
    """Nodes reachable from ``start`` in the bipartite graph of ``edges``."""
    adjacency: dict[tuple[str, int], list[tuple[str, int]]] = {}
    for r, c in edges:
        adjacency.setdefault(("r", r), []).append(("c", c))
        adjacency.setdefault(("c", c), []).append(("r", r))
    seen = {start}
    stack = [start]
    while stack:
        node = stack.pop()
        for nxt in adjacency.get(node, []):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def _connected(
    edges: Sequence[tuple[int, int]], start: tuple[str, int], goal: tuple[str, int]
) -> bool:
    """Whether ``goal`` is reachable from ``start``."""
    return goal in _component(edges, start)


def _break_bridges(kinds: list[str], counts: Sequence[int], grid: tuple[int, int]) -> bool:
    """Rule 3 for the first bridge found; True if a cell was added."""
    cols = grid[1]
    hidden = [(i // cols, i % cols) for i, kind in enumerate(kinds) if kind != NONE]
    for r, c in bridges(hidden):
        others = [e for e in hidden if e != (r, c)]
        side_r = _component(others, ("r", r))
        side_c = _component(others, ("c", c))
        rows_r = [n for kind, n in side_r if kind == "r"]
        cols_r = [n for kind, n in side_r if kind == "c"]
        rows_c = [n for kind, n in side_c if kind == "r"]
        cols_c = [n for kind, n in side_c if kind == "c"]
        # A visible cell joining the two sides puts (r, c) on a cycle.
        candidates = [
            rr * cols + cc
            for rr, cc in [(a, b) for a in rows_c for b in cols_r]
            + [(a, b) for a in rows_r for b in cols_c]
            if kinds[rr * cols + cc] == NONE and (rr, cc) != (r, c)
        ]
        if candidates:
            kinds[_pick(candidates, counts)] = COMPLEMENTARY
            return True
    return False
