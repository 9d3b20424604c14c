"""The disclosure report of a release: ``disclosure-report.json`` and ``disclosure-report.md``.

``build_report`` assembles the contract's keys from the k-anonymity report, the aggregates'
suppression counts and the policy; ``report_json`` writes it deterministically (sorted keys,
floats rounded to 6 places, LF, final newline); ``report_markdown`` says in plain language what
was removed, generalized and suppressed, and why, with the figures.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from publisher.anonymize import KAnonymityReport
from publisher.policy import Policy

#: Plain-language names of the quasi-identifiers and their levels.
ATTRIBUTE_NAMES: dict[str, str] = {
    "age_band": "age band",
    "gender": "gender",
    "race": "race or ethnicity",
    "district": "district",
    "period": "received and closed periods",
    "channel": "channel",
    "days_to_close": "days to close",
    "complainants.age_band": "the complainant's age band",
    "complainants.gender": "gender",
    "complainants.race": "race or ethnicity",
    "complaints.received_period": "the complaint's received period",
    "complaints.closed_period": "closed period",
    "complaints.days_to_close": "days to close",
    "complaints.channel": "channel",
    "complaints.district": "district",
}
LEVEL_NAMES: dict[str, str] = {
    "month": "month",
    "quarter": "quarter (three months)",
    "year": "year",
    "10_year": "age band as collected (about 10 years)",
    "20_year": "20-year age band",
    "all": "not published (every age together)",
    "exact": "as collected",
    "grouped": "small groups combined",
    "district": "district",
    "area": "area (several districts together)",
    "band": "band of days (0-30, 31-60, 61-90, 91-180, 181-365, 366+)",
    "wide_band": "wide band of days (0-90, 91-365, 366+)",
    "withheld": "not published",
}


def build_report(
    kanon: KAnonymityReport,
    aggregates_suppressed: Mapping[str, Mapping[str, int]],
    policy: Policy,
) -> dict[str, Any]:
    """The disclosure report as a dict with the release contract's keys.

    Keys: ``quasi_identifiers``, ``k_required``, ``k_achieved``, ``generalization``,
    ``records``, ``records_suppressed``, ``values_suppressed`` (per attribute ``count`` and
    ``share``), ``l_diversity_findings``, ``risk`` (``max``, ``average``), ``aggregates``
    (file → ``small_cell``/``complementary`` counts), ``threshold``, plus ``suppression_limit``,
    ``suppression_limit_exceeded``, ``records_suppressed_share``, ``combinations_searched``,
    ``equivalence_classes``, ``publish_officer_names``, ``dropped_fields``.
    """
    report = kanon.to_dict()
    report["aggregates"] = {
        name: {kind: int(n) for kind, n in sorted(kinds.items())}
        for name, kinds in sorted(aggregates_suppressed.items())
    }
    report["threshold"] = policy.threshold
    report["publish_officer_names"] = policy.publish_officer_names
    report["dropped_fields"] = list(policy.dropped_fields)
    return report


def _stable(value: Any) -> Any:
    """``value`` with every float rounded to 6 places (and -0.0 as 0.0)."""
    if isinstance(value, float):
        return round(value, 6) + 0.0
    if isinstance(value, dict):
        return {str(k): _stable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_stable(v) for v in value]
    return value


def report_json(report: Mapping[str, Any]) -> str:
    """``disclosure-report.json`` text: sorted keys, 2-space indent, stable floats, final LF."""
    return json.dumps(_stable(dict(report)), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def _pct(share: float) -> str:
    """A share as a percentage with up to two decimals (``0.0123`` → ``1.23%``)."""
    text = f"{share * 100:.2f}".rstrip("0").rstrip(".")
    return f"{text}%"


def report_markdown(report: Mapping[str, Any], version: str) -> str:
    """``disclosure-report.md``: what was removed, generalized and suppressed, and why."""
    k = report["k_required"]
    records = int(report["records"])
    lines = [
        f"# Disclosure report — release {version}",
        "",
        "This release describes closed complaints without identifying anyone in them. This"
        " report says what was removed, what was made less precise, and what was hidden, and"
        " why. The policy applied is in `policy.toml`.",
        "",
        "## Removed",
        "",
        "These never leave the office's database:",
        "",
        *[f"- {item}" for item in report.get("dropped_fields", [])],
        "",
        _officer_sentence(report.get("publish_officer_names", False)),
        "",
        "## Made less precise (generalization)",
        "",
        "Some details could identify a person when combined with what a neighbour, an"
        " acquaintance or a reader of the closure letter knows: where and roughly when a"
        " complaint was made and closed, how it reached the office, and the person's age,"
        " gender and race. Anyone can line these up by joining each complainant"
        " (`complainants.csv`) with their complaint (`complaints.csv`), so k is measured on"
        " exactly that join. These are the *quasi-identifiers*:"
        f" {', '.join(f'`{q}`' for q in report['quasi_identifiers'])}"
        f" ({', '.join(ATTRIBUTE_NAMES.get(q, q) for q in report['quasi_identifiers'])})."
        f" They are published at these levels, chosen to keep as much detail as possible while"
        f" every combination is shared by at least {k} complainants:",
        "",
        "| detail | published as |",
        "|---|---|",
    ]
    for attribute, level in sorted(report["generalization"].items()):
        lines.append(
            f"| {ATTRIBUTE_NAMES.get(attribute, attribute)} | {LEVEL_NAMES.get(level, level)} |"
        )
    lines += [
        "",
        "## Hidden (suppression)",
        "",
        f"Where a combination was still shared by fewer than {k} complainants, single values"
        " were replaced by the word `withheld` (no record was removed):",
        "",
        f"- complainant records: {records:,}",
        f"- records with at least one withheld value: {int(report['records_suppressed']):,}"
        f" ({_pct(float(report.get('records_suppressed_share', 0.0)))};"
        f" the policy allows {_pct(float(report.get('suppression_limit', 0.0)))} for the choice"
        " of levels)",
    ]
    for attribute, figures in sorted(report["values_suppressed"].items()):
        lines.append(
            f"- {ATTRIBUTE_NAMES.get(attribute, attribute)} withheld: {int(figures['count']):,}"
            f" ({_pct(float(figures['share']))})"
        )
    if report.get("suppression_limit_exceeded"):
        lines += [
            "",
            "**Note:** more records carry a withheld value than the policy's limit of"
            f" {_pct(float(report.get('suppression_limit', 0.0)))}. The data are still protected"
            f" (every combination is shared by at least {k} complainants), but a policy allowing"
            " coarser levels (a longer period, larger areas) would keep more values.",
        ]
    risk = report["risk"]
    l_div = report.get("l_diversity_findings")
    lines += [
        "",
        "## Measured protection",
        "",
        f"- k achieved: every combination of the quasi-identifiers is shared by at least"
        f" {report['k_achieved']} complainants (required: {k}).",
        f"- Re-identification risk: at most {_pct(float(risk['max']))} for any complainant"
        f" (1 in the size of the smallest group), {_pct(float(risk['average']))} on average.",
    ]
    if l_div is not None:
        lines.append(
            f"- Diversity of findings: the least varied group holds {l_div} different"
            " complaint outcome(s) (l-diversity). Where this is 1, everyone in some group had"
            " the same outcome, so someone who knows a person is in that group learns it."
        )
    threshold = report["threshold"]
    lines += [
        "",
        "## Aggregate tables",
        "",
        f"In the summary tables (`data/agg_*.csv`), a count from 1 to {threshold - 1} is shown"
        f' as "fewer than {threshold}" (`small_cell`). Further cells are hidden'
        " (`complementary`) so a hidden count cannot be worked out by subtracting the visible"
        " ones from a total. Zero counts are shown: a zero identifies nobody.",
        "",
        "| table | fewer than threshold | hidden to protect them |",
        "|---|---:|---:|",
    ]
    for name, kinds in sorted(report["aggregates"].items()):
        small, complementary = int(kinds.get("small_cell", 0)), int(kinds.get("complementary", 0))
        lines.append(f"| {name} | {small:,} | {complementary:,} |")
    return "\n".join(lines) + "\n"


def _officer_sentence(setting: object) -> str:
    """What the policy says about officer names, in a sentence."""
    if setting == "all":
        return "Officer names are published for every identified officer, as the policy allows."
    if setting == "sustained_only":
        return (
            "Officer names are published only for officers with at least one sustained"
            " allegation; other officers appear under a stable pseudonymous id."
        )
    return "Officer names are not published; officers appear under a stable pseudonymous id."
