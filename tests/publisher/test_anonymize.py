"""k-anonymity of the complainants joined with their complaints: properties (hypothesis,
pycanon), the pruned level search against an exhaustive one, and the report."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools

import pandas as pd
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pycanon import anonymity

import publisher.anonymize as anonymize_module
from publisher.anonymize import (
    AnonymizationError,
    Layout,
    anonymize_complainants,
    apply_to_complaints,
    headline_finding,
    search_levels,
)
from publisher.policy import WITHHELD, Policy, load_policy, parse_policy

#: What an attacker lines up: the complainant's columns and their complaint's.
QIS = [
    "age_band",
    "gender",
    "race",
    "received_period",
    "closed_period",
    "days_to_close",
    "channel",
    "district",
]
COMPLAINT_QIS = ["received_period", "closed_period", "days_to_close", "channel", "district"]
AGES = ["under_18", "18_24", "25_34", "35_44", "45_54", "55_64", "65_plus", "prefer_not_to_say"]
GENDERS = ["man", "woman", "non_binary", "prefer_not_to_say", None]
RACES = ["black", "white", "latino", "asian", "multiracial", "native_american", None, ""]
DISTRICTS = ["D01", "D02", "D03", "D04", "D06", "D09", None]
CHANNELS = ["online", "phone", "email", "walk_in", "referral"]
INPUT = [
    "complaint_id",
    "received_at",
    "closed_at",
    "days_to_close",
    "channel",
    "district",
    "age_band",
    "gender",
    "race",
]


@st.composite
def complainant_frames(draw: st.DrawFn) -> pl.DataFrame:
    """Random complainants: 1–3 per complaint, the complaint's columns shared; some complaints
    without a closing date (as in sources that do not record it)."""
    complaints = draw(st.integers(min_value=1, max_value=60))
    rows: dict[str, list[object]] = {c: [] for c in INPUT}
    rows["finding"] = []
    rows["note"] = []
    day0 = dt.date(2024, 1, 1)
    for complaint in range(complaints):
        district = draw(st.sampled_from(DISTRICTS))
        channel = draw(st.sampled_from(CHANNELS))
        received = day0 + dt.timedelta(days=draw(st.integers(0, 400)))
        took = draw(st.one_of(st.none(), st.integers(0, 500)))
        closed = None if took is None else received + dt.timedelta(days=took)
        finding = draw(st.sampled_from(["sustained", "not_sustained", "unfounded"]))
        for _ in range(draw(st.integers(1, 3))):
            rows["complaint_id"].append(complaint)
            rows["received_at"].append(received)
            rows["closed_at"].append(closed)
            rows["days_to_close"].append(took)
            rows["channel"].append(channel)
            rows["district"].append(district)
            rows["age_band"].append(draw(st.sampled_from([*AGES, None])))
            rows["gender"].append(draw(st.sampled_from(GENDERS)))
            rows["race"].append(draw(st.sampled_from(RACES)))
            rows["finding"].append(finding)
            rows["note"].append(f"row {len(rows['note'])}")
    return pl.DataFrame(
        rows,
        schema_overrides={"received_at": pl.Date, "closed_at": pl.Date, "days_to_close": pl.Int64},
    )


@st.composite
def policies(draw: st.DrawFn) -> Policy:
    """Random k, suppression limit and bounds over the default hierarchies."""
    k = draw(st.integers(2, 6))
    limit = draw(st.sampled_from([0.0, 0.05, 0.3, 1.0]))
    period_max = draw(st.sampled_from(["month", "quarter", "year"]))
    district_max = draw(st.sampled_from(["district", "area", "withheld"]))
    channel_max = draw(st.sampled_from(["exact", "grouped", "withheld"]))
    age_min = draw(st.sampled_from(["10_year", "20_year"]))
    text = (
        f"[k_anonymity]\nk = {k}\nsuppression_limit = {limit}\n"
        f'[generalization.period]\nweight = 2\nmin = "month"\nmax = "{period_max}"\n'
    )
    policy = parse_policy(text)
    hierarchies = dict(policy.hierarchies)
    for name, key, value in (
        ("district", "max_level", district_max),
        ("channel", "max_level", channel_max),
        ("age_band", "min_level", age_min),
    ):
        h = hierarchies[name]
        hierarchies[name] = dataclasses.replace(h, **{key: h.index_of(value)})
    return dataclasses.replace(policy, hierarchies=hierarchies)


def keyed(frame: pl.DataFrame) -> pl.DataFrame:
    """The quasi-identifiers with a missing value (no closing date) as a value of its own."""
    return frame.with_columns(pl.col(c).fill_null("(empty)") for c in QIS)


def class_sizes(frame: pl.DataFrame) -> pl.Series:
    """Equivalence class sizes on the quasi-identifiers (an independent group-by)."""
    return keyed(frame).group_by(QIS).agg(pl.len().alias("n")).get_column("n")


def expected_values(frame: pl.DataFrame, policy: Policy, levels: dict[str, str]) -> pl.DataFrame:
    """Each quasi-identifier at the chosen level, computed here from the raw input."""
    prepare = anonymize_module.prepare_attribute
    month = anonymize_module.month_start
    return frame.select(
        *(
            policy.hierarchy(q).generalize(prepare(pl.col(q)), levels[q]).alias(q)
            for q in ("age_band", "gender", "race", "channel", "district")
        ),
        policy.hierarchy("period")
        .generalize(month(pl.col("received_at")), levels["period"])
        .alias("received_period"),
        policy.hierarchy("period")
        .generalize(month(pl.col("closed_at")), levels["period"])
        .alias("closed_period"),
        policy.hierarchy("days_to_close")
        .generalize(anonymize_module.days_band(pl.col("days_to_close")), levels["days_to_close"])
        .alias("days_to_close"),
    )


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)  # fmt: skip
@given(frame=complainant_frames(), policy=policies())
def test_output_is_always_k_anonymous_and_keeps_every_record(
    frame: pl.DataFrame, policy: Policy
) -> None:
    result = anonymize_complainants(frame, policy)
    out = result.complainants
    # No record dropped or reordered; other columns pass through untouched.
    assert out.height == frame.height
    assert out.get_column("complaint_id").to_list() == frame.get_column("complaint_id").to_list()
    assert out.get_column("note").to_list() == frame.get_column("note").to_list()
    assert "received_at" not in out.columns and "closed_at" not in out.columns
    # No empty cell, except where the source records no closing date.
    no_close = frame.get_column("closed_at").is_null().to_list()
    for column in QIS:
        values = out.get_column(column).to_list()
        assert "" not in values
        for value, open_ended in zip(values, no_close, strict=True):
            if open_ended and column in ("closed_period", "days_to_close"):
                assert value in (None, WITHHELD)
            else:
                assert value is not None
    # What an attacker lines up: complainant columns joined with the complaints table.
    joined = out.select("complaint_id", "age_band", "gender", "race").join(
        result.complaints, on="complaint_id", how="left"
    )
    assert joined.select(COMPLAINT_QIS).equals(out.select(COMPLAINT_QIS))
    sizes = class_sizes(joined)
    if frame.height >= policy.k:
        assert sizes.min() >= policy.k
        assert result.report.k_achieved >= policy.k
    assert result.report.k_achieved == sizes.min()
    # Every published value is the original at the chosen level, or withheld.
    expected = expected_values(frame, policy, result.levels)
    for q in QIS:
        same = out.get_column(q).eq_missing(expected.get_column(q))
        withheld = out.get_column(q) == WITHHELD
        assert (same | withheld.fill_null(False)).all(), q


@settings(max_examples=40, deadline=None)
@given(frame=complainant_frames())
def test_pycanon_agrees_on_k(frame: pl.DataFrame) -> None:
    policy = parse_policy("[k_anonymity]\nk = 3\n")
    out = keyed(anonymize_complainants(frame, policy).complainants)
    data = pd.DataFrame(out.select([*QIS, "finding"]).to_dict(as_series=False))
    k = anonymity.k_anonymity(data, QIS)
    if frame.height >= 3:
        assert k >= 3
    assert k == class_sizes(out).min()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=complainant_frames(), policy=policies())
def test_fast_local_suppression_matches_the_reference_loop(
    frame: pl.DataFrame, policy: Policy
) -> None:
    fast = anonymize_complainants(frame, policy)
    original = anonymize_module.local_suppression
    try:
        anonymize_module.local_suppression = anonymize_module._local_suppression_reference
        reference = anonymize_complainants(frame, policy)
    finally:
        anonymize_module.local_suppression = original
    assert fast.complainants.equals(reference.complainants)


def _exhaustive_best(frame: pl.DataFrame, policy: Policy) -> tuple[int, ...]:
    """Every level combination measured on the full frame: the best by the search's rule."""
    layout = Layout.of(policy)
    prepared = frame.select(
        anonymize_module.PREPARE[c][1](pl.col(anonymize_module.PREPARE[c][0])).alias(c)
        for c in layout.columns
    )
    hierarchies = [policy.hierarchy(a) for a in layout.attributes]
    rows = []
    for combo in itertools.product(*(range(h.min_level, h.max_level + 1) for h in hierarchies)):
        level = dict(zip(layout.attributes, combo, strict=True))
        general = prepared.select(
            anonymize_module.generalized(policy, layout, c, level[layout.attribute_of[c]])
            for c in layout.columns
        )
        sizes = general.group_by(general.columns).len().get_column("len")
        bad = int(sizes.filter(sizes < policy.k).sum())
        loss = round(sum(h.loss(lv) for h, lv in zip(hierarchies, combo, strict=True)), 9)
        rows.append((combo, loss, bad))
    within = [r for r in rows if r[2] <= policy.suppression_limit * frame.height]
    if not within:
        return min(rows, key=lambda r: (r[2], r[1], r[0]))[0]
    return min(within, key=lambda r: (r[1], r[2], r[0]))[0]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=complainant_frames(), policy=policies())
