"""The records schedule: which closed cases are due for disposal, and the disposal itself.

The schedule is a TOML file the office sets (``retention.default.toml`` beside this package, or
``LANTERN_RETENTION_SCHEDULE``; see ``parse_schedule``). Each case falls under the first rule it
matches; the rule gives two periods in whole years, counted from the day the case was closed (or
from the decision on its appeal, when later): one for its personal data, one for its evidence
files. A case that is open, under appeal, without a closing date, or under a legal hold is never
due.

Disposal (``dispose_case``) removes the personal data (``redact_case``) or deletes the evidence
files (``remove_evidence``, rows kept as tombstones) and leaves every column the publisher reads
exactly as it was, so a release published before and after gives the same rows. Each disposal
is recorded (``Disposal``: when, which rule) and audited without personal data.
``run_retention`` disposes of every due case, each in its own transaction, so a run stopped
half-way is simply run again. No Flask here.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    delete,
    exists,
    false,
    func,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.orm import Session, sessionmaker

from portal.db import begin_write
from portal.models import (
    Activity,
    Allegation,
    Appeal,
    Attachment,
    CaseEvent,
    Complainant,
    Complaint,
    ComplaintLink,
    Disposal,
    InternalNote,
    InvolvedOfficer,
    LegalHold,
    OutboxMessage,
    Referral,
    StatusEvent,
    SurveyResponse,
)
from portal.services import audit, evidence
from portal.vocabulary import AgeBand, CaseState, Finding

DEFAULT_SCHEDULE = Path(__file__).resolve().parent.parent / "retention.default.toml"

#: States a case can be disposed of in (closed for good: not open, not awaiting an appeal).
DISPOSABLE_STATES = frozenset(
    {CaseState.CLOSED, CaseState.DECLINED, CaseState.WITHDRAWN, CaseState.APPEAL_DECIDED}
)
PERSONAL_DATA = "personal_data"
EVIDENCE = "evidence"
ERASURE = "complainant_erasure"
#: What a removed free text reads (where an empty value would say "nothing was ever written").
REMOVED = "[removed]"

DISPOSED = "complaint.disposed"
RUN = "retention.run"


class ScheduleError(ValueError):
    """The schedule file is wrong; ``str(error)`` names the rule and the key."""


@dataclass(frozen=True)
class RetentionRule:
    """One rule of the schedule (see the module docstring and the default file)."""

    id: str
    name: str
    personal_data_years: int
    evidence_years: int
    findings: frozenset[Finding] = frozenset()
    states: frozenset[CaseState] = frozenset()

    def years(self, kind: str) -> int:
        """The period for ``kind`` (``personal_data`` or ``evidence``)."""
        return self.personal_data_years if kind == PERSONAL_DATA else self.evidence_years

    def matches(self, state: CaseState, findings: Iterable[Finding | None]) -> bool:
        """Whether a case in ``state`` with these final findings falls under this rule's test."""
        if self.states and state not in self.states:
            return False
        return not self.findings or any(f in self.findings for f in findings)


@dataclass(frozen=True)
class Schedule:
    """The office's records schedule: rules in order, and the notice window of the page."""

    rules: tuple[RetentionRule, ...]
    notice_days: int = 90
    source: str = "schedule"

    def rule_for(self, state: CaseState, findings: Iterable[Finding | None]) -> RetentionRule:
        """The first rule a case matches (the last rule matches every case)."""
        found = list(findings)
        return next(r for r in self.rules if r.matches(state, found))


_RULE_KEYS = {"id", "name", "personal_data_years", "evidence_years", "findings", "states"}
_TOP_KEYS = {"rule", "notice_days"}


