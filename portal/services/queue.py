"""Read-only queries of the staff area: the case queue and the anonymized list of closed cases.

No Flask here. ``case_queue`` filters, sorts and paginates in SQL (LIMIT/OFFSET plus one COUNT):
it never loads every case. The deadline filters (overdue, due soon) take a SQL condition from
the caller (``deadline_condition``), so this module does not need to know how service levels are
counted (``portal.services.clocks`` does).

The commissioner's list (``closed_case_summaries``) selects only what a closed case may show
without its complainant: no reference number, names, contact details, narrative or location text.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Sequence
from enum import StrEnum
from typing import Generic, TypeVar

from sqlalchemy import ColumnElement, Select, Text, cast, exists, func, or_, select
from sqlalchemy.orm import Session

from portal.models import Allegation, Complaint, Referral, Staff
from portal.vocabulary import (
    CLOSED_STATES,
    AllegationCategory,
    CaseState,
    Channel,
    Discipline,
    Finding,
)

#: States in which a case is still being worked.
OPEN_STATES: frozenset[CaseState] = frozenset(set(CaseState) - CLOSED_STATES)
#: The queue's "open" group: every worked state, and a closed case whose appeal (review) still
#: waits for a decision — it must not drop out of sight until someone decides it.
QUEUE_OPEN_STATES: frozenset[CaseState] = OPEN_STATES | {CaseState.APPEAL_REQUESTED}
QUEUE_CLOSED_STATES: frozenset[CaseState] = CLOSED_STATES - {CaseState.APPEAL_REQUESTED}

DEFAULT_PER_PAGE = 25
T = TypeVar("T")
MAX_PER_PAGE = 100


class StatusGroup(StrEnum):
    """The status filter: a group of internal states, or one state (``CaseState`` values)."""

    OPEN = "open"
    CLOSED = "closed"
    ALL = "all"


class SortKey(StrEnum):
    """Columns the queue may be sorted by."""

    RECEIVED = "received"
    REFERENCE = "reference"
    STATE = "state"
    CHANNEL = "channel"
    DISTRICT = "district"
    UPDATED = "updated"


_SORT_COLUMNS = {
    SortKey.RECEIVED: Complaint.received_at,
    SortKey.REFERENCE: Complaint.reference,
    SortKey.STATE: Complaint.state,
    SortKey.CHANNEL: Complaint.channel,
    SortKey.DISTRICT: Complaint.district,
    SortKey.UPDATED: Complaint.updated_at,
}


@dataclasses.dataclass(frozen=True, slots=True)
class QueueFilters:
    """What the queue shows. Empty values mean "no filter".

    ``status`` is a ``StatusGroup`` value or a ``CaseState`` value; ``reference`` matches a
    whole or partial reference number, typed with or without dashes, any case.
    """

    status: str = StatusGroup.OPEN.value
    assigned_to_id: int | None = None
    channel: Channel | None = None
    district: str | None = None
    category: AllegationCategory | None = None
    reference: str | None = None
    referral_due_on: dt.date | None = None  # a referral without outcome to follow up by then
    sort: SortKey = SortKey.RECEIVED
    descending: bool = False
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE


@dataclasses.dataclass(frozen=True, slots=True)
class QueueRow:
    """One line of the queue (no complainant data: the queue is not an audited view)."""

    id: int
    reference: str
    received_at: dt.datetime
    updated_at: dt.datetime
    state: CaseState
    channel: Channel
    district: str | None
    assigned_to_name: str | None
    categories: tuple[str, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of results."""

    rows: Sequence[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """Number of pages (at least 1)."""
        return max(1, math.ceil(self.total / self.per_page))


def status_states(status: str) -> frozenset[CaseState] | None:
    """The states a status filter value stands for (None: every state).

    Raises ``ValueError`` for a value that is neither a group nor a state.
    """
    if status == StatusGroup.ALL:
        return None
    if status == StatusGroup.OPEN:
        return QUEUE_OPEN_STATES
    if status == StatusGroup.CLOSED:
        return QUEUE_CLOSED_STATES
    return frozenset({CaseState(status)})


def category_condition(category: AllegationCategory) -> ColumnElement[bool]:
    """Complaints with an allegation of ``category`` or where the complainant reported it.

    ``reported_categories`` is a JSON list of vocabulary values; each value is a distinct
    quoted word in its text, so a LIKE on the quoted value is exact on both databases.
    """
    return or_(
        exists().where(Allegation.complaint_id == Complaint.id, Allegation.category == category),
        cast(Complaint.reported_categories, Text).like(f'%"{category.value}"%'),
    )


def _reference_fragment(text: str) -> str:
    """The searchable form of a typed reference: upper case, only its letters and digits."""
    return "".join(ch for ch in text.upper() if ch.isascii() and ch.isalnum())


def _filtered(filters: QueueFilters, deadline_condition: ColumnElement[bool] | None) -> Select[int]:
    query = select(Complaint.id)
    states = status_states(filters.status)
    if states is not None:
        query = query.where(Complaint.state.in_(sorted(states)))
    if filters.assigned_to_id is not None:
        query = query.where(Complaint.assigned_to_id == filters.assigned_to_id)
    if filters.channel is not None:
        query = query.where(Complaint.channel == filters.channel)
    if filters.district:
        query = query.where(Complaint.district == filters.district)
    if filters.category is not None:
        query = query.where(category_condition(filters.category))
    if filters.reference:
        fragment = _reference_fragment(filters.reference)
        if fragment:
            stored = func.replace(Complaint.reference, "-", "")
            query = query.where(stored.like(f"%{fragment}%"))
    if filters.referral_due_on is not None:
        query = query.where(
            exists().where(
                Referral.complaint_id == Complaint.id,
                Referral.outcome_at.is_(None),
                Referral.follow_up_on <= filters.referral_due_on,
            )
        )
    if deadline_condition is not None:
        query = query.where(deadline_condition)
    return query


def case_queue(
    session: Session,
    filters: QueueFilters,
    *,
    deadline_condition: ColumnElement[bool] | None = None,
) -> Page[QueueRow]:
    """One page of the case queue for ``filters``, sorted, counted in SQL.

    ``deadline_condition`` (optional) is an extra SQL condition on ``Complaint`` (e.g. overdue).
    The page number is clamped to the pages that exist. Ties in the sort column are broken by id,
    so paging is stable.
    """
    per_page = min(max(1, filters.per_page), MAX_PER_PAGE)
    ids = _filtered(filters, deadline_condition)
    total = session.scalar(select(func.count()).select_from(ids.subquery())) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, filters.page), pages)
    column = _SORT_COLUMNS[filters.sort]
    order = (column.desc(), Complaint.id.desc()) if filters.descending else (column, Complaint.id)
    # Deferred join: page through the narrow (sort key, id) rows first, then read the few
    # columns the table shows for those ids only — a deep page never drags whole rows along.
    page_ids = list(
        session.scalars(ids.order_by(*order).offset((page - 1) * per_page).limit(per_page))
    )
    found = {
        row.id: row
        for row in session.execute(
            select(
                Complaint.id,
                Complaint.reference,
                Complaint.received_at,
                Complaint.updated_at,
                Complaint.state,
                Complaint.channel,
                Complaint.district,
                Complaint.reported_categories,
                Staff.name,
                Staff.email,
            )
            .outerjoin(Staff, Staff.id == Complaint.assigned_to_id)
            .where(Complaint.id.in_(page_ids))
        )
    }
    categories = _allegation_categories(session, page_ids)
    rows = []
    for complaint_id in page_ids:
        row = found[complaint_id]
        reported = set(row.reported_categories or [])
        rows.append(
            QueueRow(
                id=row.id,
                reference=row.reference,
                received_at=row.received_at,
                updated_at=row.updated_at,
                state=row.state,
                channel=row.channel,
                district=row.district,
                assigned_to_name=(row.name or row.email) or None,
                categories=tuple(sorted(reported | categories.get(row.id, set()))),
            )
        )
    return Page(rows=rows, total=total, page=page, per_page=per_page)


