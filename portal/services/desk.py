"""The staff desk: never miss a new event on a case.

Notices (``CaseNotice``, append-only) record what staff must see: the resident added information
or evidence, asked for a review or withdrew (written in the same transaction as the event, by
``portal.services.status`` and ``caserules.move``), a service-level clock went overdue or a
message to the resident failed for good (found by ``collect``: from the clocks' SQL conditions
and the outbox's ``failed`` state, whatever the channel).

Exactness: every notice is written under one lock (``_serialize``: a transaction-level advisory
lock on PostgreSQL; SQLite has a single writer anyway) and the lock is held until commit, so
notice ids become visible in increasing order. "Seen up to id N" therefore never hides a notice
that commits later. A staff member's mark (``CaseSeen``) only moves when they open the case
(``case_news`` then ``mark_seen`` with the highest id the page showed) or acknowledge it on the
desk — to the id they were shown, never to "now".

No Flask here: session, staff member and clock come in as arguments; nothing is committed unless
the function says so.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, case, exists, false, func, insert, literal, or_, select, text
from sqlalchemy.orm import Session

from portal.db import begin_write
from portal.models import Appeal, CaseNotice, CaseSeen, Complaint, OutboxMessage, Staff
from portal.models.base import UTCDateTime
from portal.services.clocks import (
    OPEN_STATES,
    ServiceLevels,
    due_by_condition,
    overdue_clocks,
    overdue_condition,
    soon_limit,
)
from portal.services.permissions import Permission, has_permission
from portal.vocabulary import AppealState, CaseState, OutboxStatus, StaffRole

#: Advisory lock key of the notice writers (any constant; "LNTDESK" in ASCII, shortened).
LOCK_KEY = 0x4C4E5444
#: At most this many unseen notices are read for the desk (newest first).
NEWS_LIMIT = 300
#: At most this many of a staff member's own cases are listed.
MY_CASES_LIMIT = 100
ACKNOWLEDGE = "desk.acknowledge"
#: After writing this many notices at once, PostgreSQL's statistics of the table are refreshed.
ANALYZE_AFTER = 500

#: Cases on someone's desk: worked, or closed with a review still to decide.
DESK_STATES: frozenset[CaseState] = OPEN_STATES | {CaseState.APPEAL_REQUESTED}


class NoticeKind(StrEnum):
    """What happened on a case."""

    INFORMATION_ADDED = "information_added"
    EVIDENCE_ADDED = "evidence_added"
    APPEAL_REQUESTED = "appeal_requested"
    WITHDRAWN = "withdrawn"
    OVERDUE = "overdue"
    DELIVERY_FAILED = "delivery_failed"


def _serialize(session: Session) -> None:
    """Take the notice writers' lock until the end of the transaction (see module)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})


def _no_jit(session: Session) -> None:
    """Turn PostgreSQL's JIT off for this transaction: the clock conditions' correlated
    subqueries make the planner's cost estimate large enough to JIT-compile, which costs about a
    second each time for queries that run in a fraction of that (measured on 100,000 cases)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))


def add_notice(
    session: Session,
    complaint_id: int,
    kind: NoticeKind,
    *,
    now: dt.datetime,
    source_id: int | None = None,
) -> None:
    """Add a notice in the caller's (write) transaction; the caller commits."""
    _serialize(session)
    session.add(
        CaseNotice(complaint_id=complaint_id, kind=kind.value, source_id=source_id, created_at=now)
    )