def _years(entry: Mapping[str, Any], key: str, where: str) -> int:
    if key not in entry:
        raise ScheduleError(f"{where}: `{key}` is missing (a whole number of years, 1 or more)")
    value = entry[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < 1 or value > 200:
        raise ScheduleError(
            f"{where}: `{key}` must be a whole number of years from 1 to 200 (got {value!r})"
        )
    return value


def _values(
    entry: Mapping[str, Any], key: str, where: str, allowed: Iterable[Any]
) -> frozenset[Any]:
    values = entry.get(key, [])
    by_value = {member.value: member for member in allowed}
    if not isinstance(values, list):
        raise ScheduleError(f"{where}: `{key}` must be a list")
    for value in values:
        if value not in by_value:
            raise ScheduleError(
                f"{where}: `{key}` has {value!r}, which is not one of {', '.join(by_value)}"
            )
    return frozenset(by_value[v] for v in values)


def parse_schedule(text: str, source: str = "schedule") -> Schedule:
    """The schedule of a TOML text.

    Raises ``ScheduleError`` naming the rule and key for: bad TOML, an unknown key, no rule, a
    missing or duplicate id, a missing name, a period that is missing, negative, zero or not a
    whole number, a finding or state not in the vocabulary (states: the closed ones only), a
    last rule that does not match every case, or a rule after it that could never apply.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ScheduleError(f"{source}: not valid TOML ({error})") from None
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise ScheduleError(f"{source}: unknown key `{sorted(unknown)[0]}`")
    notice = data.get("notice_days", 90)
    if isinstance(notice, bool) or not isinstance(notice, int) or not 0 <= notice <= 3660:
        raise ScheduleError(f"{source}: `notice_days` must be a whole number from 0 to 3660")
    entries = data.get("rule", [])
    if not isinstance(entries, list) or not entries:
        raise ScheduleError(f"{source}: no [[rule]] is defined")
    rules: list[RetentionRule] = []
    for number, entry in enumerate(entries, start=1):
        where = f"{source}, rule {number}"
        if not isinstance(entry, dict):
            raise ScheduleError(f"{where}: must be a table")
        rule_id = entry.get("id")
        if not isinstance(rule_id, str) or not re.fullmatch(r"[a-z0-9_]{1,64}", rule_id):
            raise ScheduleError(f"{where}: `id` must be lower-case letters, digits and _")
        where = f"{source}, rule {rule_id!r}"
        extra = set(entry) - _RULE_KEYS
        if extra:
            raise ScheduleError(f"{where}: unknown key `{sorted(extra)[0]}`")
        if any(r.id == rule_id for r in rules):
            raise ScheduleError(f"{where}: the id is used twice")
        if rules and not rules[-1].findings and not rules[-1].states:
            raise ScheduleError(
                f"{where}: rule {rules[-1].id!r} before it matches every case, so this one "
                "would never apply"
            )
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ScheduleError(f"{where}: `name` must say in words which cases it covers")
        rules.append(
            RetentionRule(
                id=rule_id,
                name=name.strip(),
                personal_data_years=_years(entry, "personal_data_years", where),
                evidence_years=_years(entry, "evidence_years", where),
                findings=_values(entry, "findings", where, Finding),
                states=_values(entry, "states", where, sorted(DISPOSABLE_STATES)),
            )
        )
    last = rules[-1]
    if last.findings or last.states:
        raise ScheduleError(
            f"{source}, rule {last.id!r}: the last rule must match every closed case "
            "(no `findings`, no `states`)"
        )
    return Schedule(rules=tuple(rules), notice_days=notice, source=source)


def load_schedule(path: Path | str | None = None) -> Schedule:
    """The schedule in ``path`` (default: the shipped one); ``ScheduleError`` when unreadable."""
    file = Path(path) if path else DEFAULT_SCHEDULE
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as error:
        raise ScheduleError(f"cannot read the records schedule {file}: {error.strerror}") from None
    return parse_schedule(text, str(file))


def years_before(moment: dt.datetime, years: int) -> dt.datetime:
    """The same instant ``years`` calendar years earlier (29 February becomes the 28th)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)


