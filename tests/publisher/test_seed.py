"""The synthetic case generator: realistic shape, consistent workflow, deterministic, fast."""

from __future__ import annotations

import datetime as dt
import re
import statistics
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from portal.cli import main
from portal.db import make_engine
from portal.migrate import upgrade
from portal.models import (
    Allegation,
    Attachment,
    CaseEvent,
    Complainant,
    Complaint,
    InternalNote,
    InvolvedOfficer,
    Officer,
    StatusEvent,
)
from portal.vocabulary import (
    CLOSED_STATES,
    PUBLIC_STATUS_OF,
    CaseState,
    ComplainantRole,
    Discipline,
    Finding,
    StatusEventKind,
)
from publisher.seed import SeedSummary, seed_cases

NOW = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)
N = 1500


@pytest.fixture
def seeded(engine: Engine) -> SeedSummary:
    """The test database with N seeded cases."""
    return seed_cases(engine, N, 42, now=NOW, progress=False)


def _count(db: Session, model: Any) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def test_summary_matches_what_is_in_the_database(seeded: SeedSummary, db: Session) -> None:
    assert _count(db, Complaint) == seeded.cases == N
    assert _count(db, Allegation) == seeded.allegations
    assert _count(db, Complainant) == seeded.complainants
    assert _count(db, Officer) == seeded.officers
    assert _count(db, StatusEvent) == seeded.status_events
    assert _count(db, CaseEvent) == seeded.case_events
    assert _count(db, InternalNote) == seeded.notes > 0
    assert _count(db, Attachment) == seeded.attachments > 0
    assert seeded.open_cases + seeded.closed_cases == N


def test_allegations_officers_and_districts_are_skewed_like_real_data(
    seeded: SeedSummary, db: Session
) -> None:
    per_case = Counter(db.scalars(select(Allegation.complaint_id)))
    assert len(per_case) == N  # every case has at least one allegation
    assert min(per_case.values()) >= 1 and max(per_case.values()) <= 6
    assert 2.2 <= statistics.mean(per_case.values()) <= 2.9

    # Repeat officers: a few officers collect many complaints, most have one or two.
    per_officer = Counter(
        db.scalars(
            select(InvolvedOfficer.officer_id).where(InvolvedOfficer.officer_id.is_not(None))
        )
    )
    counts = sorted(per_officer.values(), reverse=True)
    assert counts[0] >= 10 * statistics.median(counts)

    districts = Counter(db.scalars(select(Complaint.district)))
    assert set(districts) <= {f"D0{i}" for i in range(1, 9)}
    assert max(districts.values()) >= 2 * min(districts.values())
    categories = Counter(db.scalars(select(Allegation.category)))
    assert max(categories.values()) >= 5 * min(categories.values())


def test_dates_span_five_years_and_closing_follows_receipt(
    seeded: SeedSummary, db: Session
) -> None:
    rows = db.execute(select(Complaint.received_at, Complaint.closed_at, Complaint.state)).all()
    received = [r.received_at for r in rows]
    assert min(received) >= NOW - dt.timedelta(days=5 * 365 + 1)
    assert max(received) <= NOW
    assert max(received) - min(received) > dt.timedelta(days=4 * 365)
    days_to_close = []
    for received_at, closed_at, state in rows:
        if state in CLOSED_STATES:
            assert closed_at is not None and received_at <= closed_at <= NOW
            days_to_close.append((closed_at - received_at).days)
        else:
            assert closed_at is None
    # A long right tail: the slowest cases take many times the median.
    assert max(days_to_close) > 5 * statistics.median(days_to_close)
    assert 0.02 <= seeded.open_cases / N <= 0.3
    assert {CaseState.INVESTIGATION, CaseState.FINDINGS_REVIEW} <= {r.state for r in rows}


def test_findings_and_discipline_follow_the_vocabulary_rules(
    seeded: SeedSummary, db: Session
) -> None:
    rows = db.execute(
        select(Allegation.finding, Allegation.discipline, Complaint.state).join(Complaint)
    ).all()
    sustained = [r for r in rows if r.finding is Finding.SUSTAINED]
    assert sustained
    for finding, discipline, state in rows:
        if state not in CLOSED_STATES:
            assert finding is None and discipline is None
        elif finding is Finding.SUSTAINED:
            assert discipline not in (None, Discipline.NONE, Discipline.PENDING)
        elif finding is not None:
            assert discipline is Discipline.NONE
    assert len({r.discipline for r in sustained}) >= 4


