"""The published Table Schemas: complete, described, and in step with the vocabulary.

The schemas in publisher/schemas/ are the allow-list of what can leave the database, so they are
checked on their own: every table of the release contract has one, every field is typed and
described, enums are exactly the vocabulary's values (plus the documented tokens), and
``withheld`` is accepted wherever suppression can put it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl
import pytest

from portal.vocabulary import (
    AgeBand,
    AllegationCategory,
    Channel,
    Discipline,
    Finding,
    Gender,
    PublicStatus,
    Race,
    ScreeningOutcome,
)
from publisher.package import SCHEMAS, PackageError, check_columns, load_schema, schema_for
from publisher.policy import load_policy
from publisher.publish import policy_values

RECORDS = ("complaints", "allegations", "officers", "complainants")
AGGREGATES = (
    "agg_headline",
    "agg_caseload_by_month",
    "agg_allegations_by_category_finding",
    "agg_discipline_sustained",
    "agg_complaints_by_district",
    "agg_complaints_by_channel",
    "agg_days_to_close",
    "agg_complainant_demographics",
    "agg_officer_complaint_counts",
)
CONTRACT = Path(__file__).resolve().parents[2] / "data_releases" / "README.md"


def _field(table: str, name: str) -> dict[str, object]:
    return next(f for f in load_schema(table)["fields"] if f["name"] == name)


def _enum(table: str, name: str) -> list[str]:
    constraints = _field(table, name)["constraints"]
    assert isinstance(constraints, dict)
    return list(constraints["enum"])


def test_one_schema_per_table_of_the_contract_and_no_other() -> None:
    assert {p.stem for p in SCHEMAS.glob("*.json")} == set(RECORDS) | set(AGGREGATES)
    contract = CONTRACT.read_text(encoding="utf-8")
    for table in AGGREGATES:
        assert f"{table}.csv" in contract


@pytest.mark.parametrize("table", RECORDS + AGGREGATES)
def test_every_field_is_typed_described_and_constrained(table: str) -> None:
    schema = load_schema(table)
    assert schema["$schema"] == "https://datapackage.org/profiles/2.0/tableschema.json"
    for fld in schema["fields"]:
        assert fld["type"] in {"string", "integer", "number"}, fld
        assert len(fld["description"]) > 15, fld
        assert "example" in fld, fld
        if fld["name"] != "officer_name" and table != "agg_complainant_demographics":
            assert fld.get("constraints"), fld
        for pattern in [fld.get("constraints", {}).get("pattern")]:
            if pattern:
                re.compile(pattern)


def test_record_schemas_match_the_contract_columns() -> None:
    contract = CONTRACT.read_text(encoding="utf-8")
    for table in RECORDS:
        line = next(row for row in contract.splitlines() if row.startswith(f"| {table} |"))
        columns = re.findall(r"`([a-z_]+)`", line)
        fields = [f["name"] for f in load_schema(table)["fields"]]
        assert [c for c in columns if c in fields] == fields, table


def test_enums_are_the_vocabulary_values() -> None:
    assert _enum("complaints", "channel") == [c.value for c in Channel] + ["withheld"]
    assert _enum("complaints", "days_to_close") == [
        "0-30",
        "31-60",
        "61-90",
        "91-180",
        "181-365",
        "366+",
        "withheld",
    ]
    assert _enum("complaints", "screening_outcome") == [s.value for s in ScreeningOutcome]
    assert _enum("complaints", "public_status") == [s.value for s in PublicStatus]
    assert _enum("allegations", "category") == [c.value for c in AllegationCategory]
    assert _enum("allegations", "finding") == [f.value for f in Finding]
    assert _enum("allegations", "discipline") == [d.value for d in Discipline]
    assert _enum("officers", "gender") == [g.value for g in Gender]
    assert _enum("officers", "race") == [r.value for r in Race]
    assert _enum("complainants", "age_band") == [a.value for a in AgeBand] + [
        "unknown",
        "withheld",
    ]
    assert _enum("complainants", "gender") == [g.value for g in Gender] + ["withheld"]
    assert _enum("complainants", "race") == [r.value for r in Race] + ["withheld"]


def test_withheld_is_accepted_wherever_suppression_can_put_it() -> None:
    period = re.compile(str(_field("complaints", "received_period")["constraints"]["pattern"]))  # type: ignore[index]
    for ok in ("2025-03", "2025-Q1", "2025", "withheld"):
        assert period.match(ok), ok
    for bad in ("2025-13", "2025-Q5", "2025-03-14", "", "March"):
        assert not period.match(bad), bad
    district = re.compile(str(_field("complaints", "district")["constraints"]["pattern"]))  # type: ignore[index]
    assert district.match("withheld") and district.match("north") and district.match("D01")
    for table in AGGREGATES:
        if table == "agg_headline":
            assert _field(table, "value")["missingValues"] == ["withheld"]
        else:
            assert _field(table, "count")["missingValues"] == ["withheld"], table
            assert _enum(table, "suppression") == ["none", "small_cell", "complementary"]


def test_the_policy_adds_its_group_names_to_generalized_enums() -> None:
    policy = load_policy()
    schema = schema_for(
        "complainants", extra_values={"age_band": policy_values(policy, "age_band")}
    )
    enum = next(f for f in schema["fields"] if f["name"] == "age_band")["constraints"]["enum"]
    assert {"under_25", "25_44", "all", "withheld"} <= set(enum)
    assert "description" not in schema  # the table description goes on the resource


def test_a_column_outside_the_schema_cannot_leave() -> None:
    schema = schema_for("complaints")
    fields = [f["name"] for f in schema["fields"]]
    frame = pl.DataFrame({name: ["x"] for name in fields}).with_columns(narrative=pl.lit("x"))
    with pytest.raises(PackageError, match="not allowed: \\['narrative'\\]"):
        check_columns("complaints", frame, schema)
    check_columns("complaints", frame.drop("narrative"), schema)


def test_schema_files_are_json_with_lf_line_ends() -> None:
    for path in SCHEMAS.glob("*.json"):
        text = path.read_text(encoding="utf-8")
        assert text.endswith("\n") and "\r" not in text
        json.loads(text)


#: Record-table columns that are not quasi-identifiers, and why: a new column must be listed
#: here or declare its kind in its schema, so nobody publishes a joinable column unmeasured.
NOT_QUASI_IDENTIFIERS = {
    ("complaints", "complaint_id"): "a pseudonym: the join key itself",
    ("complaints", "screening_outcome"): "the outcome (sensitive), not known beforehand",
    ("complaints", "public_status"): "the outcome (sensitive), not known beforehand",
    ("complainants", "complaint_id"): "the join key",
    ("officers", "officer_id"): "a pseudonym: the join key itself",
    ("officers", "officer_name"): "published only where the policy names officers",
    ("allegations", "complaint_id"): "the join key",
    ("allegations", "officer_id"): "the join key",
    ("allegations", "category"): "the allegation (sensitive), what the join reveals",
    ("allegations", "finding"): "the outcome (sensitive), what the join reveals",
    ("allegations", "discipline"): "the outcome (sensitive), what the join reveals",
}


def test_every_record_column_says_whether_it_can_be_lined_up() -> None:
    kinds = {"person", "place", "time", "category"}
    for table in RECORDS:
        for fld in load_schema(table)["fields"]:
            kind = fld.get("lantern:quasiIdentifier")
            if (table, fld["name"]) in NOT_QUASI_IDENTIFIERS:
                assert kind is None, (table, fld["name"])
            else:
                assert kind in kinds, (table, fld["name"])
    # Complainants and officers carry only what describes the person; the complaint carries
    # the place, time and category columns that travel with every row joined to it.
    for fld in load_schema("complaints")["fields"]:
        assert fld.get("lantern:quasiIdentifier") in (None, "place", "time", "category")
    for table in ("complainants", "officers"):
        for fld in load_schema(table)["fields"]:
            assert fld.get("lantern:quasiIdentifier") in (None, "person")
