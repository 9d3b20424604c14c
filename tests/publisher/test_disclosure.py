"""The disclosure report: contract keys, deterministic JSON, plain-language Markdown."""

from __future__ import annotations

import json

import pytest

from publisher.anonymize import AttributeSuppression, KAnonymityReport
from publisher.disclosure import build_report, report_json, report_markdown
from publisher.policy import parse_policy

CONTRACT_KEYS = {
    "quasi_identifiers",
    "k_required",
    "k_achieved",
    "generalization",
    "records",
    "records_suppressed",
    "values_suppressed",
    "l_diversity_findings",
    "risk",
    "aggregates",
    "threshold",
}


def _kanon(exceeded: bool = False) -> KAnonymityReport:
    return KAnonymityReport(
        quasi_identifiers=(
            "complainants.age_band",
            "complainants.gender",
            "complainants.race",
            "complaints.received_period",
            "complaints.closed_period",
            "complaints.district",
        ),
        k_required=5,
        k_achieved=6,
        generalization={
            "period": "quarter",
            "age_band": "20_year",
            "gender": "exact",
            "race": "grouped",
            "district": "district",
        },
        records=2000,
        records_suppressed=37,
        values_suppressed={
            "complainants.age_band": AttributeSuppression(12, 0.006),
            "complainants.gender": AttributeSuppression(25, 0.0125),
            "complainants.race": AttributeSuppression(0, 0.0),
            "complaints.district": AttributeSuppression(0, 0.0),
            "complaints.received_period": AttributeSuppression(1, 0.0005),
            "complaints.closed_period": AttributeSuppression(1, 0.0005),
        },
        l_diversity_findings=2,
        risk_max=1 / 6,
        risk_average=0.0421,
        suppression_limit=0.05,
        suppression_limit_exceeded=exceeded,
        combinations_searched=48,
        combinations_total=72,
        information_loss=1.5,
        classes=84,
    )


AGGREGATES = {
    "agg_complaints_by_district.csv": {"small_cell": 1, "complementary": 1},
    "agg_days_to_close.csv": {"small_cell": 0, "complementary": 0},
}


def test_report_has_the_contract_keys_and_figures() -> None:
    policy = parse_policy('[officers]\npublish_officer_names = "sustained_only"\n')
    report = build_report(_kanon(), AGGREGATES, policy)
    assert set(report) >= CONTRACT_KEYS
    assert report["k_achieved"] == 6
    assert report["values_suppressed"]["complainants.gender"] == {"count": 25, "share": 0.0125}
    assert report["risk"]["max"] == pytest.approx(1 / 6)
    assert report["aggregates"]["agg_complaints_by_district.csv"]["complementary"] == 1
    assert report["threshold"] == 5
    assert report["publish_officer_names"] == "sustained_only"
    assert report["records_suppressed_share"] == 0.0185


def test_json_is_sorted_stable_and_parses_back() -> None:
    report = build_report(_kanon(), AGGREGATES, parse_policy(""))
    text = report_json(report)
    assert text == report_json(dict(reversed(list(report.items()))))
    assert text.endswith("}\n")
    data = json.loads(text)
    assert list(data) == sorted(data)
    assert data["risk"]["max"] == 0.166667  # rounded to 6 places, not 0.16666666666666666
    assert "0.16666666" not in text


def test_markdown_explains_what_was_done_with_the_figures() -> None:
    report = build_report(_kanon(), AGGREGATES, parse_policy(""))
    text = report_markdown(report, "1.2.0")
    assert text.startswith("# Disclosure report — release 1.2.0\n")
    for phrase in (
        "## Removed",
        "narratives, internal notes",
        "Officer names are not published",
        "| received and closed periods | quarter (three months) |",
        "`complaints.closed_period`",
        "joining each complainant (`complainants.csv`) with their complaint (`complaints.csv`)",
        "| age band | 20-year age band |",
        "at least 5 complainants",
        "records with at least one withheld value: 37 (1.85%",
        "gender withheld: 25 (1.25%)",
        "closed period withheld: 1 (0.05%)",
        "at least 6 complainants (required: 5)",
        "at most 16.67% for any complainant",
        "holds 2 different",
        '"fewer than 5"',
        "| agg_complaints_by_district.csv | 1 | 1 |",
    ):
        assert phrase in text, phrase
    assert "Note:" not in text


def test_markdown_warns_when_the_limit_was_exceeded() -> None:
    report = build_report(_kanon(exceeded=True), AGGREGATES, parse_policy(""))
    assert "more records carry a withheld value than the policy's limit of 5%" in report_markdown(
        report, "1.0.0"
    )


def test_site_reads_the_report() -> None:
    from publisher.site import _disclosure_facts

    report = json.loads(report_json(build_report(_kanon(), AGGREGATES, parse_policy(""))))
    facts = " ".join(_disclosure_facts(report))
    assert "achieved: 6" in facts
    assert "Received and closed periods is published at the level: quarter." in facts