def test_timelines_end_in_the_case_state(seeded: SeedSummary, db: Session) -> None:
    states = {cid: state for cid, state in db.execute(select(Complaint.id, Complaint.state))}
    last_public: dict[int, Any] = {}
    for complaint_id, status in db.execute(
        select(StatusEvent.complaint_id, StatusEvent.public_status)
        .where(StatusEvent.kind == StatusEventKind.STATUS_CHANGE)
        .order_by(StatusEvent.complaint_id, StatusEvent.created_at, StatusEvent.id)
    ):
        last_public[complaint_id] = status
    assert last_public == {cid: PUBLIC_STATUS_OF[state] for cid, state in states.items()}

    previous: dict[int, CaseState | None] = {}
    for complaint_id, from_state, to_state in db.execute(
        select(CaseEvent.complaint_id, CaseEvent.from_state, CaseEvent.to_state).order_by(
            CaseEvent.complaint_id, CaseEvent.at, CaseEvent.id
        )
    ):
        assert from_state == previous.get(complaint_id)  # a chain without gaps
        previous[complaint_id] = to_state
    assert previous == states


def test_personal_data_is_everywhere_the_anonymizer_must_look(
    seeded: SeedSummary, db: Session
) -> None:
    people = db.scalars(select(Complainant)).all()
    anonymous = [p for p in people if p.is_anonymous]
    assert anonymous and all(p.name is None and p.email is None for p in anonymous)
    assert any(p.role is ComplainantRole.ON_BEHALF and p.on_behalf_of for p in people)
    assert any(p.role is ComplainantRole.WITNESS for p in people)

    phone = re.compile(r"\(215\) 555-\d{4}")
    narratives = db.scalars(select(Complaint.narrative)).all()
    assert all(phone.search(n) for n in narratives)
    assert sum("@example.com" in n for n in narratives) > N / 2
    assert all(re.search(r"\d+ \w+ (St|Ave)", n) for n in narratives)
    notes = db.scalars(select(InternalNote.body)).all()
    assert all(phone.search(n) and re.search(r"\d{2}:\d{2}", n) for n in notes)
    officers = db.scalars(select(Officer)).all()
    assert all(o.first_name and o.last_name and o.badge_number and o.hired_on for o in officers)


def test_same_seed_same_cases_on_any_database(engine: Engine, tmp_path: Path) -> None:
    seed_cases(engine, 200, 7, now=NOW, progress=False)
    other_url = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    upgrade(other_url)
    other = make_engine(other_url)
    seed_cases(other, 200, 7, now=NOW, progress=False)
    different_url = f"sqlite:///{tmp_path / 'different.sqlite3'}"
    upgrade(different_url)
    different = make_engine(different_url)
    seed_cases(different, 200, 8, now=NOW, progress=False)

    def snapshot(bind: Engine) -> list[Any]:
        with bind.connect() as conn:
            return [
                conn.execute(select(*model.__table__.c).order_by(model.id)).all()
                for model in (Complaint, Allegation, Complainant, Officer, StatusEvent)
            ]

    assert snapshot(engine) == snapshot(other)
    assert snapshot(engine) != snapshot(different)
    other.dispose()
    different.dispose()


def test_seeding_again_adds_cases_and_the_portal_can_still_insert(
    engine: Engine, db: Session
) -> None:
    seed_cases(engine, 100, 1, now=NOW, progress=False)
    seed_cases(engine, 100, 1, now=NOW, progress=False)  # same seed: no unique clashes
    assert _count(db, Complaint) == 200
    # Explicit ids must not leave PostgreSQL's sequences behind.
    db.add(
        Complaint(
            reference="LNT-TEST-0001",
            channel="online",
            received_at=NOW,
            narrative="",
            reported_categories=[],
            created_at=NOW,
            updated_at=NOW,
        )
    )
    db.commit()
    assert _count(db, Complaint) == 201


def test_lantern_seed_command(database_url: str, db: Session) -> None:
    result = CliRunner().invoke(
        main,
        ["seed", "--cases", "60", "--seed", "3", "--now", "2020-06-30T12:00", "--no-progress"],
        env={"LANTERN_DATABASE_URL": database_url},
    )
    assert result.exit_code == 0, result.output
    assert "seeded 60 cases" in result.output
    assert _count(db, Complaint) == 60
    latest = db.scalar(select(func.max(Complaint.received_at)))
    assert latest is not None
    assert (
        dt.datetime(2019, 6, 1, tzinfo=dt.UTC)
        < latest
        <= dt.datetime(2020, 6, 30, 12, tzinfo=dt.UTC)
    )


def test_lantern_seed_rejects_a_bad_time(database_url: str) -> None:
    result = CliRunner().invoke(
        main,
        ["seed", "--cases", "5", "--now", "yesterday", "--no-progress"],
        env={"LANTERN_DATABASE_URL": database_url},
    )
    assert result.exit_code == 2
    assert "not an ISO 8601 time" in result.output


def test_naive_now_is_refused(engine: Engine) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        seed_cases(engine, 1, 1, now=dt.datetime(2026, 1, 1), progress=False)
