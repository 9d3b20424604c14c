"""The internal trend report (management) and its aggregate, anonymized variant (commissioners).

``trend_report`` returns plain data — counts grouped in SQL, medians from the few timestamps
they need — for complaints received in ``[start, end)``: by month, category (of allegations),
district, channel, final finding, open cases overdue now, median days per stage, referral
outcomes by agency, satisfaction survey results. ``report_csv`` writes any report as CSV rows
``section,key,value``.

``commissioner_report`` is the same report with every count below ``threshold`` (default 5)
replaced by ``"<5"`` and a median given only when it rests on at least ``threshold`` cases, so
no row points at a handful of people; it holds no names, references, free text or exact dates.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, select
from sqlalchemy.orm import Session

from portal.models import Agency, Allegation, CaseEvent, Complaint, Referral, SurveyResponse
from portal.services.clocks import OPEN_STATES, ServiceLevels, overdue_condition
from portal.vocabulary import CaseState, Finding

Count = int | str  # a count, or "<N" once suppressed


@dataclass
class TrendReport:
    """Every table of the report: each a list of (key, value) pairs in display order."""

    start: dt.date
    end: dt.date
    total: Count = 0
    by_month: list[tuple[str, Count]] = field(default_factory=list)
    by_category: list[tuple[str, Count]] = field(default_factory=list)
    by_district: list[tuple[str, Count]] = field(default_factory=list)
    by_channel: list[tuple[str, Count]] = field(default_factory=list)
    by_finding: list[tuple[str, Count]] = field(default_factory=list)
    by_discipline: list[tuple[str, Count]] = field(default_factory=list)  # imposed, sustained
    overdue_open: Count = 0
    open_cases: Count = 0
    median_days: list[tuple[str, float | None]] = field(default_factory=list)
    referral_outcomes: list[tuple[str, Count]] = field(default_factory=list)
    satisfaction: list[tuple[str, float | Count | None]] = field(default_factory=list)
    suppressed_below: int | None = None
    stage_counts: tuple[int, int, int] = (0, 0, 0)  # cases behind each median

    def sections(self) -> list[tuple[str, Sequence[tuple[str, Any]]]]:
        """The report as (section name, rows), for CSV and templates."""
        return [
            (
                "summary",
                [
                    ("complaints", self.total),
                    ("open", self.open_cases),
                    ("open_overdue", self.overdue_open),
                ],
            ),
            ("month", self.by_month),
            ("category", self.by_category),
            ("district", self.by_district),
            ("channel", self.by_channel),
            ("finding", self.by_finding),
            ("discipline", self.by_discipline),
            ("median_days", self.median_days),
            ("referral_outcome", self.referral_outcomes),
            ("satisfaction", self.satisfaction),
        ]


def _month(session: Session) -> ColumnElement[str]:
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(Complaint.received_at, "YYYY-MM")
    return func.strftime("%Y-%m", Complaint.received_at)


def _grouped(session: Session, key: Any, query: Select[Any]) -> list[tuple[str, Count]]:
    rows = session.execute(query.add_columns(key, func.count()).group_by(key).order_by(key))
    return [(str(k) if k is not None else "unknown", int(n)) for k, n in rows]


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def _days(a: dt.datetime | None, b: dt.datetime | None) -> float | None:
    if a is None or b is None:
        return None
    return (b - a).total_seconds() / 86400


def trend_report(
    session: Session,
    *,
    start: dt.date,
    end: dt.date,
    now: dt.datetime,
    levels: ServiceLevels | None = None,
) -> TrendReport:
    """The internal trend report for complaints received from ``start`` up to (not including)
    ``end``; ``now`` decides what is overdue. Read only."""
    levels = levels or ServiceLevels()
    since = dt.datetime.combine(start, dt.time(), tzinfo=dt.UTC)
    until = dt.datetime.combine(end, dt.time(), tzinfo=dt.UTC)
    window = and_(Complaint.received_at >= since, Complaint.received_at < until)
    base: Select[Any] = select().select_from(Complaint).where(window)
    report = TrendReport(start=start, end=end)
    report.total = int(
        session.scalar(select(func.count()).select_from(Complaint).where(window)) or 0
    )
    report.by_month = _grouped(session, _month(session), base)
    report.by_district = _grouped(session, Complaint.district, base)
    report.by_channel = [
        (str(getattr(k, "value", k)), n) for k, n in _grouped(session, Complaint.channel, base)
    ]
    joined: Select[Any] = select().select_from(Allegation).join(Complaint).where(window)
    report.by_category = [
        (str(getattr(k, "value", k)), n) for k, n in _grouped(session, Allegation.category, joined)
    ]
    decided = joined.where(Allegation.finding.is_not(None))
    report.by_finding = [
        (str(getattr(k, "value", k)), n) for k, n in _grouped(session, Allegation.finding, decided)
    ]
    # The discipline IMPOSED (never the recommendation); "pending" until the department decides.
    sustained = joined.where(Allegation.finding == Finding.SUSTAINED)
    report.by_discipline = [
        (str(getattr(k, "value", k)), n)
        for k, n in _grouped(session, Allegation.imposed_discipline, sustained)
    ]
    open_window = and_(window, Complaint.state.in_(OPEN_STATES))
    report.open_cases = int(
        session.scalar(select(func.count()).select_from(Complaint).where(open_window)) or 0
    )
    report.overdue_open = int(
        session.scalar(
            select(func.count())
            .select_from(Complaint)
            .where(open_window, overdue_condition(levels, now))
        )
        or 0
    )

    # Median days per stage, from the timestamps each stage needs.
    rows = session.execute(
        select(
            Complaint.id, Complaint.received_at, Complaint.screened_at, Complaint.closed_at
        ).where(window)
    ).all()
    findings_at = dict(
        session.execute(
            select(CaseEvent.complaint_id, func.min(CaseEvent.at))
            .join(Complaint, Complaint.id == CaseEvent.complaint_id)
            .where(window, CaseEvent.to_state == CaseState.FINDINGS_REVIEW)
            .group_by(CaseEvent.complaint_id)
        ).all()
    )
    to_screen, to_findings, to_close = [], [], []
    for cid, received, screened, closed in rows:
        if (d := _days(received, screened)) is not None:
            to_screen.append(d)
        submitted = findings_at.get(cid)
        if submitted is not None and submitted.tzinfo is None:
            submitted = submitted.replace(tzinfo=dt.UTC)
        if (d := _days(screened, submitted)) is not None:
            to_findings.append(d)
        if (d := _days(received, closed)) is not None:
            to_close.append(d)
    report.median_days = [
        ("received_to_screened", _median(to_screen)),
        ("screened_to_findings", _median(to_findings)),
        ("received_to_closed", _median(to_close)),
    ]
    report.stage_counts = (len(to_screen), len(to_findings), len(to_close))

    status = case((Referral.outcome_at.is_not(None), "outcome_recorded"), else_="awaiting_outcome")
    referral_rows = session.execute(
        select(Agency.name, status, func.count())
        .select_from(Referral)
        .join(Agency, Agency.id == Referral.agency_id)
        .join(Complaint, Complaint.id == Referral.complaint_id)
        .where(window)
        .group_by(Agency.name, status)
        .order_by(Agency.name, status)
    )
    report.referral_outcomes = [(f"{name}: {state}", int(n)) for name, state, n in referral_rows]

    survey = session.execute(
        select(
            func.count(SurveyResponse.id),
            func.avg(SurveyResponse.ease),
            func.avg(SurveyResponse.kept_informed),
            func.avg(SurveyResponse.treated_fairly),
            func.sum(case((SurveyResponse.would_recommend.is_(True), 1), else_=0)),
            func.count(SurveyResponse.would_recommend),
        )
        .join(Complaint, Complaint.id == SurveyResponse.complaint_id)
        .where(window)
    ).one()
    responses, ease, informed, fair, yes, answered = survey

    def avg(value: Any) -> float | None:
        return round(float(value), 2) if value is not None else None

    report.satisfaction = [
        ("responses", int(responses or 0)),
        ("average_ease", avg(ease)),
        ("average_kept_informed", avg(informed)),
        ("average_treated_fairly", avg(fair)),
        ("would_recommend_percent", round(100 * int(yes or 0) / answered, 1) if answered else None),
    ]
    return report


def _suppress(value: Any, threshold: int) -> Any:
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < threshold:
        return f"<{threshold}"
    return value


def commissioner_report(
    session: Session,
    *,
    start: dt.date,
    end: dt.date,
    now: dt.datetime,
    levels: ServiceLevels | None = None,
    threshold: int = 5,
) -> TrendReport:
    """The aggregate, anonymized report: ``trend_report`` with small counts shown as ``<N``,
    medians and satisfaction averages withheld (None) below ``threshold`` cases, and referral
    outcomes by outcome only (not by agency)."""
    report = trend_report(session, start=start, end=end, now=now, levels=levels)
    counts = report.stage_counts

    def rows(items: list[tuple[str, Count]]) -> list[tuple[str, Count]]:
        return [(k, _suppress(v, threshold)) for k, v in items]

    outcomes: dict[str, int] = {}
    for key, value in report.referral_outcomes:
        state = key.rsplit(": ", 1)[-1]
        outcomes[state] = outcomes.get(state, 0) + int(value)
    responses = report.satisfaction[0][1]
    enough = isinstance(responses, int) and responses >= threshold
    return TrendReport(
        start=start,
        end=end,
        total=_suppress(report.total, threshold),
        by_month=rows(report.by_month),
        by_category=rows(report.by_category),
        by_district=rows(report.by_district),
        by_channel=rows(report.by_channel),
        by_finding=rows(report.by_finding),
        by_discipline=rows(report.by_discipline),
        overdue_open=_suppress(report.overdue_open, threshold),
        open_cases=_suppress(report.open_cases, threshold),
        median_days=[
            (key, value if n >= threshold else None)
            for (key, value), n in zip(report.median_days, counts, strict=True)
        ],
        referral_outcomes=rows(list(sorted(outcomes.items()))),
        satisfaction=[
            (
                key,
                _suppress(value, threshold) if key == "responses" else (value if enough else None),
            )
            for key, value in report.satisfaction
        ],
        suppressed_below=threshold,
    )


def report_csv(report: TrendReport) -> str:
    """The report as CSV text: header ``section,key,value``, one row per figure (empty value:
    not available or withheld)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["section", "key", "value"])
    writer.writerow(["period", "start", report.start.isoformat()])
    writer.writerow(["period", "end", report.end.isoformat()])
    if report.suppressed_below is not None:
        writer.writerow(["period", "suppressed_below", report.suppressed_below])
    for section, rows in report.sections():
        for key, value in rows:
            writer.writerow([section, key, "" if value is None else value])
    return out.getvalue()
