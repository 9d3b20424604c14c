"""Static SVG charts for the statistics site, drawn once at build time with matplotlib.

Static SVG needs no JavaScript and is byte-identical between builds: the SVG id salt is fixed
and the Date metadata dropped. Colours are Okabe–Ito (colour-blind safe). A suppressed cell is
never drawn as zero: it gets a hatched outline bar up to the threshold (its upper bound) with a
"fewer than N" / "withheld" label.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

import matplotlib

matplotlib.use("Agg")  # no display on a build machine

import matplotlib.pyplot as plt  # after choosing the backend
from matplotlib.figure import Figure

from publisher.site_i18n import LANGUAGES, SiteLanguage, load_language

OKABE_ITO = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]

_RC: dict[str, Any] = {
    "svg.hashsalt": "lantern-site",  # stable ids -> byte-identical SVG between builds
    "svg.fonttype": "none",  # text stays text: smaller files, readable by screen readers
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


@dataclass(frozen=True)
class Cell:
    """One charted value: ``count`` is None when suppressed (``suppression`` says how)."""

    label: str
    count: float | None
    suppression: str = "none"


@contextmanager
def _style() -> Iterator[None]:
    """The site's chart style, restored afterwards (the build may run inside other code)."""
    with plt.rc_context():
        # rcParams is typed with literal keys only; the keys above are valid ones.
        cast(Any, plt.rcParams).update(_RC)
        yield


def _to_svg(fig: Figure) -> str:
    """Serialise ``fig`` as deterministic SVG text and close it."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def suppressed_label(suppression: str, threshold: int, lang: SiteLanguage | None = None) -> str:
    """The words the site uses for a suppressed cell (the README's contract), in ``lang``
    (English by default): "fewer than N" for a small cell, "withheld" for any other."""
    lang = lang or load_language(LANGUAGES[0])
    if suppression == "small_cell":
        return lang.gettext("fewer than {threshold}").format(threshold=threshold)
    return lang.gettext("withheld")


def bar_chart(
    cells: list[Cell],
    *,
    title: str,
    xlabel: str,
    threshold: int,
    lang: SiteLanguage | None = None,
) -> str:
    """Horizontal bar chart of ``cells`` as SVG text; suppressed cells hatched and labelled."""
    with _style():
        height = 0.8 + 0.35 * max(len(cells), 1)
        fig, ax = plt.subplots(figsize=(6.4, height))
        labels = [c.label for c in cells]
        positions = list(range(len(cells)))
        known = [c.count if c.count is not None else 0 for c in cells]
        top = max([*known, threshold, 1])
        for pos, cell in zip(positions, cells, strict=True):
            if cell.count is None:
                ax.barh(pos, threshold, color="none", edgecolor="#444444", hatch="///")
                ax.text(
                    threshold + top * 0.01,
                    pos,
                    suppressed_label(cell.suppression, threshold, lang),
                    va="center",
                    fontsize=8,
                )
            else:
                ax.barh(pos, cell.count, color=OKABE_ITO[0])
        ax.set_yticks(positions, labels)
        ax.invert_yaxis()
        ax.set_xlabel(xlabel)
        ax.set_title(title, loc="left")
        ax.set_xlim(0, top * 1.25)
        return _to_svg(fig)


def line_chart(
    x: list[str], series: dict[str, list[float | None]], *, title: str, ylabel: str
) -> str:
    """Line chart (one line per series) as SVG text; a suppressed point is a gap (never a zero)."""
    with _style():
        fig, ax = plt.subplots(figsize=(6.4, 3.2))
        styles = ["-", "--", ":"]
        for i, (name, values) in enumerate(series.items()):
            ys = [float("nan") if v is None else v for v in values]
            ax.plot(x, ys, styles[i % 3], color=OKABE_ITO[i % len(OKABE_ITO)], label=name)
        step = max(1, len(x) // 8)
        ax.set_xticks(range(0, len(x), step), [x[j] for j in range(0, len(x), step)])
        ax.tick_params(axis="x", labelrotation=45)
        ax.set_ylabel(ylabel)
        ax.set_title(title, loc="left")
        ax.legend(frameon=False)
        return _to_svg(fig)
