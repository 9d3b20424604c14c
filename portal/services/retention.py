"""The records schedule: which closed cases are due for disposal, and the retention run.

The schedule is a TOML file the office sets (``portal.services.retention_schedule``). Each case
falls under the first rule it matches; the rule gives two periods in whole years, counted from
the day the case was closed (or from the decision on its appeal, when later): one for its
personal data, one for its evidence files. A case that is open, under appeal, without a closing
date, or under a legal hold is never due.

Disposal (``dispose_case``) removes the personal data or deletes the evidence files (rows kept
as tombstones; ``portal.services.disposal``) and leaves every column the publisher reads exactly
as it was, so a release published before and after gives the same rows. Each disposal is
recorded (``Disposal``: when, which rule) and audited without personal data. ``run_retention``
disposes of every due case, each in its own transaction, so a run stopped half-way is simply
run again. No Flask here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, literal, or_, select, true
from sqlalchemy.orm import Session, sessionmaker

from portal.db import begin_write
from portal.models import (
    Allegation,
    Appeal,
    Attachment,
    Complaint,
    Disposal,
    LegalHold,
    UTCDateTime,
)
from portal.services import audit
from portal.services.disposal import (
    DISPOSED,
    ERASURE,
    REMOVED,
    record_disposal,
    redact_case,
    redact_complainant,
    remove_evidence,
)
from portal.services.retention_schedule import (
    DEFAULT_SCHEDULE,
    DISPOSABLE_STATES,
    EVIDENCE,
    PERSONAL_DATA,
    RetentionRule,
    Schedule,
    ScheduleError,
    load_schedule,
    parse_schedule,
    years_after,
    years_before,
)
from portal.vocabulary import Finding

__all__ = [
    "DEFAULT_SCHEDULE",
    "DISPOSABLE_STATES",
    "DISPOSED",
    "ERASURE",
    "EVIDENCE",
    "PERSONAL_DATA",
    "REMOVED",
    "RUN",
    "RetentionRule",
    "Schedule",
    "ScheduleError",
    "load_schedule",
    "parse_schedule",
    "record_disposal",
    "redact_case",
    "redact_complainant",
    "remove_evidence",
]

RUN = "retention.run"


# --- which cases are due (SQL prefilter; ``assess`` decides for each case) ---------------------


def _has_finding(findings: frozenset[Finding]) -> ColumnElement[bool]:
    # Correlated explicitly: inside the appeals subquery of ``due_condition`` automatic
    # correlation would not reach the outer complaints row.
    return (
        exists()
        .where(Allegation.complaint_id == Complaint.id, Allegation.finding.in_(sorted(findings)))
        .correlate(Complaint)
    )


def _matches(rule: RetentionRule) -> ColumnElement[bool]:
    parts: list[ColumnElement[bool]] = []
    if rule.states:
        parts.append(Complaint.state.in_(sorted(rule.states)))
    if rule.findings:
        parts.append(_has_finding(rule.findings))
    return and_(true(), *parts)


def active_hold() -> ColumnElement[bool]:
    """SQL: the complaint has a legal hold that is not released."""
    return exists().where(LegalHold.complaint_id == Complaint.id, LegalHold.released_at.is_(None))


def _disposed(kind: str) -> ColumnElement[bool]:
    return exists().where(Disposal.complaint_id == Complaint.id, Disposal.kind == kind)


def _live_files() -> ColumnElement[bool]:
    return exists().where(Attachment.complaint_id == Complaint.id, Attachment.disposed_at.is_(None))


def due_condition(schedule: Schedule, kind: str, at: dt.datetime) -> ColumnElement[bool]:
    """SQL: the complaint's ``kind`` is due for disposal at ``at`` (holds not considered).

    Counted from ``closed_at``, or from an appeal decided later: a case is due when both lie at
    least its rule's period before ``at``. The rule's cutoff is one CASE in rule order (first
    match wins), and the most recent cutoff of any rule is a plain range on the indexed
    ``closed_at`` first, so the database looks at rule matches only for old enough cases.
    """
    cutoffs = [
        literal(years_before(at, rule.years(kind)), UTCDateTime()) for rule in schedule.rules
    ]
    latest = max(years_before(at, rule.years(kind)) for rule in schedule.rules)
    cutoff: ColumnElement[Any] = cutoffs[-1]
    if len(cutoffs) > 1:
        cutoff = case(
            *[
                (_matches(rule), value)
                for rule, value in zip(schedule.rules, cutoffs, strict=False)
            ][:-1],
            else_=cutoffs[-1],
        )
    condition = and_(
        Complaint.closed_at <= latest,
        Complaint.state.in_(sorted(DISPOSABLE_STATES)),
        ~_disposed(kind),
    )
    if kind == EVIDENCE:
        condition = and_(condition, _live_files())
    return and_(
        condition,
        Complaint.closed_at <= cutoff,
        ~exists()
        .where(Appeal.complaint_id == Complaint.id, Appeal.decided_at > cutoff)
        .correlate(Complaint),
    )


@dataclass(frozen=True)
class Assessment:
    """Where one case stands under the schedule."""

    complaint_id: int
    reference: str
    closed_at: dt.datetime | None
    counted_from: dt.datetime | None
    rule: RetentionRule | None
    personal_due_at: dt.datetime | None  # None: already disposed, or never (not closed)
    evidence_due_at: dt.datetime | None  # None: no files left, or never
    held: bool

    def due(self, at: dt.datetime) -> list[str]:
        """The kinds due at ``at`` (ignoring a hold: check ``held``)."""
        kinds = []
        if self.personal_due_at is not None and self.personal_due_at <= at:
            kinds.append(PERSONAL_DATA)
        if self.evidence_due_at is not None and self.evidence_due_at <= at:
            kinds.append(EVIDENCE)
        return kinds

    @property
    def next_due_at(self) -> dt.datetime | None:
        """The earlier of the two due dates."""
        dates = [d for d in (self.personal_due_at, self.evidence_due_at) if d is not None]
        return min(dates) if dates else None


def assess(session: Session, schedule: Schedule, complaint_ids: Iterable[int]) -> list[Assessment]:
    """Assess each complaint (a fixed number of queries), in the order of ``complaint_ids``."""
    ids = list(dict.fromkeys(complaint_ids))
    if not ids:
        return []
    rows = {
        row.id: row
        for row in session.execute(
            select(Complaint.id, Complaint.reference, Complaint.state, Complaint.closed_at).where(
                Complaint.id.in_(ids)
            )
        )
    }
    findings: dict[int, list[Finding | None]] = {}
    for cid, finding in session.execute(
        select(Allegation.complaint_id, Allegation.finding).where(Allegation.complaint_id.in_(ids))
    ):
        findings.setdefault(cid, []).append(finding)
    decided: dict[int, list[dt.datetime]] = {}
    for cid, decided_at in session.execute(
        select(Appeal.complaint_id, Appeal.decided_at).where(
            Appeal.complaint_id.in_(ids), Appeal.decided_at.is_not(None)
        )
    ):
        if decided_at is not None:
            decided.setdefault(cid, []).append(decided_at)
    disposed = {
        (cid, kind)
        for cid, kind in session.execute(
            select(Disposal.complaint_id, Disposal.kind).where(Disposal.complaint_id.in_(ids))
        )
    }
    live_files = set(
        session.scalars(
            select(Attachment.complaint_id).where(
                Attachment.complaint_id.in_(ids), Attachment.disposed_at.is_(None)
            )
        )
    )
    held = set(
        session.scalars(
            select(LegalHold.complaint_id).where(
                LegalHold.complaint_id.in_(ids), LegalHold.released_at.is_(None)
            )
        )
    )
    found = []
    for cid in ids:
        row = rows.get(cid)
        if row is None:
            continue
        rule = counted = personal = files = None
        if row.state in DISPOSABLE_STATES and row.closed_at is not None:
            counted = max([row.closed_at, *decided.get(cid, [])])
            rule = schedule.rule_for(row.state, findings.get(cid, []))
            if (cid, PERSONAL_DATA) not in disposed:
                personal = years_after(counted, rule.personal_data_years)
            if cid in live_files and (cid, EVIDENCE) not in disposed:
                files = years_after(counted, rule.evidence_years)
        found.append(
            Assessment(
                cid, row.reference, row.closed_at, counted, rule, personal, files, cid in held
            )
        )
    return found


@dataclass
class DueList:
    """What the records-schedule page shows: cases due now, coming due, and held back."""

    due: list[Assessment] = field(default_factory=list)
    soon: list[Assessment] = field(default_factory=list)
    held: list[Assessment] = field(default_factory=list)
    due_total: int = 0
    soon_total: int = 0
    held_total: int = 0
    undated: int = 0  # closed cases without a closing date: never due automatically


def _any_due(schedule: Schedule, at: dt.datetime) -> ColumnElement[bool]:
    return or_(due_condition(schedule, PERSONAL_DATA, at), due_condition(schedule, EVIDENCE, at))


def due_list(
    session: Session, schedule: Schedule, *, now: dt.datetime, limit: int = 200, batch: int = 1000
) -> DueList:
    """Cases due now (not held), due within ``schedule.notice_days`` (not held), and held cases
    due within that window; each list the oldest first, at most ``limit`` long, with its full
    count. One query finds the candidates; ``assess`` decides each, ``batch`` at a time."""
    horizon = now + dt.timedelta(days=schedule.notice_days)
    ids = session.scalars(
        select(Complaint.id)
        .where(_any_due(schedule, horizon))
        .order_by(Complaint.closed_at, Complaint.id)
    ).all()
    result = DueList()
    for start in range(0, len(ids), batch):
        for item in assess(session, schedule, ids[start : start + batch]):
            if not item.due(horizon):
                continue
            name = "held" if item.held else "due" if item.due(now) else "soon"
            items: list[Assessment] = getattr(result, name)
            if len(items) < limit:
                items.append(item)
            setattr(result, f"{name}_total", getattr(result, f"{name}_total") + 1)
    result.undated = undated_count(session)
    return result


@dataclass(frozen=True)
class CaseOutcome:
    """What one case's disposal did (or, in a dry run, would do)."""

    complaint_id: int
    rule: str
    kinds: tuple[str, ...]
    files_removed: int = 0