def collect(
    session: Session,
    *,
    now: dt.datetime,
    levels: ServiceLevels,
    complaint_id: int | None = None,
) -> None:
    """Write the notices found from state: clocks overdue now (one per run of a clock) and
    messages whose delivery failed for good (any channel). Idempotent; starts a write
    transaction and commits. ``complaint_id`` limits it to one case."""
    if session.in_transaction():
        session.rollback()
    begin_write(session)
    _no_jit(session)
    _serialize(session)
    stamp = literal(now, UTCDateTime())
    written = 0
    only = Complaint.id == complaint_id if complaint_id is not None else and_(True)
    columns = ["complaint_id", "kind", "clock", "clock_started_at", "created_at"]
    for name, condition, started in overdue_clocks(levels, now):
        already = exists().where(
            CaseNotice.complaint_id == Complaint.id,
            CaseNotice.kind == NoticeKind.OVERDUE.value,
            CaseNotice.clock == name.value,
            CaseNotice.clock_started_at == started,
        )
        found = select(
            Complaint.id,
            literal(NoticeKind.OVERDUE.value),
            literal(name.value),
            started,
            stamp,
        ).where(only, condition, ~already)
        written += _rowcount(session.execute(insert(CaseNotice).from_select(columns, found)))
    failed_already = exists().where(
        CaseNotice.kind == NoticeKind.DELIVERY_FAILED.value,
        CaseNotice.source_id == OutboxMessage.id,
    )
    failed = select(
        OutboxMessage.complaint_id,
        literal(NoticeKind.DELIVERY_FAILED.value),
        OutboxMessage.id,
        stamp,
    ).where(
        OutboxMessage.status == OutboxStatus.FAILED,
        OutboxMessage.complaint_id.is_not(None),
        ~failed_already,
    )
    if complaint_id is not None:
        failed = failed.where(OutboxMessage.complaint_id == complaint_id)
    columns = ["complaint_id", "kind", "source_id", "created_at"]
    written += _rowcount(session.execute(insert(CaseNotice).from_select(columns, failed)))
    if written >= ANALYZE_AFTER and session.get_bind().dialect.name == "postgresql":
        # Fresh statistics, or the next look-ups plan for an empty table (seconds on 100k).
        session.execute(text("ANALYZE case_notices"))
    session.commit()


def _rowcount(result: object) -> int:
    count = getattr(result, "rowcount", 0)
    return count if isinstance(count, int) and count > 0 else 0


# --- reading ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class Notice:
    """One notice as shown."""

    id: int
    kind: NoticeKind
    clock: str | None
    created_at: dt.datetime


@dataclasses.dataclass(frozen=True, slots=True)
class CaseNews:
    """The unseen notices of one case, newest first, and the id to mark seen up to."""

    complaint_id: int
    reference: str
    state: CaseState
    notices: tuple[Notice, ...]

    @property
    def up_to(self) -> int:
        """The highest notice id shown (what acknowledging marks as seen)."""
        return max(n.id for n in self.notices)


@dataclasses.dataclass(frozen=True, slots=True)
class DeskCase:
    """One of the staff member's own cases."""

    id: int
    reference: str
    state: CaseState
    received_at: dt.datetime
    is_overdue: bool
    is_due_soon: bool


@dataclasses.dataclass(frozen=True, slots=True)
class Workload:
    """One person's open cases (None: nobody assigned yet)."""

    staff_id: int | None
    name: str
    open_cases: int
    overdue: int
    due_soon: int


@dataclasses.dataclass(frozen=True, slots=True)
class WaitingAppeal:
    """A review request waiting for a decision."""

    complaint_id: int
    reference: str
    requested_at: dt.datetime


@dataclasses.dataclass(frozen=True, slots=True)
class Desk:
    """Everything on one staff member's desk."""

    news: tuple[CaseNews, ...]
    news_truncated: bool
    my_cases: tuple[DeskCase, ...]
    my_cases_total: int
    workload: tuple[Workload, ...] | None  # None: not a supervisor
    appeals: tuple[WaitingAppeal, ...] | None  # None: may not decide appeals


def _scope(staff: Staff) -> object:
    """Which notices concern ``staff``: their own cases; unassigned cases for those who screen;
    review requests on any case for those who decide them."""
    parts = [Complaint.assigned_to_id == staff.id]
    if has_permission(staff.role, Permission.CASE_SCREEN):
        parts.append(Complaint.assigned_to_id.is_(None))
    if has_permission(staff.role, Permission.APPEAL_DECIDE):
        parts.append(CaseNotice.kind == NoticeKind.APPEAL_REQUESTED.value)
    return or_(*parts) if parts else false()


