"""Business-day clocks: weekends, holidays, due-soon and overdue edges, each case's clocks, and
the queue's SQL filters checked against the per-case clocks (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Activity, Complaint
from portal.services import clocks
from portal.services.clocks import ClockName, ClockState, ServiceLevels
from portal.vocabulary import ActivityKind, AllegationCategory, CaseState, Finding
from portal.workflow import Action, transition
from tests.portal.casework_support import make_complaint

D = dt.date
NO_HOLIDAYS: frozenset[dt.date] = frozenset()


def at(day: dt.date, hour: int = 12, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=dt.UTC)


# --- business days (expected dates worked out on a calendar) ---------------------------------


@pytest.mark.parametrize(
    ("start", "days", "holidays", "expected"),
    [
        (D(2025, 3, 3), 2, NO_HOLIDAYS, D(2025, 3, 5)),  # Mon + 2 = Wed
        (D(2025, 3, 7), 2, NO_HOLIDAYS, D(2025, 3, 11)),  # Fri + 2 = Tue (weekend skipped)
        (D(2025, 3, 7), 2, frozenset({D(2025, 3, 10)}), D(2025, 3, 12)),  # Monday holiday
        (D(2025, 3, 8), 1, NO_HOLIDAYS, D(2025, 3, 10)),  # started on Saturday
        (D(2025, 3, 3), 10, NO_HOLIDAYS, D(2025, 3, 17)),  # two whole weeks
        # Christmas and New Year's Day: Wed 24 Dec + 3 = Fri 26, Mon 29, Tue 30
        (D(2025, 12, 24), 3, frozenset({D(2025, 12, 25), D(2026, 1, 1)}), D(2025, 12, 30)),
        (D(2025, 12, 24), 5, frozenset({D(2025, 12, 25), D(2026, 1, 1)}), D(2026, 1, 2)),
        (D(2025, 3, 3), 0, NO_HOLIDAYS, D(2025, 3, 3)),
    ],
)
def test_add_business_days(
    start: dt.date, days: int, holidays: frozenset[dt.date], expected: dt.date
) -> None:
    assert clocks.add_business_days(start, days, holidays) == expected


def test_business_days_between() -> None:
    assert clocks.business_days_between(D(2025, 3, 7), D(2025, 3, 11), NO_HOLIDAYS) == 2
    assert clocks.business_days_between(D(2025, 3, 11), D(2025, 3, 7), NO_HOLIDAYS) == -2
    assert clocks.business_days_between(D(2025, 3, 7), D(2025, 3, 9), NO_HOLIDAYS) == 0


def test_service_levels_from_config() -> None:
    levels = ServiceLevels.from_config(
        {"SLA_SCREEN_DAYS": "7", "HOLIDAYS": "2025-07-04, 2025-12-25", "APPEAL_WINDOW_DAYS": 45}
    )
    assert levels.screen_days == 7
    assert levels.appeal_window_days == 45
    assert levels.acknowledge_days == 2  # default
    assert levels.holidays == {D(2025, 7, 4), D(2025, 12, 25)}
    with pytest.raises(ValueError, match="'July 4' is not an ISO date"):
        ServiceLevels.from_config({"HOLIDAYS": "July 4"})


# A 10-business-day clock started Monday 3 March is due Monday 17 March: due soon (2 business
# days) from Thursday 13th, still on time all of the 17th, overdue from Tuesday 18th.
@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (at(D(2025, 3, 12), 23, 59), ClockState.RUNNING),
        (at(D(2025, 3, 13), 0, 0), ClockState.DUE_SOON),
        (at(D(2025, 3, 17), 23, 59), ClockState.DUE_SOON),
        (at(D(2025, 3, 18), 0, 0), ClockState.OVERDUE),
    ],
)
def test_due_soon_and_overdue_edges(now: dt.datetime, expected: ClockState) -> None:
    levels = ServiceLevels()
    due = clocks.due_on(at(D(2025, 3, 3), 14), levels.screen_days, levels)
    assert due == D(2025, 3, 17)
    assert clocks.state_of(due, None, levels, now) is expected
    assert clocks.state_of(due, now, levels, now) is ClockState.MET


def test_a_holiday_moves_the_due_date_and_the_edges() -> None:
    levels = ServiceLevels(holidays=frozenset({D(2025, 3, 17)}))
    due = clocks.due_on(at(D(2025, 3, 3)), levels.screen_days, levels)
    assert due == D(2025, 3, 18)
    assert clocks.state_of(due, None, levels, at(D(2025, 3, 18), 20)) is ClockState.DUE_SOON
    assert clocks.state_of(due, None, levels, at(D(2025, 3, 19), 0)) is ClockState.OVERDUE


# --- a case's clocks ------------------------------------------------------------------------


def _by_name(items: list[clocks.Clock]) -> dict[ClockName, clocks.Clock]:
    return {c.name: c for c in items}


def test_new_case_runs_acknowledge_screen_and_update(db: Session) -> None:
    complaint = make_complaint(db, now=at(D(2025, 3, 3), 14))
    db.commit()
    result = _by_name(clocks.case_clocks(db, complaint, ServiceLevels(), at(D(2025, 3, 6), 9)))
    assert set(result) == {ClockName.ACKNOWLEDGE, ClockName.SCREEN, ClockName.UPDATE}
    assert result[ClockName.ACKNOWLEDGE].due_on == D(2025, 3, 5)
    assert result[ClockName.ACKNOWLEDGE].state is ClockState.OVERDUE
    assert result[ClockName.ACKNOWLEDGE].is_late
    assert result[ClockName.SCREEN].due_on == D(2025, 3, 17)
    assert result[ClockName.SCREEN].state is ClockState.RUNNING
    assert result[ClockName.UPDATE].due_on == D(2025, 4, 14)  # 30 business days


def test_clocks_met_on_time_and_late(db: Session) -> None:
    complaint = make_complaint(
        db, now=at(D(2025, 3, 3), 14), categories=(AllegationCategory.FORCE,)
    )
    transition(complaint, Action.ACKNOWLEDGE, actor_id=None, now=at(D(2025, 3, 4)))
    transition(complaint, Action.START_SCREENING, actor_id=None, now=at(D(2025, 3, 10)))
    transition(complaint, Action.SCREEN_INVESTIGATE, actor_id=None, now=at(D(2025, 3, 18)))
    db.commit()
    levels = ServiceLevels()
    result = _by_name(clocks.case_clocks(db, complaint, levels, at(D(2025, 3, 20))))
    ack, screen = result[ClockName.ACKNOWLEDGE], result[ClockName.SCREEN]
    assert (ack.state, ack.met_at, ack.is_late) == (ClockState.MET, at(D(2025, 3, 4)), False)
    assert (screen.state, screen.is_late) == (ClockState.MET, True)  # due 17th, decided 18th
    contact = result[ClockName.FIRST_CONTACT]
    assert contact.due_on == D(2025, 3, 25) and contact.state is ClockState.RUNNING
    assert result[ClockName.INVESTIGATE].due_on == clocks.add_business_days(
        D(2025, 3, 18), 90, NO_HOLIDAYS
    )
    # An interview with the complainant meets the first-contact clock.
    db.add(
        Activity(
            complaint_id=complaint.id,
            kind=ActivityKind.INTERVIEW_COMPLAINANT,
            occurred_on=D(2025, 3, 21),
            summary="Phone interview",
            created_at=at(D(2025, 3, 21)),
        )
    )
    db.commit()
    result = _by_name(clocks.case_clocks(db, complaint, levels, at(D(2025, 3, 28))))
    assert result[ClockName.FIRST_CONTACT].state is ClockState.MET
    assert result[ClockName.FIRST_CONTACT].met_at == at(D(2025, 3, 21))


def test_closed_case_has_no_running_clock(db: Session) -> None:
    complaint = make_complaint(db, now=at(D(2025, 3, 3)), categories=(AllegationCategory.BIAS,))
    for action in (Action.START_SCREENING, Action.SCREEN_INVESTIGATE):
        transition(complaint, action, actor_id=None, now=at(D(2025, 3, 4)))
    complaint.allegations[0].recommended_finding = Finding.NOT_SUSTAINED
    transition(complaint, Action.SUBMIT_FINDINGS, actor_id=None, now=at(D(2025, 5, 1)))
    complaint.allegations[0].finding = Finding.NOT_SUSTAINED
    transition(complaint, Action.CLOSE, actor_id=None, now=at(D(2025, 5, 2)))
    db.commit()
    result = clocks.case_clocks(db, complaint, ServiceLevels(), at(D(2026, 1, 1)))
    assert {c.name for c in result} == {
        ClockName.ACKNOWLEDGE,
        ClockName.SCREEN,
        ClockName.INVESTIGATE,
    }
    assert all(c.state is ClockState.MET for c in result)
    assert _by_name(result)[ClockName.INVESTIGATE].met_at == at(D(2025, 5, 1))


# --- the queue's SQL filters agree with the per-case clocks ---------------------------------


def _scenario(db: Session) -> list[Complaint]:
    """Cases in many states, received on different days around weekends."""
    cases: list[Complaint] = []
    for offset in range(0, 40, 4):
        received = at(D(2025, 3, 3) + dt.timedelta(days=offset), 10)
        plain = make_complaint(db, now=received)
        acked = make_complaint(db, now=received)
        transition(acked, Action.ACKNOWLEDGE, actor_id=None, now=received)
        investigated = make_complaint(db, now=received, categories=(AllegationCategory.FORCE,))
        transition(investigated, Action.START_SCREENING, actor_id=None, now=received)
        screened = received + dt.timedelta(days=2)
        transition(investigated, Action.SCREEN_INVESTIGATE, actor_id=None, now=screened)
        if offset % 2:
            db.add(
                Activity(
                    complaint_id=investigated.id,
                    kind=ActivityKind.INTERVIEW_COMPLAINANT,
                    occurred_on=screened.date(),
                    created_at=screened + dt.timedelta(days=1),
                )
            )
        referred = make_complaint(db, now=received)
        transition(referred, Action.START_SCREENING, actor_id=None, now=received)
        transition(referred, Action.SCREEN_REFER, actor_id=None, now=screened)
        closed = make_complaint(db, now=received)
        transition(closed, Action.WITHDRAW, actor_id=None, now=received)
        cases += [plain, acked, investigated, referred, closed]
    db.commit()
    return cases


@pytest.mark.parametrize(
    "levels",
    [
        ServiceLevels(),
        ServiceLevels(
            acknowledge_days=1,
            screen_days=3,
            first_contact_days=2,
            investigate_days=6,
            update_every_days=5,
            holidays=frozenset({D(2025, 3, 17), D(2025, 4, 1)}),
        ),
    ],
)
def test_sql_filters_match_the_clocks(db: Session, levels: ServiceLevels) -> None:
    cases = _scenario(db)
    seen_overdue = seen_soon = 0
    for day in range(0, 60, 3):
        now = at(D(2025, 3, 3) + dt.timedelta(days=day), 9)
        expected_overdue, expected_soon = set(), set()
        for complaint in cases:
            if complaint.received_at > now:
                continue
            states = {c.state for c in clocks.case_clocks(db, complaint, levels, now)}
            if ClockState.OVERDUE in states:
                expected_overdue.add(complaint.id)
            elif ClockState.DUE_SOON in states:
                expected_soon.add(complaint.id)
        ids = {c.id for c in cases if c.received_at <= now}
        overdue = (
            set(db.scalars(select(Complaint.id).where(clocks.overdue_condition(levels, now)))) & ids
        )
        soon = (
            set(db.scalars(select(Complaint.id).where(clocks.due_soon_condition(levels, now))))
            & ids
        )
        assert overdue == expected_overdue, now
        assert soon == expected_soon, now
        seen_overdue += len(overdue)
        seen_soon += len(soon)
    assert seen_overdue and seen_soon  # the scenario exercises both filters


# --- the public "what happens next" date ----------------------------------------------------


def test_expected_next_date(db: Session) -> None:
    config = {"SLA_SCREEN_DAYS": 10, "APPEAL_WINDOW_DAYS": 30, "HOLIDAYS": "2025-03-17"}
    complaint = make_complaint(db, now=at(D(2025, 3, 3)))
    assert clocks.expected_next_date(complaint, config, at(D(2025, 3, 4))) == D(2025, 3, 18)
    transition(complaint, Action.START_SCREENING, actor_id=None, now=at(D(2025, 3, 4)))
    transition(complaint, Action.SCREEN_REFER, actor_id=None, now=at(D(2025, 3, 5)))
    # Referred: the next update, 30 business days after the last one (the referral itself).
    assert clocks.expected_next_date(complaint, config, at(D(2025, 3, 6))) == D(2025, 4, 17)
    transition(complaint, Action.CLOSE, actor_id=None, now=at(D(2025, 4, 1)))
    assert complaint.state is CaseState.CLOSED
    assert clocks.expected_next_date(complaint, config, at(D(2025, 4, 2))) == D(2025, 5, 1)
    assert clocks.expected_next_date(complaint, config, at(D(2025, 5, 2))) is None
