"""The officers table: no pseudonymous officer stands out by rank, gender, race and service."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from publisher.officer_privacy import (
    OFFICER_QUASI_IDENTIFIERS,
    protect_officer_links,
    protect_officers,
)
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


# --- officers joined with their allegations and complaints -----------------------------------

COMPLAINT_COLUMNS = ("received_period", "closed_period", "days_to_close", "channel", "district")


def _complaints(rows: dict[str, tuple[str, ...]]) -> pl.DataFrame:
    data = {"complaint_id": list(rows)} | {
        c: [r[i] for r in rows.values()] for i, c in enumerate(COMPLAINT_COLUMNS)
    }
    return pl.DataFrame(data, schema=dict.fromkeys(data, pl.Utf8))


def _allegations(pairs: list[tuple[str, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "complaint_id": [c for c, _ in pairs],
            "officer_id": [o for _, o in pairs],
            "category": ["force"] * len(pairs),
            "finding": ["sustained"] * len(pairs),
            "discipline": [None] * len(pairs),
        },
        schema_overrides={"complaint_id": pl.Utf8, "officer_id": pl.Utf8, "discipline": pl.Utf8},
    )


def _joined_classes(
    officers: pl.DataFrame, allegations: pl.DataFrame, complaints: pl.DataFrame
) -> pl.DataFrame:
    """Distinct officers per combination, computed here independently."""
    linked = allegations.filter(~pl.col("officer_id").is_in(["unidentified", WITHHELD]))
    keys = [*OFFICER_QUASI_IDENTIFIERS, *COMPLAINT_COLUMNS]
    joined = linked.join(officers, on="officer_id").join(complaints, on="complaint_id")
    return joined.group_by(keys).agg(pl.col("officer_id").n_unique().alias("n"))


def test_a_lone_officer_in_a_rare_complaint_loses_attributes_then_the_link() -> None:
    # Ten identical officers, each in the same kind of complaint (2025, D01, online): the
    # combination holds ten officers, nothing to do. An eleventh, identical too, is the only
    # officer in a complaint from 2024 in D02: joined with it, they alone fit. Withholding
    # their four attributes one by one cannot help (still the only officer of a 2024 D02
    # complaint), so in the end the link is withheld too.
    officers = _frame([COMMON] * 11)
    ids = officers["officer_id"].to_list()
    common = ("2025", "2025", "0-90", "online", "D01")
    complaints = _complaints({f"C{i}": common for i in range(10)} | {"RARE": ("2024", "2024",
                              "0-90", "online", "D02")})  # fmt: skip
    pairs = [(f"C{i}", ids[i]) for i in range(10)] + [("RARE", ids[10]), ("C0", "unidentified")]
    allegations = _allegations(pairs)
    out_officers, out_allegations, report = protect_officer_links(
        officers, allegations, complaints, k=5
    )
    assert out_allegations.height == allegations.height  # no allegation dropped
    assert out_allegations["officer_id"].to_list() == [*ids[:10], WITHHELD, "unidentified"]
    assert report["links"] == 11 and report["links_withheld"] == 1
    assert out_officers.row(10)[1:] == (WITHHELD,) * 4
    assert out_officers.head(10).equals(officers.head(10))
    assert report["officers_fully_withheld"] == 1
    assert _small_classes(out_officers, 5) == 0
    assert _joined_classes(out_officers, out_allegations, complaints)["n"].min() >= 5
    assert report["k_achieved"] == 10


def test_officers_named_by_the_policy_keep_their_links() -> None:
    officers = _frame([COMMON] * 2).with_columns(
        pl.Series("officer_name", ["Sgt. Named", None], dtype=pl.Utf8)
    )
    ids = officers["officer_id"].to_list()
    complaints = _complaints({"A": ("2025", "2025", "0-90", "online", "D01")})
    allegations = _allegations([("A", ids[0]), ("A", ids[1])])
    _, out, report = protect_officer_links(officers, allegations, complaints, k=5)
    assert out["officer_id"].to_list() == [ids[0], WITHHELD]
    assert report["officers_named_by_policy"] == 1


@settings(max_examples=60, deadline=None)
@given(
    officers=st.lists(
        st.tuples(
            st.sampled_from(["officer", "supervisor", "command"]),
            st.sampled_from(["man", "woman"]),
            st.sampled_from(["white", "black", "latino"]),
            st.sampled_from(["0_4", "5_9", "10_14"]),
        ),
        min_size=1,
        max_size=40,
    ),
    links=st.lists(st.tuples(st.integers(0, 39), st.integers(0, 14)), max_size=120),
    k=st.integers(2, 6),
)
def test_every_joined_combination_holds_k_officers(
    officers: list[tuple[str, str, str, str]], links: list[tuple[int, int]], k: int
) -> None:
    # As in a publish: the officers table is made k-anonymous on its own first.
    frame, _ = protect_officers(_frame(officers), k)
    ids = frame["officer_id"].to_list()
    kinds = [("2024", "2024", "0-90", "online", "D01"), ("2024", "2025", "91-365", "phone",
             "D02"), ("2025", "2025", "0-90", "online", "D03")]  # fmt: skip
    complaints = _complaints({f"C{i}": kinds[i % 3] for i in range(15)})
    pairs = [(f"C{c}", ids[o % len(ids)]) for o, c in links]
    allegations = _allegations(pairs)
    out_officers, out_allegations, report = protect_officer_links(frame, allegations, complaints, k)
    assert out_allegations.height == allegations.height
    assert out_officers["officer_id"].to_list() == ids
    classes = _joined_classes(out_officers, out_allegations, complaints)
    if classes.height:
        assert classes["n"].min() >= k
        assert report["k_achieved"] == classes["n"].min()
    assert _small_classes(out_officers, k) == 0
    # Only withheld links changed, and every officer value is the original or withheld.
    for before, after in zip(pairs, out_allegations["officer_id"].to_list(), strict=True):
        assert after in (before[1], WITHHELD)
    for a in OFFICER_QUASI_IDENTIFIERS:
        for before, after in zip(frame[a].to_list(), out_officers[a].to_list(), strict=True):
            assert after in (before, WITHHELD)


def test_an_officer_mostly_in_rare_complaints_loses_attributes_before_links() -> None:
    # Five officers alike but for race; each was in one complaint of a rare kind (2024, D02).
    # Per officer that is one unsafe allegation and no safe one, so the first step withholds
    # the service band (no help: the races still differ), then race: now the five are alike
    # and the combination holds five officers. No link is lost.
    races = ["white", "black", "latino", "asian", "other"]
    officers = _frame([("officer", "man", r, "5_9") for r in races])
    ids = officers["officer_id"].to_list()
    complaints = _complaints({"R": ("2024", "2024", "0-90", "online", "D02")})
    allegations = _allegations([("R", i) for i in ids])
    out_officers, out_allegations, report = protect_officer_links(
        officers, allegations, complaints, k=5
    )
    assert out_allegations["officer_id"].to_list() == ids
    assert set(out_officers["race"]) == {WITHHELD}
    assert set(out_officers["years_of_service_band"]) == {WITHHELD}
    assert set(out_officers["rank_group"]) == {"officer"}
    assert report["links_withheld"] == 0 and report["k_achieved"] == 5