def _allegation_categories(session: Session, ids: list[int]) -> dict[int, set[str]]:
    """Allegation categories per complaint id, for the given ids only."""
    result: dict[int, set[str]] = {}
    if not ids:
        return result
    for complaint_id, category in session.execute(
        select(Allegation.complaint_id, Allegation.category)
        .where(Allegation.complaint_id.in_(ids))
        .distinct()
    ):
        result.setdefault(complaint_id, set()).add(category.value)
    return result


# --- commissioners: closed cases without complainant identity --------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class AllegationOutcome:
    """One allegation as a commissioner sees it: the officer only as a number on the case."""

    officer_number: int | None
    category: AllegationCategory
    recommended_finding: Finding | None
    finding: Finding | None
    discipline: Discipline | None
    suspension_days: int | None


@dataclasses.dataclass(frozen=True, slots=True)
class ClosedCaseSummary:
    """A closed case without anything that identifies the complainant.

    Dates are given as the month received and the date closed; no reference number (it is a
    credential), no names, contact details, narrative, location text, notes or attachments.
    """

    id: int
    received_month: str
    closed_on: dt.date | None
    state: CaseState
    channel: Channel
    district: str | None
    screening_outcome: str | None
    allegations: tuple[AllegationOutcome, ...]


def _closed_query() -> Select[Complaint]:
    return select(Complaint).where(Complaint.state.in_(sorted(CLOSED_STATES)))