def years_after(moment: dt.datetime, years: int) -> dt.datetime:
    """The same instant ``years`` calendar years later (29 February becomes the 28th)."""
    return years_before(moment, -years)


# --- which cases are due (SQL prefilter; ``assess`` decides for each case) ---------------------


def _has_finding(findings: frozenset[Finding]) -> ColumnElement[bool]:
    return exists().where(
        Allegation.complaint_id == Complaint.id, Allegation.finding.in_(sorted(findings))
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
    least the rule's period before ``at``.
    """
    earlier: list[ColumnElement[bool]] = []
    under: list[ColumnElement[bool]] = []
    for rule in schedule.rules:
        cutoff = years_before(at, rule.years(kind))
        started = and_(
            Complaint.closed_at <= cutoff,
            ~exists().where(Appeal.complaint_id == Complaint.id, Appeal.decided_at > cutoff),
        )
        under.append(and_(_matches(rule), ~or_(false(), *earlier), started))
        earlier.append(_matches(rule))
    condition = and_(
        Complaint.state.in_(sorted(DISPOSABLE_STATES)),
        Complaint.closed_at.is_not(None),
        ~_disposed(kind),
        or_(false(), *under),
    )
    if kind == EVIDENCE:
        condition = and_(condition, _live_files())
    return condition


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
    session: Session, schedule: Schedule, *, now: dt.datetime, limit: int = 200
) -> DueList:
    """Cases due now (not held), due within ``schedule.notice_days`` (not held), and held cases
    that would be due within that window; each list the oldest first, at most ``limit`` long,
    with its full count."""
    due_now = _any_due(schedule, now)
    due_soon = _any_due(schedule, now + dt.timedelta(days=schedule.notice_days))
    result = DueList()
    for name, condition in (
        ("due", and_(due_now, ~active_hold())),
        ("soon", and_(due_soon, ~due_now, ~active_hold())),
        ("held", and_(due_soon, active_hold())),
    ):
        total = session.scalar(select(func.count()).select_from(Complaint).where(condition)) or 0
        ids = session.scalars(
            select(Complaint.id)
            .where(condition)
            .order_by(Complaint.closed_at, Complaint.id)
            .limit(limit)
        ).all()
        setattr(result, name, assess(session, schedule, ids))
        setattr(result, f"{name}_total", int(total))
    result.undated = undated_count(session)
    return result


# --- disposal --------------------------------------------------------------------------------


def _age_band(age: int | None) -> AgeBand | None:
    """The band the publisher derives from an exact age (``publisher.extract._age_band_sql``)."""
    if age is None or age < 0:
        return None
    for upper, band in (
        (17, AgeBand.UNDER_18),
        (24, AgeBand.AGE_18_24),
        (34, AgeBand.AGE_25_34),
        (44, AgeBand.AGE_35_44),
        (54, AgeBand.AGE_45_54),
        (64, AgeBand.AGE_55_64),
    ):
        if age <= upper:
            return band
    return AgeBand.AGE_65_PLUS


def redact_complainant(person: Complainant) -> None:
    """Remove one complainant's identity and contact details; keep the published demographics
    (the exact age becomes the age band the publisher would have derived from it)."""
    if person.age_band is None:
        person.age_band = _age_band(person.age)
    person.age = None
    person.name = person.email = person.phone = person.postal_address = None
    person.on_behalf_of = person.interpreter_language = None
    person.wants_code_by_email = False


def redact_case(session: Session, complaint: Complaint, *, now: dt.datetime) -> None:
    """Remove the personal data of a case and of everyone in it, in the caller's transaction.

    Left exactly as they were: every column the publisher reads (dates, channel, district,
    state, screening decision, allegations, the roster officer, complainants' demographics),
    the reference number (staff still find the case by it; the access code stops working) and
    the evidence files (``remove_evidence``; their names are replaced here).
    """
    cid = complaint.id
    complaint.access_code_hash = None
    complaint.idempotency_key = None
    complaint.incident_date = None
    complaint.incident_time = None
    complaint.incident_location = None
    complaint.narrative = REMOVED
    complaint.witnesses = None
    complaint.screening_reason = REMOVED if complaint.screening_reason else None
    complaint.updated_at = now
    for person in session.scalars(select(Complainant).where(Complainant.complaint_id == cid)):
        redact_complainant(person)
    for officer in session.scalars(
        select(InvolvedOfficer).where(InvolvedOfficer.complaint_id == cid)
    ):
        officer.name_given = officer.badge_given = officer.description = None
    for attachment in session.scalars(select(Attachment).where(Attachment.complaint_id == cid)):
        attachment.original_name = f"file-{attachment.id}"
    marked: tuple[tuple[Any, Any], ...] = (
        (StatusEvent.message, StatusEvent.complaint_id),
        (CaseEvent.reason, CaseEvent.complaint_id),
        (InternalNote.body, InternalNote.complaint_id),
        (Activity.summary, Activity.complaint_id),
        (Referral.outcome, Referral.complaint_id),
        (Appeal.reason, Appeal.complaint_id),
        (Appeal.decision, Appeal.complaint_id),
    )
    for column, owner in marked:
        table = column.class_
        session.execute(
            update(table)
            .where(owner == cid, column.is_not(None), column != "")
            .values({column.key: REMOVED})
        )
    session.execute(
        update(ComplaintLink)
        .where(or_(ComplaintLink.complaint_id == cid, ComplaintLink.related_id == cid))
        .where(ComplaintLink.reason.is_not(None))
        .values(reason=None)
    )
    session.execute(
        update(SurveyResponse).where(SurveyResponse.complaint_id == cid).values(comment=None)
    )
    # Emails are copies of what was said to the complainants, with their addresses.
    session.execute(delete(OutboxMessage).where(OutboxMessage.complaint_id == cid))


def remove_evidence(
    session: Session,
    complaint_id: int,
    folder: Path,
    *,
    now: dt.datetime,
    only: Callable[[Attachment], bool] | None = None,
) -> int:
    """Delete the case's evidence files from disk (``only``: those it accepts); each row stays
    as a tombstone with ``disposed_at``. Returns how many files were removed.

    Files go before the caller commits: a failed commit leaves the rows live, and the next run
    finds them again (deleting a file already gone is not an error).
    """
    removed = 0
    for attachment in session.scalars(
        select(Attachment).where(
            Attachment.complaint_id == complaint_id, Attachment.disposed_at.is_(None)
        )
    ):
        if only is not None and not only(attachment):
            continue
        try:
            path = evidence.evidence_path(folder, attachment.stored_name)
        except ValueError:
            path = None
        if path is not None and path.exists():
            path.unlink()
            removed += 1
        attachment.disposed_at = now
    return removed


def record_disposal(
    session: Session,
    complaint_id: int,
    kind: str,
    *,
    rule: str | None,
    now: dt.datetime,
    actor_id: int | None = None,
    files_removed: int = 0,
    complainant_id: int | None = None,
    reason: str | None = None,
    action: str = DISPOSED,
) -> Disposal:
    """Add the ``Disposal`` row and its ``action`` audit entry (kind, rule, files removed,
    complainant id: no personal data, and not the reason)."""
    row = Disposal(
        complaint_id=complaint_id,
        kind=kind,
        complainant_id=complainant_id,
        rule=rule,
        reason=reason,
        at=now,
        actor_id=actor_id,
        files_removed=files_removed,
    )
    session.add(row)
    after: dict[str, Any] = {"kind": kind, "files_removed": files_removed}
    if rule is not None:
        after["rule"] = rule
    if complainant_id is not None:
        after["complainant_id"] = complainant_id
    audit.record(
        session,
        actor_id=actor_id,
        action=action,
        object_type="complaint",
        object_id=complaint_id,
        after=after,
        now=now,
    )
    return row


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