def dispose_case(
    session: Session, schedule: Schedule, complaint_id: int, *, folder: Path, now: dt.datetime
) -> CaseOutcome | None:
    """Dispose of what is due of one case, in the caller's (write) transaction.

    Locks the case and assesses it again inside the transaction, so a hold set or a disposal
    made since the case was listed is respected. Returns None when nothing is due (any more).
    """
    locked = session.scalar(select(Complaint).where(Complaint.id == complaint_id).with_for_update())
    if locked is None:
        return None
    [assessment] = assess(session, schedule, [complaint_id])
    kinds = assessment.due(now)
    if assessment.held or not kinds or assessment.rule is None:
        return None
    files = 0
    if PERSONAL_DATA in kinds:
        redact_case(session, locked, now=now)
        record_disposal(session, complaint_id, PERSONAL_DATA, rule=assessment.rule.id, now=now)
    if EVIDENCE in kinds:
        files = remove_evidence(session, complaint_id, folder, now=now)
        record_disposal(
            session, complaint_id, EVIDENCE, rule=assessment.rule.id, now=now, files_removed=files
        )
    return CaseOutcome(complaint_id, assessment.rule.id, tuple(kinds), files)


@dataclass
class RunReport:
    """What a retention run did (or would do, with ``dry_run``)."""

    dry_run: bool
    cases: list[CaseOutcome] = field(default_factory=list)
    held: int = 0
    undated: int = 0
    failed: list[int] = field(default_factory=list)

    def count(self, kind: str) -> int:
        """Cases whose ``kind`` was disposed of."""
        return sum(1 for case in self.cases if kind in case.kinds)

    @property
    def files_removed(self) -> int:
        """Evidence files deleted from disk."""
        return sum(case.files_removed for case in self.cases)


