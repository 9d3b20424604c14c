"""Survey answers on the case page and the lessons-learned page: counts per answer with small
counts withheld, comments only with enough responses and without contact details, audited
views, roles (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from portal.models import Staff, SurveyResponse
from portal.services import survey_report
from portal.vocabulary import CaseState, StaffRole
from tests.portal.backoffice_support import audit_entries
from tests.portal.casework_support import make_complaint

StaffClient = Callable[..., tuple[Any, Staff]]
AT = dt.datetime(2025, 4, 10, 9, tzinfo=dt.UTC)


def _answer(db: Session, *, ease: int | None, recommend: bool | None, comment: str | None) -> int:
    complaint = make_complaint(db, state=CaseState.CLOSED)
    complaint.closed_at = AT
    db.add(
        SurveyResponse(
            complaint_id=complaint.id, submitted_at=AT, ease=ease, kept_informed=4,
            treated_fairly=None, would_recommend=recommend, comment=comment,
        )
    )  # fmt: skip
    db.commit()
    return complaint.id


def test_redaction_and_withholding() -> None:
    text = "Call me on 555-123-4567 or mail jo.doe@example.org about LNT-7K3M-Q9XD, see www.x.org"
    assert survey_report.redact(text) == (
        "Call me on [removed] or mail [removed] about [removed], see [removed]"
    )
    # One small count alone would be recoverable from the total: the next smallest goes too.
    assert survey_report.withhold({"1": 2, "2": 6, "3": 9, "none": 0}, 5) == {
        "1": "<5",
        "2": "withheld",
        "3": 9,
        "none": 0,
    }
    assert survey_report.withhold({"1": 2, "2": 3, "3": 9}, 5) == {"1": "<5", "2": "<5", "3": 9}


def test_lessons_page_counts_and_comments(db: Session, staff_client: StaffClient) -> None:
    client, supervisor = staff_client(StaffRole.SUPERVISOR)
    for n in range(6):
        _answer(db, ease=5, recommend=True, comment=f"Clear letters {n}" if n < 2 else None)
    _answer(db, ease=1, recommend=False, comment="Nobody called me back on 0612345678.")
    summary = survey_report.survey_summary(db, start=dt.date(2025, 4, 1), end=dt.date(2025, 5, 1))
    assert summary.responses == 7
    # 1 resident said 1, 6 said 5: the 1 is "<5" and the 6 withheld (7 - 6 would give it away).
    assert summary.ratings["ease"] == {
        "1": "<5", "2": 0, "3": 0, "4": 0, "5": "withheld", "none": 0,
    }  # fmt: skip
    assert summary.ratings["kept_informed"]["4"] == 7
    assert summary.comments == [
        ("2025-04", "Clear letters 0"),
        ("2025-04", "Clear letters 1"),
        ("2025-04", "Nobody called me back on [removed]."),
    ]
    db.rollback()
    page = client.get("/staff/surveys?start=2025-04-01&end=2025-05-01").get_data(as_text=True)
    assert "7 responses" in page and "Nobody called me back on [removed]." in page
    assert "0612345678" not in page and "fewer than 5" in page
    assert [e.actor_id for e in audit_entries(db, survey_report.SURVEY_VIEW)] == [supervisor.id]
    # A period with fewer responses than the threshold: comments withheld.
    summary = survey_report.survey_summary(
        db, start=dt.date(2025, 4, 1), end=dt.date(2025, 5, 1), threshold=8
    )
    assert summary.comments is None
    # Roles: only staff who read cases and reports.
    for role in (StaffRole.ADMIN, StaffRole.INVESTIGATOR, StaffRole.COMMISSIONER):
        other, _ = staff_client(role)
        assert other.get("/staff/surveys").status_code == 403


def test_case_page_shows_the_answers(db: Session, staff_client: StaffClient) -> None:
    client, _ = staff_client(StaffRole.INVESTIGATOR)
    cid = _answer(db, ease=2, recommend=False, comment="The form was too long.")
    page = client.get(f"/staff/cases/{cid}").get_data(as_text=True)
    assert "Satisfaction survey" in page and "The form was too long." in page
    other = make_complaint(db, state=CaseState.INVESTIGATION)
    db.commit()
    assert "Not answered." in client.get(f"/staff/cases/{other.id}").get_data(as_text=True)