def test_the_pruned_search_finds_what_an_exhaustive_search_finds(
    frame: pl.DataFrame, policy: Policy
) -> None:
    layout = Layout.of(policy)
    prepared = frame.select(
        anonymize_module.PREPARE[c][1](pl.col(anonymize_module.PREPARE[c][0])).alias(c)
        for c in layout.columns
    )
    best, _ = search_levels(prepared, policy)
    exhaustive = _exhaustive_best(frame, policy)
    limit = policy.suppression_limit * frame.height
    if best.records_to_suppress <= limit:
        assert best.levels == exhaustive
    else:  # nothing within the limit: the coarsest, the least suppression
        assert best.levels == tuple(policy.hierarchy(a).max_level for a in layout.attributes)


def _trap_frame() -> pl.DataFrame:
    """9 district × race cells of 5 complainants, each cell holding 5 different age bands.

    Exact age is the only thing that blocks k = 5: publishing age as "all" keeps race and
    district exact. The other way out (district → area and race → grouped, both mapped
    together by the default policy) costs as many levels but far more information. Every
    complaint was received and closed on the same days, online.
    """
    rows = []
    districts, races = ["D01", "D02", "D03"], ["native_american", "middle_eastern", "multiracial"]
    ages = ["18_24", "25_34", "35_44", "45_54", "55_64"]
    complaint = 0
    received, closed = dt.date(2025, 3, 3), dt.date(2025, 4, 14)
    for district, race in itertools.product(districts, races):
        for age in ages:
            rows.append((complaint, received, closed, 42, "online", district, age, "woman", race))
            complaint += 1
    return pl.DataFrame(rows, schema=INPUT, orient="row")