def _news(
    session: Session, staff: Staff, *, complaint_id: int | None = None
) -> tuple[list[CaseNews], bool]:
    """Unseen notices for ``staff`` grouped by case (newest first), and whether more exist."""
    seen = and_(CaseSeen.complaint_id == CaseNotice.complaint_id, CaseSeen.staff_id == staff.id)
    query = (
        select(
            CaseNotice.id,
            CaseNotice.complaint_id,
            CaseNotice.kind,
            CaseNotice.clock,
            CaseNotice.created_at,
            Complaint.reference,
            Complaint.state,
        )
        .join(Complaint, Complaint.id == CaseNotice.complaint_id)
        .outerjoin(CaseSeen, seen)
        .where(CaseNotice.id > func.coalesce(CaseSeen.last_notice_id, 0))
        .order_by(CaseNotice.id.desc())
        .limit(NEWS_LIMIT + 1)
    )
    if complaint_id is not None:
        query = query.where(CaseNotice.complaint_id == complaint_id)
    else:
        query = query.where(_scope(staff))  # type: ignore[arg-type]
    rows = session.execute(query).all()
    truncated = len(rows) > NEWS_LIMIT
    grouped: dict[int, list[Notice]] = {}
    heads: dict[int, tuple[str, CaseState]] = {}
    for row in rows[:NEWS_LIMIT]:
        grouped.setdefault(row.complaint_id, []).append(
            Notice(row.id, NoticeKind(row.kind), row.clock, row.created_at)
        )
        heads[row.complaint_id] = (row.reference, row.state)
    news = [
        CaseNews(cid, heads[cid][0], heads[cid][1], tuple(notices))
        for cid, notices in grouped.items()
    ]
    return news, truncated


def case_news(session: Session, staff: Staff, complaint_id: int) -> CaseNews | None:
    """The notices of one case ``staff`` has not seen yet (None: nothing new). Read only."""
    news, _more = _news(session, staff, complaint_id=complaint_id)
    return news[0] if news else None


def mark_seen(
    session: Session, staff: Staff, complaint_id: int, up_to: int, *, now: dt.datetime
) -> bool:
    """Record that ``staff`` has seen the notices of the case up to id ``up_to`` (the highest id
    they were shown); a mark never moves back. Starts a write transaction, does not commit.
    Returns False when the case has no notice up to that id (nothing recorded)."""
    if session.in_transaction():
        session.rollback()
    begin_write(session)
    highest = session.scalar(
        select(func.max(CaseNotice.id)).where(
            CaseNotice.complaint_id == complaint_id, CaseNotice.id <= up_to
        )
    )
    if highest is None:
        return False
    mark = session.get(CaseSeen, (staff.id, complaint_id), with_for_update=True)
    if mark is None:
        session.add(
            CaseSeen(
                staff_id=staff.id, complaint_id=complaint_id, last_notice_id=highest, seen_at=now
            )
        )
    elif mark.last_notice_id < highest:
        mark.last_notice_id, mark.seen_at = highest, now
    session.flush()
    return True


def _flags(levels: ServiceLevels, now: dt.datetime, where: Any) -> Any:
    """A subquery of complaints matching ``where`` with 0/1 flags ``overdue`` and ``soon``
    (any clock due within the due-soon days), each condition evaluated once per row."""
    return (
        select(
            Complaint.id.label("id"),
            Complaint.assigned_to_id.label("assigned_to_id"),
            case((overdue_condition(levels, now), 1), else_=0).label("overdue"),
            case((due_by_condition(levels, soon_limit(levels, now)), 1), else_=0).label("soon"),
        )
        .where(where)
        .subquery()
    )


def _my_cases(
    session: Session, staff: Staff, levels: ServiceLevels, now: dt.datetime
) -> tuple[list[DeskCase], int]:
    mine = and_(Complaint.assigned_to_id == staff.id, Complaint.state.in_(sorted(DESK_STATES)))
    total = session.scalar(select(func.count()).select_from(Complaint).where(mine)) or 0
    # The page's ids first (narrow, indexed), then the deadline flags for those rows only.
    ids = list(
        session.scalars(
            select(Complaint.id)
            .where(mine)
            .order_by(Complaint.received_at, Complaint.id)
            .limit(MY_CASES_LIMIT)
        )
    )
    flags = _flags(levels, now, Complaint.id.in_(ids))
    rows = session.execute(
        select(
            Complaint.id,
            Complaint.reference,
            Complaint.state,
            Complaint.received_at,
            flags.c.overdue,
            flags.c.soon,
        )
        .join(flags, flags.c.id == Complaint.id)
        .order_by(Complaint.received_at, Complaint.id)
    ).all()
    cases = [DeskCase(r[0], r[1], r[2], r[3], bool(r[4]), bool(r[5]) and not r[4]) for r in rows]
    return cases, int(total)


