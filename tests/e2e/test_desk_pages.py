"""The desk (staff home), the case page with news and the imposed-discipline form, the
add-evidence page (also with an error) and the survey lessons page in Debian Chromium: axe WCAG
2.1 AA, a news item acknowledged with the keyboard alone, and the Nu HTML Checker on every
page."""

from __future__ import annotations

import datetime as dt
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from portal.models import Complaint, Staff, SurveyResponse
from portal.services import status
from portal.vocabulary import AllegationCategory, CaseState, Discipline, Finding, StaffRole
from tests.browser import assert_accessible, assert_valid_html
from tests.conftest import LiveServer
from tests.portal.casework_support import make_complaint
from tests.portal.staff_support import browser_sign_in, create_staff, sign_in_session

pytestmark = pytest.mark.e2e
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(200)


def _seed(db: Session, supervisor: Staff) -> tuple[int, int]:
    """An open case assigned to the supervisor with news, a closed one with a sustained
    allegation (recommendation recorded, imposed pending) and survey answers."""
    now = dt.datetime.now(dt.UTC)
    open_case = make_complaint(db, now=now - dt.timedelta(days=3), state=CaseState.INVESTIGATION)
    open_case.assigned_to_id = supervisor.id
    closed = make_complaint(
        db,
        now=now - dt.timedelta(days=60),
        state=CaseState.CLOSED,
        categories=(AllegationCategory.FORCE,),
    )
    closed.closed_at = now - dt.timedelta(days=5)
    allegation = closed.allegations[0]
    allegation.finding = allegation.recommended_finding = Finding.SUSTAINED
    allegation.recommended_discipline = Discipline.SUSPENSION
    allegation.recommended_suspension_days = 5
    allegation.discipline = Discipline.PENDING
    for n in range(6):
        answered = make_complaint(db, now=now - dt.timedelta(days=90), state=CaseState.CLOSED)
        db.add(
            SurveyResponse(
                complaint_id=answered.id, submitted_at=now - dt.timedelta(days=2), ease=4,
                kept_informed=n % 5 + 1, treated_fairly=3, would_recommend=n % 2 == 0,
                comment=f"Comment {n}",
            )
        )  # fmt: skip
    db.commit()
    status.add_information(db, open_case.id, text="A new witness.", now=now)
    return open_case.id, closed.id


def test_desk_pages_are_accessible_and_work_by_keyboard(
    live_server: LiveServer, db: Session, browser: Any
) -> None:
    sam = create_staff(db, StaffRole.SUPERVISOR, email="sam@oversight.example", name="Sam")
    open_id, closed_id = _seed(db, sam)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    browser_sign_in(page, live_server.url, "sam@oversight.example")
    page.goto(live_server.url + "/staff/")
    assert "The resident added information" in page.locator("main").inner_text()
    assert_accessible(page, "desk")
    # Keyboard only: Tab to "Mark as seen", press Enter.
    target = page.locator("form[action*='/desk/seen/'] button").first
    for _ in range(80):
        page.keyboard.press("Tab")
        if target.evaluate("b => b === document.activeElement"):
            break
    else:
        pytest.fail("Mark as seen cannot be reached with Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector(".flash")
    assert "Nothing new on your cases." in page.locator("main").inner_text()
    assert_accessible(page, "desk after acknowledging")
    page.goto(f"{live_server.url}/staff/cases/{closed_id}")
    assert_accessible(page, "closed case with the imposed-discipline form")
    page.goto(f"{live_server.url}/staff/cases/{open_id}/evidence")
    assert_accessible(page, "add evidence")
    page.goto(live_server.url + "/staff/surveys")
    assert "Comment 3" in page.locator("main").inner_text()
    assert_accessible(page, "survey lessons")
    context.close()


def test_desk_pages_are_valid_html(app: Any, db: Session, tmp_path: Path) -> None:
    supervisor = create_staff(db, StaffRole.SUPERVISOR)
    open_id, closed_id = _seed(db, supervisor)
    db.rollback()
    client = app.test_client()
    sign_in_session(client, supervisor)
    refused = client.post(
        f"/staff/cases/{open_id}/evidence",
        data={"files": [(BytesIO(EXE), "tool.exe")]},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 400
    pages = {
        "desk": client.get("/staff/").get_data(as_text=True),
        "case_with_news": client.get(f"/staff/cases/{open_id}").get_data(as_text=True),
        "closed_case": client.get(f"/staff/cases/{closed_id}").get_data(as_text=True),
        "evidence": client.get(f"/staff/cases/{open_id}/evidence").get_data(as_text=True),
        "evidence_error": refused.get_data(as_text=True),
        "surveys": client.get("/staff/surveys").get_data(as_text=True),
    }
    assert "New since you last looked" in pages["case_with_news"]
    assert "Discipline imposed by the department" in pages["closed_case"]
    assert_valid_html(pages, tmp_path)
    db.rollback()
    assert db.get(Complaint, open_id) is not None