def test_search_keeps_race_and_district_when_exact_age_blocks_k() -> None:
    policy = parse_policy("[k_anonymity]\nsuppression_limit = 0.0\n")
    result = anonymize_complainants(_trap_frame(), policy)
    assert result.levels["age_band"] == "all"
    assert result.levels["race"] == "exact"
    assert result.levels["district"] == "district"
    assert result.levels["period"] == "month"
    assert result.levels["channel"] == "exact"
    assert result.levels["days_to_close"] == "band"
    assert result.report.records_suppressed == 0
    assert set(result.complainants.get_column("race")) == {
        "native_american",
        "middle_eastern",
        "multiracial",
    }
    # Levels are in Policy.attributes order: age, gender, race, period, days, channel, district.
    assert policy.attributes[:3] == ("age_band", "gender", "race")
    chosen = next(c for c in result.candidates if c.levels == (2, 0, 0, 0, 0, 0, 0))
    assert chosen.records_to_suppress == 0


def test_suppression_report_counts_match_the_output() -> None:
    frame = anonymize_module.benchmark_frame(3000, seed=7)
    policy = load_policy()
    result = anonymize_complainants(frame, policy)
    out = result.complainants
    report = result.report
    levels = result.levels
    attribute = {"received_period": "period", "closed_period": "period"}
    # Local suppression: `withheld` where the chosen level is not itself `withheld` for all.
    withheld = {
        q: 0
        if levels[attribute.get(q, q)] == "withheld"
        else int((out.get_column(q) == WITHHELD).sum())
        for q in QIS
    }
    assert {q.split(".", 1)[1]: s.count for q, s in report.values_suppressed.items()} == withheld
    counted = [q for q in QIS if levels[attribute.get(q, q)] != "withheld"]
    any_withheld = out.select(pl.any_horizontal(pl.col(q) == WITHHELD for q in counted)).to_series()
    assert report.records_suppressed == int(any_withheld.sum())
    assert report.records == 3000
    sizes = (
        keyed(out).group_by(QIS).agg(pl.len().alias("n"), pl.col("finding").n_unique().alias("l"))
    )
    assert report.k_achieved == sizes["n"].min() >= 5
    assert report.risk_max == pytest.approx(1 / sizes["n"].min())
    assert report.risk_average == pytest.approx(sizes.height / 3000, abs=1e-6)
    assert report.l_diversity_findings == sizes["l"].min()
    data = report.to_dict()
    assert data["generalization"] == {a: levels[a] for a in policy.attributes}
    # age 3 levels, gender 2, race 2, period 3, days 3, channel 3, district 2 (up to area).
    assert data["combinations_total"] == 3 * 2 * 2 * 3 * 3 * 3 * 2
    assert 1 <= data["combinations_searched"] <= data["combinations_total"]