def workload(session: Session, *, levels: ServiceLevels, now: dt.datetime) -> list[Workload]:
    """Open cases, overdue and due soon per investigator and supervisor (everyone who may be
    assigned, also with no cases), and the unassigned ones; one grouped query."""
    flags = _flags(levels, now, Complaint.state.in_(sorted(OPEN_STATES)))
    rows = session.execute(
        select(
            flags.c.assigned_to_id,
            func.count(),
            func.sum(flags.c.overdue),
            func.sum(case((and_(flags.c.soon == 1, flags.c.overdue == 0), 1), else_=0)),
        ).group_by(flags.c.assigned_to_id)
    ).all()
    counts = {r[0]: (int(r[1]), int(r[2] or 0), int(r[3] or 0)) for r in rows}
    people = session.execute(
        select(Staff.id, Staff.name, Staff.email, Staff.is_active, Staff.role).order_by(
            Staff.name, Staff.email
        )
    ).all()
    result: list[Workload] = []
    for person in people:
        held = counts.pop(person.id, None)
        assignable = person.role in (StaffRole.INVESTIGATOR, StaffRole.SUPERVISOR)
        if held is None and not (assignable and person.is_active):
            continue
        result.append(Workload(person.id, person.name or person.email, *(held or (0, 0, 0))))
    unassigned = counts.pop(None, (0, 0, 0))
    result.append(Workload(None, "", *unassigned))
    return result


def waiting_appeals(session: Session) -> list[WaitingAppeal]:
    """Review requests not decided yet, oldest first."""
    rows = session.execute(
        select(Complaint.id, Complaint.reference, Appeal.requested_at)
        .join(Appeal, Appeal.complaint_id == Complaint.id)
        .where(Appeal.state == AppealState.REQUESTED)
        .order_by(Appeal.requested_at, Appeal.id)
    ).all()
    return [WaitingAppeal(r[0], r[1], r[2]) for r in rows]


def desk(
    session: Session,
    staff: Staff,
    *,
    levels: ServiceLevels,
    now: dt.datetime,
    collect_first: bool = True,
) -> Desk:
    """Build ``staff``'s desk, first collecting new notices (which commits) unless
    ``collect_first`` is False (the caller collected recently: a passed deadline or a failed
    message then shows up on a later load — nothing is lost, it only comes later)."""
    if collect_first:
        collect(session, now=now, levels=levels)
    _no_jit(session)
    news, truncated = _news(session, staff)
    mine, total = _my_cases(session, staff, levels, now)
    team = (
        tuple(workload(session, levels=levels, now=now))
        if has_permission(staff.role, Permission.CASE_ASSIGN)
        else None
    )
    appeals = (
        tuple(waiting_appeals(session))
        if has_permission(staff.role, Permission.APPEAL_DECIDE)
        else None
    )
    return Desk(tuple(news), truncated, tuple(mine), total, team, appeals)


def notice_for_state(
    session: Session, complaint_id: int, state: CaseState, *, now: dt.datetime
) -> None:
    """Add the notice a workflow move into ``state`` deserves, if any (withdrawn, review
    requested); called by ``caserules.move`` in the move's transaction."""
    kinds = {
        CaseState.WITHDRAWN: NoticeKind.WITHDRAWN,
        CaseState.APPEAL_REQUESTED: NoticeKind.APPEAL_REQUESTED,
    }
    if state in kinds:
        add_notice(session, complaint_id, kinds[state], now=now)


__all__: Sequence[str] = [
    "ACKNOWLEDGE",
    "DESK_STATES",
    "CaseNews",
    "Desk",
    "DeskCase",
    "NoticeKind",
    "Workload",
    "add_notice",
    "case_news",
    "collect",
    "desk",
    "mark_seen",
    "notice_for_state",
    "waiting_appeals",
    "workload",
]
