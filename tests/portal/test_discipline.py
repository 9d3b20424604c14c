"""Recommended and imposed discipline kept apart; the imposed one recorded or corrected after
closure, with the day it was decided, by staff who decide cases, audited (SQLite and
PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from portal.models import Allegation, AuditEntry, Complaint, Staff
from portal.services import discipline, investigation
from portal.services.casework import CaseworkError
from portal.services.reports import trend_report
from portal.vocabulary import AllegationCategory, CaseState, Discipline, Finding, StaffRole
from tests.portal.backoffice_support import audit_entries
from tests.portal.casework_support import T0, make_complaint

DAY = dt.timedelta(days=1)


def _in_review(db: Session) -> Complaint:
    complaint = make_complaint(
        db,
        state=CaseState.FINDINGS_REVIEW,
        categories=(AllegationCategory.FORCE, AllegationCategory.DISCOURTESY),
    )
    for allegation in complaint.allegations:
        allegation.recommended_finding = Finding.SUSTAINED
    db.commit()
    return complaint


def _closed_with_recommendation(db: Session, supervisor: Staff) -> Complaint:
    complaint = _in_review(db)
    force, rude = complaint.allegations
    investigation.decide_allegation(
        db,
        force.id,
        finding=Finding.SUSTAINED,
        discipline=Discipline.SUSPENSION,
        suspension_days=10,
        actor=supervisor,
        now=T0,
    )
    investigation.decide_allegation(
        db, rude.id, finding=Finding.NOT_SUSTAINED, discipline=None, actor=supervisor, now=T0
    )
    investigation.close(db, complaint.id, actor=supervisor, now=T0 + DAY)
    db.commit()
    return complaint


def test_findings_review_records_the_recommendation_and_leaves_the_imposed_pending(
    db: Session, make_staff: Callable[..., Staff]
) -> None:
    supervisor = make_staff(StaffRole.SUPERVISOR)
    complaint = _closed_with_recommendation(db, supervisor)
    force, rude = complaint.allegations
    assert (force.recommended_discipline, force.recommended_suspension_days) == (
        Discipline.SUSPENSION,
        10,
    )
    assert (force.discipline, force.suspension_days) == (Discipline.PENDING, None)
    assert rude.recommended_discipline is None and rude.discipline is None


def test_imposed_discipline_is_recorded_and_corrected_after_closure(
    db: Session, make_staff: Callable[..., Staff]
) -> None:
    supervisor = make_staff(StaffRole.SUPERVISOR)
    complaint = _closed_with_recommendation(db, supervisor)
    force, rude = complaint.allegations
    months_later = T0 + 120 * DAY
    discipline.record_imposed(
        db,
        force.id,
        discipline=Discipline.WRITTEN_REPRIMAND,
        suspension_days=None,
        decided_on=(T0 + 100 * DAY).date(),
        actor=supervisor,
        now=months_later,
    )
    db.commit()
    assert complaint.state is CaseState.CLOSED
    assert force.discipline is Discipline.WRITTEN_REPRIMAND
    assert force.recommended_discipline is Discipline.SUSPENSION  # untouched
    assert force.discipline_decided_on == (T0 + 100 * DAY).date()
    assert force.discipline_recorded_by_id == supervisor.id
    # The department changes its mind: corrected, and both changes are in the audit trail.
    discipline.record_imposed(
        db,
        force.id,
        discipline=Discipline.SUSPENSION,
        suspension_days=3,
        decided_on=(T0 + 110 * DAY).date(),
        actor=supervisor,
        now=months_later + DAY,
    )
    db.commit()
    entries = audit_entries(db, discipline.IMPOSED)
    assert [(e.before, e.after) for e in entries] == [
        (
            {"discipline": "pending", "discipline_decided_on": None},
            {"discipline": "written_reprimand", "discipline_decided_on": "2025-06-11"},
        ),
        (
            {
                "discipline": "written_reprimand",
                "suspension_days": None,
                "discipline_decided_on": "2025-06-11",
            },
            {
                "discipline": "suspension",
                "suspension_days": 3,
                "discipline_decided_on": "2025-06-21",
            },
        ),
    ]
    assert all(e.actor_id == supervisor.id for e in entries)
    # Not sustained: no discipline to impose.
    with pytest.raises(CaseworkError, match="only for a sustained"):
        discipline.record_imposed(
            db,
            rude.id,
            discipline=Discipline.TRAINING,
            suspension_days=None,
            decided_on=T0.date(),
            actor=supervisor,
            now=months_later,
        )


@pytest.mark.parametrize(
    ("imposed", "days", "decided_on", "message"),
    [
        (Discipline.TRAINING, None, None, "date the discipline was decided"),
        (Discipline.TRAINING, None, (T0 + 9 * DAY).date(), "cannot be in the future"),
        (Discipline.PENDING, None, T0.date(), "no decision date"),
        (Discipline.SUSPENSION, None, T0.date(), "suspension in days"),
        (Discipline.TRAINING, 4, T0.date(), "only for a suspension"),
    ],
)
def test_imposed_discipline_refuses_what_does_not_fit(
    db: Session,
    make_staff: Callable[..., Staff],
    imposed: Discipline,
    days: int | None,
    decided_on: dt.date | None,
    message: str,
) -> None:
    supervisor = make_staff(StaffRole.SUPERVISOR)
    complaint = _closed_with_recommendation(db, supervisor)
    with pytest.raises(CaseworkError, match=message):
        discipline.record_imposed(
            db,
            complaint.allegations[0].id,
            discipline=imposed,
            suspension_days=days,
            decided_on=decided_on,
            actor=supervisor,
            now=T0 + 2 * DAY,
        )


def test_only_staff_who_decide_cases_record_imposed_discipline(
    db: Session, make_staff: Callable[..., Staff]
) -> None:
    supervisor = make_staff(StaffRole.SUPERVISOR)
    complaint = _closed_with_recommendation(db, supervisor)
    for role in (StaffRole.INVESTIGATOR, StaffRole.INTAKE, StaffRole.COMMISSIONER):
        with pytest.raises(CaseworkError, match="not allowed"):
            discipline.record_imposed(
                db,
                complaint.allegations[0].id,
                discipline=Discipline.TRAINING,
                suspension_days=None,
                decided_on=T0.date(),
                actor=make_staff(role),
                now=T0 + 2 * DAY,
            )


def test_trend_report_counts_the_imposed_discipline(
    db: Session, make_staff: Callable[..., Staff]
) -> None:
    supervisor = make_staff(StaffRole.SUPERVISOR)
    complaint = _closed_with_recommendation(db, supervisor)
    report = trend_report(db, start=T0.date(), end=(T0 + DAY).date(), now=T0 + 2 * DAY)
    assert report.by_discipline == [("pending", 1)]
    discipline.record_imposed(
        db,
        complaint.allegations[0].id,
        discipline=Discipline.TERMINATION,
        suspension_days=None,
        decided_on=T0.date(),
        actor=supervisor,
        now=T0 + 2 * DAY,
    )
    db.commit()
    report = trend_report(db, start=T0.date(), end=(T0 + DAY).date(), now=T0 + 2 * DAY)
    assert report.by_discipline == [("termination", 1)]


def test_case_page_records_imposed_discipline_after_closure(
    db: Session, staff_client: Callable[..., tuple[FlaskClient, Staff]]
) -> None:
    client, supervisor = staff_client(StaffRole.SUPERVISOR)
    complaint = _closed_with_recommendation(db, supervisor)
    force = complaint.allegations[0]
    case_url, force_id = f"/staff/cases/{complaint.id}", force.id
    page = client.get(case_url).get_data(as_text=True)
    assert "Discipline imposed by the department" in page
    row = re.search(r"<th scope=\"row\">Force</th>(.*?)</tr>", page, re.S)
    assert row and "Suspension" in row.group(1) and "Pending" in row.group(1)
    response = client.post(
        f"{case_url}/imposed-discipline",
        data={
            "imposed-allegation": str(force_id),
            "imposed-discipline": "counseling",
            "imposed-decided_on": "2025-05-02",
        },
    )
    assert response.status_code == 303
    db.rollback()
    db.expire_all()
    stored = db.get(Allegation, force_id)
    assert stored is not None and stored.discipline is Discipline.COUNSELING
    assert stored.discipline_decided_on == dt.date(2025, 5, 2)
    db.rollback()  # end the read (SQLite)
    page = client.get(case_url).get_data(as_text=True)
    assert "decided 2025-05-02" in page
    # An investigator sees the values but gets no form, and the endpoint refuses them.
    investigator, _ivy = staff_client(StaffRole.INVESTIGATOR)
    assert "Discipline imposed by the department" not in investigator.get(case_url).get_data(
        as_text=True
    )
    refused = investigator.post(f"{case_url}/imposed-discipline", data={})
    assert refused.status_code == 403


def test_migration_keeps_existing_discipline_as_imposed_and_copies_the_recommendation(
    engine: Engine,
) -> None:
    """Downgrade to 0010, write allegations the old way, upgrade: the imposed value is what
    releases published before; the recommendation is a copy (not for 'pending')."""
    from alembic import command

    from portal.migrate import alembic_config

    config = alembic_config(engine.url.render_as_string(hide_password=False))
    command.downgrade(config, "0010")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO complaints (id, reference, channel, state, received_at, "
                "incident_date_is_approximate, narrative, reported_categories, "
                "preferred_language, created_at, updated_at) VALUES (900, 'LNT-MIGR-0001', "
                "'online', 'closed', '2024-01-02 10:00:00', false, '', '[]', 'en', "
                "'2024-01-02 10:00:00', '2024-01-02 10:00:00')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO allegations (complaint_id, category, finding, discipline, "
                "suspension_days, decided_at) VALUES "
                "(900, 'force', 'sustained', 'suspension', 5, '2024-03-04 15:30:00'), "
                "(900, 'bias', 'sustained', 'pending', NULL, '2024-03-04 15:30:00'), "
                "(900, 'other', 'unfounded', NULL, NULL, '2024-03-04 15:30:00')"
            )
        )
    command.upgrade(config, "head")
    with Session(engine) as session:
        rows = session.execute(
            select(
                Allegation.category,
                Allegation.discipline,
                Allegation.suspension_days,
                Allegation.recommended_discipline,
                Allegation.recommended_suspension_days,
                Allegation.discipline_decided_on,
            ).order_by(Allegation.id)
        ).all()
        assert [tuple(r) for r in rows] == [
            (AllegationCategory.FORCE, Discipline.SUSPENSION, 5, Discipline.SUSPENSION, 5,
             dt.date(2024, 3, 4)),
            (AllegationCategory.BIAS, Discipline.PENDING, None, None, None, None),
            (AllegationCategory.OTHER, None, None, None, None, None),
        ]  # fmt: skip
        assert session.scalar(select(AuditEntry.id)) is None
