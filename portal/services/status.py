"""What a complainant sees and does with their reference and access code.

- ``lookup``: reference + access code → ``PublicView`` (or None), with the per-reference lock.
- ``view_complaint``: the same view for a complaint the status session already authenticated.
- ``add_information`` / ``withdraw``: the complainant's two actions on an open complaint.

The lock lives in the database (``LookupLock``), not in the rate limiter's storage: the
limiter's default storage is per worker process, so with N gunicorn workers and no Redis an
attacker would get N × 10 guesses; the table is shared by every worker on either database, its
expiry follows the ``now`` passed in (testable), and only *failures* write to it, so the normal
lookup pays for it with a join in the query it makes anyway.

A ``PublicView`` carries only what the complainant may see: never internal notes, internal
reasons, staff identities or anyone else's data (the queries do not even select them).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import and_, bindparam, delete, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from portal.db import begin_write
from portal.models import Complaint, LookupLock, StatusEvent
from portal.services import appeals, audit, desk, evidence
from portal.services.casework import CaseworkError, move
from portal.services.clocks import ServiceLevels, expected_next_date
from portal.services.evidence import StoredFile
from portal.services.identifiers import hash_access_code, hashes_match, parse_reference
from portal.services.notify import MailSettings
from portal.vocabulary import (
    CLOSED_STATES,
    PUBLIC_STATUS_OF,
    CaseState,
    PublicStatus,
    StatusEventKind,
)
from portal.workflow import Action

#: Audit actions written here (the actor is always the public: ``actor_id`` None).
INFORMATION_ADDED = "complaint.information_added"
EVIDENCE_ADDED = "complaint.evidence_added"
WITHDRAWN = "complaint.withdrawn"
LOOKUP_LOCKED = "status.lookup_locked"

DEFAULT_MAX_FAILURES = 10
DEFAULT_LOCK_MINUTES = 15


class ReferenceLocked(Exception):
    """Lookups of this reference are refused until ``until`` (too many failed attempts)."""

    def __init__(self, until: dt.datetime) -> None:
        super().__init__("reference locked")
        self.until = until


class ComplaintClosed(Exception):
    """The complaint is closed (or withdrawn): nothing can be added and it cannot be withdrawn."""


class NotAvailable(Exception):
    """A review cannot be requested (or the survey answered) for this complaint now."""


class NothingToAdd(ValueError):
    """``add_information`` was given neither text nor files."""


# --- the public view ------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class TimelineStep:
    """One step of the public timeline.

    ``kind`` is ``status`` (reached ``status``), ``withdrawn`` (the complainant withdrew it),
    ``message`` (a message from the office), ``information_added`` or ``evidence_added``.
    """

    kind: str
    status: PublicStatus | None
    at: dt.datetime
    message: str | None


@dataclasses.dataclass(frozen=True, slots=True)
class NextStep:
    """What happens next: ``key`` names the plain-language text (a public status value,
    ``withdrawn`` or ``closed_final``); ``expected_on`` is the date it should happen by (for a
    closed complaint: the last day to ask for a review); ``is_overdue`` when that date passed."""

    key: str
    expected_on: dt.date | None
    is_overdue: bool = False


@dataclasses.dataclass(frozen=True, slots=True)
class PublicView:
    """Everything the complainant may see about their complaint, and nothing else.

    ``handle`` is the complaint's internal id for the status session cookie (signed); it is
    never rendered.
    """

    handle: int
    reference: str
    received_at: dt.datetime
    status: PublicStatus
    is_open: bool
    is_withdrawn: bool
    timeline: tuple[TimelineStep, ...]
    next_step: NextStep
    can_request_review: bool = False
    can_answer_survey: bool = False


def _lock_key(reference: str, key: str) -> str:
    """HMAC of the canonical reference (the lock table never stores what people typed)."""
    message = ("lookup-lock:" + reference).encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


#: The lookup lock's key of a reference (e.g. to lift the lock when a new code is issued).
lookup_lock_key = _lock_key


# The status page's one round trip, built once (statement construction and its cache key cost
# more than the query itself): the complaint by reference, the reference's lock, and — only when
# the stored code hash equals the one typed — the complaint's public events. The join merely
# avoids fetching events for a wrong code; ``hashes_match`` still decides, in constant
# time, in Python. Always at least one row (the ``SELECT 1`` it hangs from).
# The columns of ``_Head`` and ``_Event``, in their field order.
_HEAD_COLUMNS = (
    Complaint.id,
    Complaint.reference,
    Complaint.state,
    Complaint.received_at,
    Complaint.closed_at,
    Complaint.screened_at,
    Complaint.last_complainant_update_at,
)
_EVENT_COLUMNS = (
    StatusEvent.kind,
    StatusEvent.public_status,
    StatusEvent.message,
    StatusEvent.created_at,
)
_ONE = select(literal(1).label("one")).subquery()
_LOOKUP = (
    select(
        *_HEAD_COLUMNS,
        Complaint.access_code_hash,
        LookupLock.failures,
        LookupLock.locked_until,
        *_EVENT_COLUMNS,
    )
    .select_from(_ONE)
    .outerjoin(Complaint, Complaint.reference == bindparam("reference"))
    .outerjoin(LookupLock, LookupLock.reference_key == bindparam("lock_key"))
    .outerjoin(
        StatusEvent,
        and_(
            StatusEvent.complaint_id == Complaint.id,
            Complaint.access_code_hash == bindparam("code_hash"),
        ),
    )
    .order_by(StatusEvent.created_at, StatusEvent.id)
)
_EVENTS = (
    select(*_EVENT_COLUMNS)
    .where(StatusEvent.complaint_id == bindparam("complaint_id"))
    .order_by(StatusEvent.created_at, StatusEvent.id)
)
_HEAD = select(*_HEAD_COLUMNS).where(Complaint.id == bindparam("complaint_id"))


def lookup(
    session: Session,
    reference: str,
    access_code: str,
    *,
    key: str,
    now: dt.datetime,
    levels: ServiceLevels | None = None,
    max_failures: int = DEFAULT_MAX_FAILURES,
    lock_minutes: int = DEFAULT_LOCK_MINUTES,
) -> PublicView | None:
    """The public view of the complaint with ``reference`` when ``access_code`` is its code.

    Returns None for an unknown reference and for a wrong code alike; the keyed hash of the code
    is computed and compared in constant time in both cases (against a dummy hash when the
    reference is unknown). Each failure counts against the reference (known or not); the
    ``max_failures``-th failure within ``lock_minutes`` locks it for ``lock_minutes``.

    Raises ``ReferenceFormatError`` when ``reference`` cannot be a reference (check it first
    with ``parse_reference`` to tell the resident what to fix) and ``ReferenceLocked`` while the
    reference is locked — even for the right code — and on the failure that locks it. Ends the
    session's transaction (commits the failure count; a success writes only to clear earlier
    failures).
    """
    canonical = parse_reference(reference)
    lock_key = _lock_key(canonical, key)
    typed_hash = hash_access_code(access_code, key)
    rows = (
        session.connection()
        .execute(_LOOKUP, {"reference": canonical, "lock_key": lock_key, "code_hash": typed_hash})
        .all()
    )
    row = rows[0]
    matches = hashes_match(typed_hash, row.access_code_hash)
    if row.locked_until is not None and row.locked_until > now:
        session.rollback()
        raise ReferenceLocked(row.locked_until)
    if not matches:
        _record_failure(session, lock_key, now, max_failures, lock_minutes)
        return None
    head = _Head(
        row.id,
        row.reference,
        row.state,
        row.received_at,
        row.closed_at,
        row.screened_at,
        row.last_complainant_update_at,
    )
    events = [
        _Event(r.kind, r.public_status, r.message, r.created_at) for r in rows if r.kind is not None
    ]
    view = _build_view(session, head, events, now, levels or ServiceLevels())
    if row.failures is not None:
        session.rollback()
        begin_write(session)
        session.execute(delete(LookupLock).where(LookupLock.reference_key == lock_key))
    session.commit()
    return view


def _record_failure(
    session: Session, lock_key: str, now: dt.datetime, max_failures: int, lock_minutes: int
) -> None:
    """Count one failed lookup of ``lock_key``; lock it at ``max_failures``; commit.

    Raises ``ReferenceLocked`` when this failure locks the reference (or another worker's did).
    """
    session.rollback()  # SQLite cannot safely upgrade a read transaction: start a write one
    begin_write(session)
    window = dt.timedelta(minutes=lock_minutes)
    # Create the row if missing without racing another worker's first failure, then lock it.
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(
        insert(LookupLock)
        .values(reference_key=lock_key, failures=0, window_started_at=now, expires_at=now)
        .on_conflict_do_nothing(index_elements=["reference_key"])
    )
    lock = session.get(LookupLock, lock_key, with_for_update=True, populate_existing=True)
    assert lock is not None
    if lock.locked_until is not None and lock.locked_until > now:
        session.commit()
        raise ReferenceLocked(lock.locked_until)
    if lock.locked_until is not None or lock.window_started_at + window <= now:
        lock.failures, lock.window_started_at, lock.locked_until = 0, now, None
    lock.failures += 1
    if lock.failures >= max_failures:
        lock.locked_until = now + window
        audit.record(
            session,
            actor_id=None,
            action=LOOKUP_LOCKED,
            detail=f"failures={lock.failures} minutes={lock_minutes}",
            now=now,
        )
    lock.expires_at = lock.locked_until or lock.window_started_at + window
    # Forget what no longer matters (indexed), so the table stays as small as the attacks.
    session.execute(
        delete(LookupLock).where(LookupLock.expires_at <= now, LookupLock.reference_key != lock_key)
    )
    session.commit()
    if lock.locked_until is not None:
        raise ReferenceLocked(lock.locked_until)


def view_complaint(
    session: Session, complaint_id: int, *, now: dt.datetime, levels: ServiceLevels | None = None
) -> PublicView | None:
    """The public view of complaint ``complaint_id`` (already authenticated by the caller).

    Returns None when it no longer exists. Ends the session's (read) transaction.
    """
    connection = session.connection()
    complaint = connection.execute(_HEAD, {"complaint_id": complaint_id}).first()
    view = None
    if complaint is not None:
        head = _Head(*complaint)
        events = connection.execute(_EVENTS, {"complaint_id": complaint_id}).all()
        view = _build_view(
            session, head, [_Event(*e) for e in events], now, levels or ServiceLevels()
        )
    session.commit()
    return view


@dataclasses.dataclass(frozen=True, slots=True)
class _Head:
    """The public columns of one complaint."""

    id: int
    reference: str
    state: CaseState
    received_at: dt.datetime
    closed_at: dt.datetime | None
    screened_at: dt.datetime | None
    last_complainant_update_at: dt.datetime | None

    @property
    def public_status(self) -> PublicStatus:
        """The status the complainant sees."""
        return PUBLIC_STATUS_OF[self.state]


class _Event(NamedTuple):
    """One public status event, oldest first."""

    kind: StatusEventKind
    public_status: PublicStatus | None
    message: str | None
    created_at: dt.datetime


def _build_view(
    session: Session,
    complaint: _Head,
    events: Sequence[_Event],
    now: dt.datetime,
    levels: ServiceLevels,
) -> PublicView:
    """Build the ``PublicView`` of ``complaint`` from its public ``events`` (oldest first)."""
    complaint_id = complaint.id
    state: CaseState = complaint.state
    withdrawn = state is CaseState.WITHDRAWN
    steps: list[TimelineStep] = []
    for event in events:
        if event.kind is StatusEventKind.STATUS_CHANGE:
            steps.append(TimelineStep("status", event.public_status, event.created_at, None))
            if event.message:
                steps.append(TimelineStep("message", None, event.created_at, event.message))
        else:
            steps.append(TimelineStep(event.kind.value, None, event.created_at, event.message))
    if not any(s.kind == "status" and s.status is PublicStatus.RECEIVED for s in steps):
        steps.insert(0, TimelineStep("status", PublicStatus.RECEIVED, complaint.received_at, None))
    if withdrawn:
        # The last "closed" step is the complainant's own withdrawal: say so.
        for index in range(len(steps) - 1, -1, -1):
            if steps[index].kind == "status" and steps[index].status is PublicStatus.CLOSED:
                steps[index] = dataclasses.replace(steps[index], kind="withdrawn")
                break
    status = PUBLIC_STATUS_OF[state]
    can_review = can_survey = False
    if state in CLOSED_STATES:
        # Only closed cases need the appeal and survey rules (and their ORM reads).
        row = session.get(Complaint, complaint_id)
        if row is not None:
            settings = MailSettings(appeal_window_days=levels.appeal_window_days)
            can_review = appeals.can_request_appeal(session, row, now=now, settings=settings)
            can_survey = appeals.can_answer_survey(session, row)
    return PublicView(
        handle=complaint_id,
        reference=complaint.reference,
        received_at=complaint.received_at,
        status=status,
        is_open=state not in CLOSED_STATES,
        is_withdrawn=withdrawn,
        timeline=tuple(steps),
        next_step=next_step(complaint, now=now, levels=levels),
        can_request_review=can_review,
        can_answer_survey=can_survey,
    )


def next_step(complaint: _Head, *, now: dt.datetime, levels: ServiceLevels) -> NextStep:
    """What happens next for ``complaint`` and by when (``clocks.expected_next_date``).

    ``key`` is the public status, or ``withdrawn``, or ``closed_final`` once a closed case's
    review window has passed; ``is_overdue`` when an expected date (not a review deadline) is
    already behind ``now``.
    """
    status = PUBLIC_STATUS_OF[complaint.state]
    if complaint.state is CaseState.WITHDRAWN:
        return NextStep("withdrawn", None)
    expected = expected_next_date(complaint, levels, now)
    if status is PublicStatus.CLOSED:
        return NextStep("closed", expected) if expected else NextStep("closed_final", None)
    if expected is None:
        return NextStep(status.value, None)
    return NextStep(status.value, expected, is_overdue=expected < now.date())


# --- the complainant's actions --------------------------------------------------------------


def _open_complaint_for_update(session: Session, complaint_id: int) -> Complaint:
    """Start a write transaction and lock the complaint; raise ``ComplaintClosed`` if closed."""
    session.rollback()
    begin_write(session)
    complaint = session.get(Complaint, complaint_id, with_for_update=True, populate_existing=True)
    if complaint is None or complaint.state in CLOSED_STATES:
        session.rollback()
        raise ComplaintClosed()
    return complaint


def add_information(
    session: Session,
    complaint_id: int,
    *,
    text: str,
    files: Sequence[StoredFile] = (),
    now: dt.datetime,
) -> None:
    """Add the complainant's ``text`` and/or evidence ``files`` to an open complaint; commit.

    ``files`` were validated and stored by ``evidence.store_upload``; they become attachments
    uploaded by the complainant (the caller removes them from disk if this raises:
    ``evidence.removed_on_failure``). Each part adds a public ``StatusEvent`` (the text; the
    file names) and an audit entry without personal data. Raises ``NothingToAdd`` when both are
    empty and ``ComplaintClosed`` when the complaint is closed, withdrawn or gone (then nothing
    is written).
    """
    text = text.strip()
    if not text and not files:
        raise NothingToAdd("nothing to add")
    complaint = _open_complaint_for_update(session, complaint_id)
    if text:
        session.add(
            StatusEvent(
                complaint_id=complaint_id,
                kind=StatusEventKind.INFORMATION_ADDED,
                message=text,
                created_at=now,
            )
        )
        audit.record(
            session,
            actor_id=None,
            action=INFORMATION_ADDED,
            object_type="complaint",
            object_id=complaint_id,
            detail=f"characters={len(text)}",
            now=now,
        )
    if files:
        attachments = evidence.attach(session, complaint, files, now=now, uploaded_by=None)
        session.add(
            StatusEvent(
                complaint_id=complaint_id,
                kind=StatusEventKind.EVIDENCE_ADDED,
                message=", ".join(a.original_name for a in attachments),
                created_at=now,
            )
        )
        audit.record(
            session,
            actor_id=None,
            action=EVIDENCE_ADDED,
            object_type="complaint",
            object_id=complaint_id,
            detail=f"files={len(attachments)}",
            now=now,
        )
    desk.add_notice(
        session,
        complaint_id,
        desk.NoticeKind.EVIDENCE_ADDED if files else desk.NoticeKind.INFORMATION_ADDED,
        now=now,
    )
    complaint.updated_at = now
    session.commit()


def withdraw(
    session: Session,
    complaint_id: int,
    *,
    reason: str = "",
    now: dt.datetime,
    settings: MailSettings | None = None,
) -> None:
    """Withdraw an open complaint at the complainant's request; commit.

    Goes through the workflow (``Action.WITHDRAW``): the case closes as ``withdrawn``,
    allegations without a finding get ``withdrawn``, a workflow event carries the complainant's
    optional ``reason`` (internal), the timeline gets its public ``closed`` step, the audit
    trail ``complaint.withdraw`` (actor: the public) and the complainant an email in their
    language when they gave an address (``settings``: office name, status page address).
    Raises ``ComplaintClosed`` when it is already closed, withdrawn or gone (nothing written).
    """
    complaint = _open_complaint_for_update(session, complaint_id)
    move(
        session,
        complaint,
        Action.WITHDRAW,
        actor=None,
        now=now,
        settings=settings or MailSettings(),
        reason=reason.strip() or None,
    )
    session.commit()


def request_review(
    session: Session,
    complaint_id: int,
    *,
    reason: str,
    now: dt.datetime,
    settings: MailSettings | None = None,
) -> None:
    """The complainant asks for a review of the decision on their closed complaint; commit.

    Through ``appeals.request_appeal`` (workflow, audit, email). Raises ``NotAvailable`` when
    the complaint is not closed, the window has passed or a review was already asked for.
    """
    session.rollback()
    begin_write(session)
    try:
        appeals.request_appeal(
            session, complaint_id, reason=reason, now=now, settings=settings or MailSettings()
        )
    except CaseworkError:
        session.rollback()
        raise NotAvailable() from None
    session.commit()


def answer_survey(
    session: Session, complaint_id: int, answers: appeals.SurveyAnswers, *, now: dt.datetime
) -> None:
    """Store the complainant's satisfaction survey for their closed complaint; commit.

    Raises ``NotAvailable`` when the survey is not open (not closed, withdrawn, already
    answered) or a rating is out of range.
    """
    session.rollback()
    begin_write(session)
    try:
        appeals.submit_survey(session, complaint_id, answers, now=now)
    except CaseworkError:
        session.rollback()
        raise NotAvailable() from None
    session.commit()
