"""The anonymization policy: defaults, overrides, validation messages, TOML round trip."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from publisher.policy import PolicyError, load_policy, parse_policy


def test_default_policy_has_the_documented_defaults() -> None:
    policy = load_policy()
    assert policy.licence == "CC-BY-4.0"
    assert "CC BY 4.0" in policy.attribution
    assert policy.k == 5
    assert policy.suppression_limit == 0.05
    assert policy.threshold == 5
    assert policy.publish_officer_names is False
    # Derived from the published schemas: the complainant's columns and every place, time and
    # category column of their complaint.
    assert policy.quasi_identifiers == (
        "complainants.age_band",
        "complainants.gender",
        "complainants.race",
        "complaints.received_period",
        "complaints.closed_period",
        "complaints.days_to_close",
        "complaints.channel",
        "complaints.district",
    )
    assert policy.attributes == (
        "age_band",
        "gender",
        "race",
        "period",
        "days_to_close",
        "channel",
        "district",
    )
    assert any("narratives" in item for item in policy.dropped_fields)
    period = policy.hierarchy("period")
    assert period.level_names == ("month", "quarter", "year")
    assert (period.min_level, period.max_level) == (0, 2)
    district = policy.hierarchy("district")
    assert district.level_names == ("district", "area", "withheld")
    assert district.max_level == 1  # never coarser than an area
    assert policy.hierarchy("age_band").level_names == ("10_year", "20_year", "all")


def test_a_policy_file_changes_only_what_it_sets(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(
        '[k_anonymity]\nk = 11\n[officers]\npublish_officer_names = "sustained_only"\n',
        encoding="utf-8",
    )
    policy = load_policy(path)
    assert policy.k == 11
    assert policy.publish_officer_names == "sustained_only"
    assert policy.threshold == 5
    assert policy.hierarchies == load_policy().hierarchies


def test_to_toml_round_trips_and_is_deterministic() -> None:
    policy = parse_policy("[aggregates]\nthreshold = 11\n[k_anonymity]\nsuppression_limit = 0.1\n")
    text = policy.to_toml()
    assert text == policy.to_toml()
    assert parse_policy(text) == policy
    assert "threshold = 11" in text
    assert "suppression_limit = 0.1" in text
    # Written in a fixed order whatever order the source file used.
    assert text.index("[release]") < text.index("[k_anonymity]") < text.index("[aggregates]")


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[k_anonymity]\nk = 1\n", "k_anonymity.k"),
        ('[k_anonymity]\nk = "five"\n', "k_anonymity.k"),
        ("[k_anonymity]\nk = true\n", "k_anonymity.k"),
        ("[k_anonymity]\nsuppression_limit = 1.5\n", "k_anonymity.suppression_limit"),
        ('[k_anonymity]\nquasi_identifiers = ["age_band", "shoe_size"]\n', "quasi_identifiers"),
        ("[k_anonymity]\nquasi_identifiers = []\n", "quasi_identifiers"),
        ("[k_anonymity]\nquasi_identifiers = 3\n", "quasi_identifiers"),
        ("[k_anonymity]\nkk = 5\n", "k_anonymity.kk"),
        ("[aggregates]\nthreshold = 0\n", "aggregates.threshold"),
        ('[officers]\npublish_officer_names = "some"\n', "officers.publish_officer_names"),
        ("[officers]\npublish_officer_names = true\n", "officers.publish_officer_names"),
        ("[release]\nlicence = 4\n", "release.licence"),
        ("[colour]\nred = 1\n", "colour"),
        ('[generalization.period]\nweight = 1\nmin = "year"\nmax = "month"\n', "period.min"),
        ('[generalization.period]\nweight = 1\nmin = "week"\nmax = "year"\n', "period.min"),
        ('[generalization.period]\nweight = 0\nmin = "month"\nmax = "year"\n', "period.weight"),
        ('[generalization.shoe_size]\nweight = 1\nmin = "a"\nmax = "a"\n', "shoe_size"),
    ],
)
def test_errors_name_the_key(text: str, key: str) -> None:
    with pytest.raises(PolicyError) as info:
        parse_policy(text)
    assert key in str(info.value)


def test_a_level_that_splits_a_group_is_refused() -> None:
    text = """
