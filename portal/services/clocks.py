"""Service-level clocks: business days, each case's deadlines, and SQL filters for the queue.

Service levels come from configuration (``SLA_*_DAYS``, in business days; ``HOLIDAYS``, ISO dates
separated by commas; ``APPEAL_WINDOW_DAYS``, calendar days). Days are counted on UTC calendar
dates: a clock started on a Friday with 2 business days is due on Tuesday (Monday too, if Monday
is a holiday: then Wednesday). A clock is *overdue* once its due date has passed (the whole due
day counts as on time), *due soon* when the due date is within ``due_soon_days`` business days
from today.

The clocks (``ClockName``):

- ``acknowledge`` — from receipt until the case leaves ``received``;
- ``screen`` — from receipt until the screening decision (``screened_at``);
- ``first_contact`` — from a decision to investigate or resolve early until the first complainant
  interview is logged, a phone call reaches the complainant, or the office sends them a message;
- ``investigate`` — from the (latest) start of the investigation until findings are submitted;
- ``update`` — while a case is open: the complainant must hear from the office every
  ``update_every_days`` (any public status change or message restarts it).

``overdue_condition`` and ``due_soon_condition`` give SQL conditions on ``Complaint`` for the case
queue: the due-date arithmetic is turned into a cut-off time per clock in Python (due dates only
grow with the start date), so the database compares indexed timestamps and never loops in Python.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import ColumnElement, and_, exists, func, not_, or_, select
from sqlalchemy.orm import Session

from portal.models import Activity, CaseEvent, Complaint, StatusEvent
from portal.vocabulary import (
    CLOSED_STATES,
    ActivityKind,
    CallOutcome,
    CallParty,
    CaseState,
    PublicStatus,
    ScreeningOutcome,
    StatusEventKind,
)

S = CaseState

#: States in which the case is still worked and the update clock runs.
OPEN_STATES: frozenset[CaseState] = frozenset(set(CaseState) - CLOSED_STATES)
_BEFORE_SCREENING = (S.RECEIVED, S.ACKNOWLEDGED, S.SCREENING)
_CONTACT_STATES = (S.INVESTIGATION, S.EARLY_RESOLUTION)


class ClockName(StrEnum):
    """A service-level clock."""

    ACKNOWLEDGE = "acknowledge"
    SCREEN = "screen"
    FIRST_CONTACT = "first_contact"
    INVESTIGATE = "investigate"
    UPDATE = "update"


class ClockState(StrEnum):
    """Where a clock stands today."""

    MET = "met"
    RUNNING = "running"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"


@dataclasses.dataclass(frozen=True, slots=True)
class ServiceLevels:
    """The office's service levels (business days unless said otherwise) and its holidays."""

    acknowledge_days: int = 2
    screen_days: int = 10
    first_contact_days: int = 5
    investigate_days: int = 90
    update_every_days: int = 30
    appeal_window_days: int = 30  # calendar days after closure
    due_soon_days: int = 2  # business days before the due date that count as "due soon"
    holidays: frozenset[dt.date] = frozenset()

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ServiceLevels:
        """Read ``SLA_*_DAYS``, ``APPEAL_WINDOW_DAYS`` and ``HOLIDAYS`` (comma-separated ISO
        dates) from an app or CLI configuration. Raises ``ValueError`` on a bad holiday."""
        d = cls()
        return cls(
            acknowledge_days=int(config.get("SLA_ACKNOWLEDGE_DAYS", d.acknowledge_days)),
            screen_days=int(config.get("SLA_SCREEN_DAYS", d.screen_days)),
            first_contact_days=int(config.get("SLA_FIRST_CONTACT_DAYS", d.first_contact_days)),
            investigate_days=int(config.get("SLA_INVESTIGATE_DAYS", d.investigate_days)),
            update_every_days=int(config.get("SLA_UPDATE_EVERY_DAYS", d.update_every_days)),
            appeal_window_days=int(config.get("APPEAL_WINDOW_DAYS", d.appeal_window_days)),
            due_soon_days=int(config.get("SLA_DUE_SOON_DAYS", d.due_soon_days)),
            holidays=parse_holidays(str(config.get("HOLIDAYS") or "")),
        )

    def days(self, clock: ClockName) -> int:
        """The number of business days ``clock`` allows."""
        return {
            ClockName.ACKNOWLEDGE: self.acknowledge_days,
            ClockName.SCREEN: self.screen_days,
            ClockName.FIRST_CONTACT: self.first_contact_days,
            ClockName.INVESTIGATE: self.investigate_days,
            ClockName.UPDATE: self.update_every_days,
        }[clock]


