"""The officers table: no pseudonymous officer stands out by rank, gender, race and service."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from publisher.officer_privacy import OFFICER_QUASI_IDENTIFIERS, protect_officers
from publisher.policy import WITHHELD

COMMON = ("officer", "man", "white", "5_9")


def _frame(rows: list[tuple[str, str, str, str]]) -> pl.DataFrame:
    ids = [f"O-{i:012d}" for i in range(len(rows))]
    order = ("rank_group", "gender", "race", "years_of_service_band")
    data = {"officer_id": ids} | {a: [r[i] for r in rows] for i, a in enumerate(order)}
    return pl.DataFrame(data, schema=dict.fromkeys(data, pl.Utf8))


def _small_classes(frame: pl.DataFrame, k: int) -> int:
    shown = frame.filter(
        ~pl.all_horizontal([pl.col(a) == WITHHELD for a in OFFICER_QUASI_IDENTIFIERS])
    )
    sizes = shown.group_by(list(OFFICER_QUASI_IDENTIFIERS)).len()
    return sizes.filter(pl.col("len") < k).height


def test_a_rare_officer_loses_the_least_useful_attribute_first() -> None:
    # Five sergeants with 20-24 years and one with 25+: withholding the service band of the one
    # is not enough (it would still be alone as a "withheld" service band)... unless it joins
    # the others' class, which it cannot; so the five keep everything and the one is withheld.
    rows = [COMMON] * 6 + [("supervisor", "woman", "black", "20_24")] * 5
    rows.append(("supervisor", "woman", "black", "25_plus"))
    protected, report = protect_officers(_frame(rows), k=5)
    assert protected.height == 12  # nobody dropped
    assert protected["officer_id"].to_list() == _frame(rows)["officer_id"].to_list()
    last = protected.row(11, named=True)
    assert last["years_of_service_band"] == WITHHELD
    # The six common officers and the five sergeants keep every value.
    assert protected.head(11).equals(_frame(rows).head(11))
    assert _small_classes(protected, 5) == 0
    assert report["values_withheld"]["years_of_service_band"] == 1
    assert report["k_required"] == 5


def test_two_similar_rare_officers_are_merged_by_withholding_service() -> None:
    rows = [COMMON] * 5 + [("command", "man", "white", "20_24")] * 3
    rows += [("command", "man", "white", "25_plus")] * 2
    protected, report = protect_officers(_frame(rows), k=5)
    # The five command officers differ only in service band: withheld, they form one class of 5.
    command = protected.filter(pl.col("rank_group") == "command")
    assert command["years_of_service_band"].to_list() == [WITHHELD] * 5
    assert command["race"].to_list() == ["white"] * 5
    assert report["k_achieved"] == 5
    assert report["officers_fully_withheld"] == 0


values = st.tuples(
    st.sampled_from(["officer", "supervisor", "command", "unknown"]),
    st.sampled_from(["man", "woman", "non_binary"]),
    st.sampled_from(["white", "black", "latino", "asian", "pacific_islander"]),
    st.sampled_from(["0_4", "5_9", "10_14", "25_plus"]),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(values, max_size=80), st.integers(min_value=2, max_value=6))
def test_every_shown_combination_has_k_officers(
    rows: list[tuple[str, str, str, str]], k: int
) -> None:
    original = _frame(rows)
    protected, report = protect_officers(original, k)
    assert protected.height == original.height
    assert protected["officer_id"].to_list() == original["officer_id"].to_list()
    assert _small_classes(protected, k) == 0
    for attribute in OFFICER_QUASI_IDENTIFIERS:
        changed = protected[attribute] != original[attribute]
        # A value is only ever replaced by "withheld", and the report counts each one.
        assert (protected.filter(changed)[attribute] == WITHHELD).all()
        assert int(changed.sum()) == report["values_withheld"][attribute]
    if report["k_achieved"] is not None:
        assert report["k_achieved"] >= k