def run_retention(
    factory: sessionmaker[Session],
    schedule: Schedule,
    *,
    now: dt.datetime,
    folder: Path,
    dry_run: bool = False,
    on_case: Callable[[CaseOutcome], None] | None = None,
) -> RunReport:
    """Dispose of every case due at ``now`` and not held, each in its own transaction.

    ``dry_run`` lists what would go and changes nothing. A case that fails is rolled back,
    reported in ``failed`` (by internal id) and the run goes on. A real run ends with a
    ``retention.run`` audit entry with the counts. Safe to repeat: a disposed case is not due.
    """
    report = RunReport(dry_run=dry_run)
    with factory() as session:
        due_now = _any_due(schedule, now)
        ids = list(
            session.scalars(
                select(Complaint.id).where(due_now, ~active_hold()).order_by(Complaint.id)
            )
        )
        report.held = int(
            session.scalar(
                select(func.count()).select_from(Complaint).where(due_now, active_hold())
            )
            or 0
        )
        report.undated = undated_count(session)
        if dry_run:
            for item in assess(session, schedule, ids):
                kinds = item.due(now)
                if kinds and item.rule is not None and not item.held:
                    planned = CaseOutcome(item.complaint_id, item.rule.id, tuple(kinds))
                    report.cases.append(planned)
                    if on_case is not None:
                        on_case(planned)
            return report
    for complaint_id in ids:
        outcome: CaseOutcome | None
        with factory() as session:
            try:
                begin_write(session)
                outcome = dispose_case(session, schedule, complaint_id, folder=folder, now=now)
                session.commit()
            except Exception:
                session.rollback()
                report.failed.append(complaint_id)
                continue
        if outcome is not None:
            report.cases.append(outcome)
            if on_case is not None:
                on_case(outcome)
    with factory() as session:
        begin_write(session)
        audit.record(
            session,
            actor_id=None,
            action=RUN,
            after={
                "personal_data": report.count(PERSONAL_DATA),
                "evidence": report.count(EVIDENCE),
                "files_removed": report.files_removed,
                "held": report.held,
                "failed": len(report.failed),
            },
            detail=f"schedule={Path(schedule.source).name}",
            now=now,
        )
        session.commit()
    return report


def undated_count(session: Session) -> int:
    """Closed cases without a closing date (imported history): never due automatically."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(Complaint)
            .where(Complaint.state.in_(sorted(DISPOSABLE_STATES)), Complaint.closed_at.is_(None))
        )
        or 0
    )