def parse_holidays(spec: str) -> frozenset[dt.date]:
    """Parse ``"2025-07-04, 2025-12-25"`` into dates; raises ``ValueError`` naming a bad item."""
    dates: set[dt.date] = set()
    for item in spec.split(","):
        item = item.strip()
        if not item:
            continue
        try:
            dates.add(dt.date.fromisoformat(item))
        except ValueError:
            raise ValueError(f"HOLIDAYS: {item!r} is not an ISO date (YYYY-MM-DD)") from None
    return frozenset(dates)


def is_business_day(day: dt.date, holidays: frozenset[dt.date]) -> bool:
    """Monday to Friday and not a holiday."""
    return day.weekday() < 5 and day not in holidays


def add_business_days(start: dt.date, days: int, holidays: frozenset[dt.date]) -> dt.date:
    """The date ``days`` business days after ``start`` (weekends and ``holidays`` skipped;
    ``start`` itself never counts, so a clock started on a holiday begins the next business day).
    ``days`` ≤ 0 returns ``start``."""
    current = start
    remaining = days
    while remaining > 0:
        current += dt.timedelta(days=1)
        if is_business_day(current, holidays):
            remaining -= 1
    return current


def business_days_between(start: dt.date, end: dt.date, holidays: frozenset[dt.date]) -> int:
    """Business days after ``start`` up to and including ``end`` (negative when end < start)."""
    if end < start:
        return -business_days_between(end, start, holidays)
    count = 0
    current = start
    while current < end:
        current += dt.timedelta(days=1)
        if is_business_day(current, holidays):
            count += 1
    return count


def due_on(started_at: dt.datetime, days: int, levels: ServiceLevels) -> dt.date:
    """The due date of a clock of ``days`` business days started at ``started_at`` (UTC date)."""
    return add_business_days(started_at.astimezone(dt.UTC).date(), days, levels.holidays)


def soon_limit(levels: ServiceLevels, now: dt.datetime) -> dt.date:
    """The last due date that still counts as "due soon" today."""
    return add_business_days(now.astimezone(dt.UTC).date(), levels.due_soon_days, levels.holidays)


def state_of(
    due: dt.date, met_at: dt.datetime | None, levels: ServiceLevels, now: dt.datetime
) -> ClockState:
    """The state of a clock due on ``due``: met (``met_at`` given), overdue, due soon or running."""
    if met_at is not None:
        return ClockState.MET
    today = now.astimezone(dt.UTC).date()
    if due < today:
        return ClockState.OVERDUE
    if due <= soon_limit(levels, now):
        return ClockState.DUE_SOON
    return ClockState.RUNNING


@dataclasses.dataclass(frozen=True, slots=True)
class Clock:
    """One clock of one case: when it started, when it is due, where it stands.

    ``met_at`` is when it was met (None while running); ``is_late`` says it was met after its due
    date (or is overdue now).
    """

    name: ClockName
    started_at: dt.datetime
    due_on: dt.date
    state: ClockState
    met_at: dt.datetime | None
    is_late: bool


def _clock(
    name: ClockName,
    started_at: dt.datetime,
    met_at: dt.datetime | None,
    levels: ServiceLevels,
    now: dt.datetime,
) -> Clock:
    due = due_on(started_at, levels.days(name), levels)
    state = state_of(due, met_at, levels, now)
    late = state is ClockState.OVERDUE or (
        met_at is not None and met_at.astimezone(dt.UTC).date() > due
    )
    return Clock(name, started_at, due, state, met_at, late)


def _events(session: Session, complaint_id: int) -> list[CaseEvent]:
    return list(
        session.scalars(
            select(CaseEvent)
            .where(CaseEvent.complaint_id == complaint_id)
            .order_by(CaseEvent.at, CaseEvent.id)
        )
    )


def _is_contact() -> ColumnElement[bool]:
    """An activity that is contact with the complainant: an interview, or a phone call with the
    complainant that reached them."""
    return or_(
        Activity.kind == ActivityKind.INTERVIEW_COMPLAINANT,
        and_(
            Activity.kind == ActivityKind.PHONE_CALL,
            Activity.call_party == CallParty.COMPLAINANT,
            Activity.call_outcome == CallOutcome.REACHED,
        ),
    )


def _first_contact_at(
    session: Session, complaint: Complaint, since: dt.datetime
) -> dt.datetime | None:
    activity = session.scalar(
        select(func.min(Activity.created_at)).where(
            Activity.complaint_id == complaint.id,
            _is_contact(),
            Activity.created_at >= since,
        )
    )
    message = session.scalar(
        select(func.min(StatusEvent.created_at)).where(
            StatusEvent.complaint_id == complaint.id,
            StatusEvent.kind == StatusEventKind.MESSAGE,
            StatusEvent.created_at >= since,
        )
    )
    found = [_aware(t) for t in (activity, message) if t is not None]
    return min(found) if found else None