def test_large_data_keeps_more_detail_than_small_data() -> None:
    small = anonymize_complainants(anonymize_module.benchmark_frame(2_000, seed=3), load_policy())
    large = anonymize_complainants(anonymize_module.benchmark_frame(200_000, seed=3), load_policy())
    for result in (small, large):
        assert result.report.k_achieved >= 5
    assert large.report.information_loss < small.report.information_loss
    assert large.report.records_suppressed / 200_000 < small.report.records_suppressed / 2_000
    assert large.levels["race"] == "exact"


def test_too_few_records_are_all_withheld() -> None:
    frame = _trap_frame().head(3)
    result = anonymize_complainants(frame, load_policy())
    # Three women can never be five of a kind: they end in one class, each value either
    # withheld or one they all share.
    out = result.complainants
    assert out.select(QIS).unique().height == 1
    assert result.report.k_achieved == 3


def test_complaints_table_uses_the_same_levels_and_suppressions() -> None:
    frame = anonymize_module.benchmark_frame(2000, seed=11)
    policy = load_policy()
    result = anonymize_complainants(frame, policy)
    complaints = frame.group_by("complaint_id", maintain_order=True).agg(
        pl.col(c).first()
        for c in ("received_at", "closed_at", "days_to_close", "channel", "district")
    )
    # A complaint without complainants (anonymous) is generalized the same way.
    extra = pl.DataFrame(
        {
            "complaint_id": [10**9],
            "received_at": [dt.date(2025, 2, 10)],
            "closed_at": [None],
            "days_to_close": [None],
            "channel": ["walk_in"],
            "district": ["D05"],
        },
        schema=complaints.schema,
    )
    published = apply_to_complaints(pl.concat([complaints, extra]), result, policy)
    assert published.height == complaints.height + 1
    assert published.columns == ["complaint_id", *COMPLAINT_QIS]
    lookup = {row[0]: row[1:] for row in result.complaints.select(
        "complaint_id", *COMPLAINT_QIS).iter_rows()}  # fmt: skip
    for row in published.iter_rows():
        if row[0] == 10**9:
            levels = result.levels
            assert (
                row[1]
                == {"month": "2025-02", "quarter": "2025-Q1", "year": "2025"}[levels["period"]]
            )
            assert row[2] is None  # no closing date: empty
            assert row[3] in (None, WITHHELD)  # withheld when the level withholds every band
            assert row[4] == _at_level(policy, "channel", "walk_in", levels["channel"])
            assert row[5] == _at_level(policy, "district", "D05", levels["district"])
            continue
        assert row[1:] == lookup[row[0]]


def _at_level(policy: Policy, attribute: str, value: str, level: str) -> str:
    """``value`` at the named level of a mapped hierarchy (read off the policy's groups)."""
    h = policy.hierarchy(attribute)
    index = h.index_of(level)
    return value if index == 0 else h.levels[index].group_of(value)


def test_missing_columns_and_bad_types_are_reported() -> None:
    with pytest.raises(AnonymizationError, match="received_at"):
        anonymize_complainants(_trap_frame().drop("received_at"), load_policy())
    with pytest.raises(AnonymizationError, match="closed_at"):
        anonymize_complainants(_trap_frame().drop("closed_at"), load_policy())
    with pytest.raises(AnonymizationError, match="Date"):
        anonymize_complainants(
            _trap_frame().with_columns(pl.lit("2025-01-01").alias("received_at")), load_policy()
        )


def test_headline_finding_prefers_sustained_then_the_most_frequent() -> None:
    allegations = pl.DataFrame(
        {
            "complaint_id": [1, 1, 1, 2, 2, 2, 3],
            "finding": [
                "not_sustained",
                "sustained",
                "not_sustained",
                "unfounded",
                "exonerated",
                "exonerated",
                None,
            ],
        }
    )
    out = dict(headline_finding(allegations).sort("complaint_id").iter_rows())
    assert out == {1: "sustained", 2: "exonerated", 3: "none"}