def _summary(complaint: Complaint, allegations: list[Allegation]) -> ClosedCaseSummary:
    officer_numbers: dict[int, int] = {}
    outcomes = []
    for allegation in allegations:
        number = None
        if allegation.involved_officer_id is not None:
            number = officer_numbers.setdefault(
                allegation.involved_officer_id, len(officer_numbers) + 1
            )
        outcomes.append(
            AllegationOutcome(
                officer_number=number,
                category=allegation.category,
                recommended_finding=allegation.recommended_finding,
                finding=allegation.finding,
                discipline=allegation.discipline,
                suspension_days=allegation.suspension_days,
            )
        )
    return ClosedCaseSummary(
        id=complaint.id,
        received_month=complaint.received_at.strftime("%Y-%m"),
        closed_on=complaint.closed_at.date() if complaint.closed_at else None,
        state=complaint.state,
        channel=complaint.channel,
        district=complaint.district,
        screening_outcome=complaint.screening_outcome.value
        if complaint.screening_outcome
        else None,
        allegations=tuple(outcomes),
    )


def _allegations_of(session: Session, ids: list[int]) -> dict[int, list[Allegation]]:
    found: dict[int, list[Allegation]] = {i: [] for i in ids}
    if ids:
        for allegation in session.scalars(
            select(Allegation).where(Allegation.complaint_id.in_(ids)).order_by(Allegation.id)
        ):
            found[allegation.complaint_id].append(allegation)
    return found


def closed_case_summaries(
    session: Session, *, page: int = 1, per_page: int = DEFAULT_PER_PAGE
) -> Page[ClosedCaseSummary]:
    """Closed cases, most recently closed first, one page, without complainant identity."""
    per_page = min(max(1, per_page), MAX_PER_PAGE)
    total = session.scalar(select(func.count()).select_from(_closed_query().subquery())) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    complaints = session.scalars(
        _closed_query()
        .order_by(Complaint.closed_at.desc(), Complaint.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    allegations = _allegations_of(session, [c.id for c in complaints])
    rows = [_summary(c, allegations[c.id]) for c in complaints]
    return Page(rows=rows, total=total, page=page, per_page=per_page)


def closed_case_summary(session: Session, complaint_id: int) -> ClosedCaseSummary | None:
    """One closed case without complainant identity; None when missing or not closed."""
    complaint = session.scalar(_closed_query().where(Complaint.id == complaint_id))
    if complaint is None:
        return None
    return _summary(complaint, _allegations_of(session, [complaint.id])[complaint.id])