def _aware(value: dt.datetime) -> dt.datetime:
    # func.min() bypasses the UTCDateTime type on SQLite and gives a naive UTC value back.
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def case_clocks(
    session: Session, complaint: Complaint, levels: ServiceLevels, now: dt.datetime
) -> list[Clock]:
    """The clocks that apply to ``complaint``, in workflow order, with their state at ``now``.

    Clocks that never started (e.g. ``investigate`` for a referred case) are left out, and so are
    clocks a case closed without meeting (e.g. ``screen`` for one withdrawn before screening).
    Reads the case's events, activities and messages (a few small queries).
    """
    events = _events(session, complaint.id)
    is_open = complaint.state in OPEN_STATES
    clocks: list[Clock] = []

    left_received = next((e.at for e in events if e.from_state is S.RECEIVED), None)
    if complaint.state is not S.RECEIVED and left_received is None:
        left_received = complaint.screened_at or complaint.closed_at or complaint.received_at
    clocks.append(_clock(ClockName.ACKNOWLEDGE, complaint.received_at, left_received, levels, now))

    if complaint.screened_at is not None or complaint.state in _BEFORE_SCREENING:
        clocks.append(
            _clock(ClockName.SCREEN, complaint.received_at, complaint.screened_at, levels, now)
        )

    if complaint.screened_at is not None and complaint.screening_outcome in (
        ScreeningOutcome.INVESTIGATE,
        ScreeningOutcome.EARLY_RESOLUTION,
    ):
        contact = _first_contact_at(session, complaint, complaint.screened_at)
        if contact is not None or complaint.state in _CONTACT_STATES:
            clocks.append(
                _clock(ClockName.FIRST_CONTACT, complaint.screened_at, contact, levels, now)
            )

    starts = [i for i, e in enumerate(events) if e.to_state is S.INVESTIGATION]
    if starts:
        start = events[starts[-1]]
        done = next(
            (e.at for e in events[starts[-1] + 1 :] if e.from_state is S.INVESTIGATION), None
        )
        if done is not None or complaint.state is S.INVESTIGATION:
            clocks.append(_clock(ClockName.INVESTIGATE, start.at, done, levels, now))

    if is_open:
        last = complaint.last_complainant_update_at or complaint.received_at
        clocks.append(_clock(ClockName.UPDATE, last, None, levels, now))
    return clocks


# --- SQL filters for the queue --------------------------------------------------------------


def _cutoff(days: int, limit: dt.date, levels: ServiceLevels) -> dt.datetime:
    """The earliest start time whose due date is after ``limit``.

    Due dates never decrease as the start date grows, so "due on or before ``limit``" is exactly
    "started before the cut-off": walk back from ``limit`` to the latest start date still due by
    ``limit`` and return midnight UTC of the day after it.
    """
    day = limit
    while add_business_days(day, days, levels.holidays) > limit:
        day -= dt.timedelta(days=1)
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)


def _investigation_start() -> ColumnElement[dt.datetime]:
    return (
        select(func.max(CaseEvent.at))
        .where(CaseEvent.complaint_id == Complaint.id, CaseEvent.to_state == S.INVESTIGATION)
        .correlate(Complaint)
        .scalar_subquery()
    )


def _contacted() -> ColumnElement[bool]:
    interview = exists().where(
        Activity.complaint_id == Complaint.id,
        _is_contact(),
        Activity.created_at >= Complaint.screened_at,
    )
    message = exists().where(
        StatusEvent.complaint_id == Complaint.id,
        StatusEvent.kind == StatusEventKind.MESSAGE,
        StatusEvent.created_at >= Complaint.screened_at,
    )
    return or_(interview, message)


def _due_by(levels: ServiceLevels, limit: dt.date) -> list[ColumnElement[bool]]:
    """One condition per running clock: the clock is running and due on or before ``limit``."""

    def cut(name: ClockName) -> dt.datetime:
        return _cutoff(levels.days(name), limit, levels)

    last_update = func.coalesce(Complaint.last_complainant_update_at, Complaint.received_at)
    return [
        and_(Complaint.state == S.RECEIVED, Complaint.received_at < cut(ClockName.ACKNOWLEDGE)),
        and_(
            Complaint.state.in_(_BEFORE_SCREENING),
            Complaint.received_at < cut(ClockName.SCREEN),
        ),
        and_(
            Complaint.state.in_(_CONTACT_STATES),
            Complaint.screened_at.is_not(None),
            Complaint.screening_outcome.in_(
                (ScreeningOutcome.INVESTIGATE, ScreeningOutcome.EARLY_RESOLUTION)
            ),
            Complaint.screened_at < cut(ClockName.FIRST_CONTACT),
            not_(_contacted()),
        ),
        and_(
            Complaint.state == S.INVESTIGATION,
            func.coalesce(_investigation_start(), Complaint.screened_at, Complaint.received_at)
            < cut(ClockName.INVESTIGATE),
        ),
        and_(Complaint.state.in_(OPEN_STATES), last_update < cut(ClockName.UPDATE)),
    ]