[generalization.race]
base = "exact"
weight = 1
min = "exact"
max = "coarse"
[[generalization.race.levels]]
name = "grouped"
groups = { asian = "other", latino = "other" }
[[generalization.race.levels]]
name = "coarse"
groups = { asian = "a", latino = "b" }
"""
    with pytest.raises(PolicyError, match=r"generalization\.race\.levels\[1\].*splits"):
        parse_policy(text)


def test_invalid_toml_and_missing_file_are_clear(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="not valid TOML"):
        parse_policy("k = = 5", source="mine.toml")
    with pytest.raises(PolicyError, match="cannot read policy file"):
        load_policy(tmp_path / "nope.toml")


def test_hierarchies_generalize_values() -> None:
    policy = load_policy()
    frame = pl.DataFrame(
        {
            "day": [dt.date(2025, 5, 17), dt.date(2024, 12, 31)],
            "district": ["D04", "D99"],
            "age": ["18_24", "65_plus"],
            "race": ["pacific_islander", "black"],
        }
    )
    period = policy.hierarchy("period")
    district = policy.hierarchy("district")
    out = frame.select(
        period.generalize(pl.col("day"), "month").alias("m"),
        period.generalize(pl.col("day"), "quarter").alias("q"),
        period.generalize(pl.col("day"), "year").alias("y"),
        district.generalize(pl.col("district"), "area").alias("area"),
        district.generalize(pl.col("district"), "withheld").alias("none"),
        policy.hierarchy("age_band").generalize(pl.col("age"), "20_year").alias("age20"),
        policy.hierarchy("age_band").generalize(pl.col("age"), "all").alias("age_all"),
        policy.hierarchy("race").generalize(pl.col("race"), "grouped").alias("race"),
    )
    assert out.row(0) == ("2025-05", "2025-Q2", "2025", "central", "withheld", "under_25", "all",
                          "other")  # fmt: skip
    # An unmapped district keeps its code; 65_plus is already a 20-year group.
    assert out.row(1) == ("2024-12", "2024-Q4", "2024", "D99", "withheld", "65_plus", "all",
                          "black")  # fmt: skip


def test_losses_follow_weights() -> None:
    policy = load_policy()
    assert policy.hierarchy("age_band").loss(2) == 1.0
    assert policy.hierarchy("race").loss(1) == 3.0
    assert policy.hierarchy("district").loss(1) == 1.5
    assert policy.hierarchy("period").loss(0) == 0.0


def test_the_philadelphia_policy_groups_every_mapped_district_into_a_division() -> None:
    import tomllib

    from tests.support import ROOT

    policy = load_policy(ROOT / "publisher/policies/philly-ppd.toml")
    assert policy.k == 5
    assert policy.suppression_limit == 0.15
    assert policy.hierarchy("period").level_names[policy.hierarchy("period").max_level] == "year"
    mapping = tomllib.loads((ROOT / "publisher/mappings/philly-ppd.toml").read_text("utf-8"))
    codes = {code for code in mapping["maps"]["districts"].values() if code}
    area = policy.hierarchy("district").levels[1]
    divisions = {code: area.group_of(code) for code in codes}
    assert divisions["D77"] == "other_area"  # the airport is no division
    assert all(group != code for code, group in divisions.items())
    assert set(divisions.values()) == {
        "south", "central", "southwest", "east", "northeast", "northwest", "other_area",
    }  # fmt: skip


def test_a_policy_that_leaves_a_joinable_column_out_is_refused() -> None:
    # The list of a release written before closed periods counted, say: refused, naming what
    # it leaves out and of which kind.
    old = (
        '[k_anonymity]\nquasi_identifiers = ["complainants.age_band", "complainants.gender",'
        ' "complainants.race", "complaints.received_period", "complaints.district"]\n'
    )
    with pytest.raises(PolicyError) as info:
        parse_policy(old)
    message = str(info.value)
    assert "complaints.closed_period (time)" in message
    assert "complaints.days_to_close (time)" in message
    assert "complaints.channel (category)" in message
    assert "received_period" not in message.split("leaves out", 1)[1]
    # The full list, in any order, is accepted (every release's policy.toml repeats it).
    full = load_policy().quasi_identifiers
    listed = ", ".join(f'"{name}"' for name in reversed(full))
    assert parse_policy(f"[k_anonymity]\nquasi_identifiers = [{listed}]\n") == load_policy()


def test_a_new_schema_column_of_a_joinable_kind_joins_the_list(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from publisher import quasi

    original = quasi._fields.__wrapped__

    def with_beat(table: str) -> tuple[tuple[str, str, str], ...]:
        fields = original(table)
        if table == "complaints":
            fields = (*fields, ("beat", "place", "district"))
        return fields

    monkeypatch.setattr(quasi, "_fields", with_beat)
    assert "complaints.beat" in load_policy().quasi_identifiers
    assert "complaints.beat" in [q.name for q in quasi.officer_join()]