def due_by_condition(levels: ServiceLevels, limit: dt.date) -> ColumnElement[bool]:
    """SQL condition on ``Complaint``: a running clock is due on or before ``limit``."""
    return or_(*_due_by(levels, limit))


def overdue_condition(levels: ServiceLevels, now: dt.datetime) -> ColumnElement[bool]:
    """SQL condition on ``Complaint``: at least one running clock is past its due date."""
    yesterday = now.astimezone(dt.UTC).date() - dt.timedelta(days=1)
    return or_(*_due_by(levels, yesterday))


def overdue_clocks(
    levels: ServiceLevels, now: dt.datetime
) -> list[tuple[ClockName, ColumnElement[bool], ColumnElement[dt.datetime]]]:
    """Per clock: the SQL condition on ``Complaint`` that it runs and is past due, and the
    expression of when it started (one run of a clock = one start time)."""
    yesterday = now.astimezone(dt.UTC).date() - dt.timedelta(days=1)
    starts: list[Any] = [
        Complaint.received_at,
        Complaint.received_at,
        Complaint.screened_at,
        func.coalesce(_investigation_start(), Complaint.screened_at, Complaint.received_at),
        func.coalesce(Complaint.last_complainant_update_at, Complaint.received_at),
    ]
    names = list(ClockName)
    return list(zip(names, _due_by(levels, yesterday), starts, strict=True))


def due_soon_condition(levels: ServiceLevels, now: dt.datetime) -> ColumnElement[bool]:
    """SQL condition on ``Complaint``: not overdue, and a running clock is due within
    ``due_soon_days`` business days (today included)."""
    return and_(
        or_(*_due_by(levels, soon_limit(levels, now))), not_(overdue_condition(levels, now))
    )


# --- what the complainant sees --------------------------------------------------------------


class ClockColumns(Protocol):
    """The columns of a complaint ``expected_next_date`` reads (a ``Complaint`` has them; so
    does the status page's plain row, which needs no ORM object)."""

    @property
    def state(self) -> CaseState: ...
    @property
    def public_status(self) -> PublicStatus: ...
    @property
    def received_at(self) -> dt.datetime: ...
    @property
    def closed_at(self) -> dt.datetime | None: ...
    @property
    def screened_at(self) -> dt.datetime | None: ...
    @property
    def last_complainant_update_at(self) -> dt.datetime | None: ...


def expected_next_date(
    complaint: ClockColumns, config: Mapping[str, Any] | ServiceLevels, now: dt.datetime
) -> dt.date | None:
    """The date the complainant can expect the next step by (for the public status page).

    By public status: received / under review → the screening decision (``screen_days`` after
    receipt); early resolution → first contact (``first_contact_days`` after the decision);
    under investigation → the end of the investigation (``investigate_days`` after it started,
    approximated by the screening decision); referred, findings review, appeal requested → the
    next update (``update_every_days`` after the last one); closed → the last day to ask for a
    review (``appeal_window_days`` calendar days after closure; None once it passed or when the
    case was withdrawn); appeal decided → None. ``config`` is the app configuration or a
    ``ServiceLevels``. Reads only the complaint's own columns (no query).
    """
    levels = config if isinstance(config, ServiceLevels) else ServiceLevels.from_config(config)
    status = complaint.public_status
    since = complaint.screened_at or complaint.received_at
    last = complaint.last_complainant_update_at or complaint.received_at
    if status in (PublicStatus.RECEIVED, PublicStatus.UNDER_REVIEW):
        return due_on(complaint.received_at, levels.screen_days, levels)
    if status is PublicStatus.EARLY_RESOLUTION:
        return due_on(since, levels.first_contact_days, levels)
    if status is PublicStatus.UNDER_INVESTIGATION:
        return due_on(since, levels.investigate_days, levels)
    if status in (
        PublicStatus.REFERRED,
        PublicStatus.FINDINGS_REVIEW,
        PublicStatus.APPEAL_REQUESTED,
    ):
        return due_on(last, levels.update_every_days, levels)
    if status is PublicStatus.CLOSED:
        if complaint.state is S.WITHDRAWN or complaint.closed_at is None:
            return None
        last_day = complaint.closed_at.astimezone(dt.UTC).date() + dt.timedelta(
            days=levels.appeal_window_days
        )
        return last_day if now.astimezone(dt.UTC).date() <= last_day else None
    return None
