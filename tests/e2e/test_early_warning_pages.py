"""The early-warning and officer-match pages in Debian Chromium: axe WCAG 2.1 AA, a match
confirmed with the keyboard alone, and the Nu HTML Checker on every page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Allegation, InvolvedOfficer, Officer
from portal.vocabulary import AllegationCategory, CaseState, Finding, StaffRole
from tests.browser import assert_accessible, assert_valid_html
from tests.conftest import LiveServer
from tests.portal.casework_support import make_complaint
from tests.portal.staff_support import browser_sign_in, create_staff, sign_in_session

pytestmark = pytest.mark.e2e


def _seed(db: Session) -> tuple[Officer, Officer]:
    """A roster officer with four recent allegations and an imported namesake with one."""
    roster = Officer(
        first_name="Pat",
        last_name="Rivera",
        badge_number="0123",
        unit="North",
        source="roster",
        source_id="r-1",
    )
    imported = Officer(
        first_name="P",
        last_name="Rivera",
        badge_number="123",
        unit="North",
        source="ppd-history",
        source_id="h-1",
    )
    db.add_all([roster, imported])
    db.flush()
    now = dt.datetime.now(dt.UTC)
    for days, officer, category in (
        (3, roster, AllegationCategory.FORCE),
        (20, roster, AllegationCategory.FORCE),
        (60, roster, AllegationCategory.DISCOURTESY),
        (200, roster, AllegationCategory.BIAS),
        (90, imported, AllegationCategory.FORCE),
    ):
        complaint = make_complaint(
            db, now=now - dt.timedelta(days=days), state=CaseState.INVESTIGATION
        )
        involved = InvolvedOfficer(officer_id=officer.id, is_unknown=False)
        complaint.officers.append(involved)
        complaint.allegations.append(
            Allegation(category=category, involved_officer=involved, finding=Finding.SUSTAINED)
        )
    db.commit()
    return roster, imported


def test_early_warning_pages_are_accessible_and_work_by_keyboard(
    live_server: LiveServer, db: Session, browser: Any
) -> None:
    roster, imported = _seed(db)
    create_staff(db, StaffRole.SUPERVISOR, email="sam@oversight.example", name="Sam")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    browser_sign_in(page, live_server.url, "sam@oversight.example")
    page.goto(live_server.url + "/staff/early-warning")
    assert "Pat Rivera" in page.locator("main").inner_text()
    assert_accessible(page, "early warning list")
    page.get_by_role("link", name="Pat Rivera").click()
    page.wait_for_url(f"**/staff/early-warning/officers/{roster.id}")
    assert_accessible(page, "early warning officer")
    page.goto(live_server.url + "/staff/officers/matches")
    assert_accessible(page, "officer matches")
    # Keyboard only: focus the "Same officer" button by tabbing, then press Enter.
    target = page.locator("form[action$='/officers/matches'] button[value=confirm]")
    assert target.inner_text().startswith("Same officer")
    for _ in range(80):
        page.keyboard.press("Tab")
        if target.evaluate("b => b === document.activeElement"):
            break
    else:
        pytest.fail("the Same officer button cannot be reached with Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector(".flash")
    assert "1 complaint involvements moved" in page.locator(".flash").first.inner_text()
    assert_accessible(page, "officer matches after a decision")
    context.close()
    db.rollback()
    owners = set(db.scalars(select(InvolvedOfficer.officer_id)).all())
    assert imported.id not in owners and roster.id in owners


def test_early_warning_pages_are_valid_html(app: Any, db: Session, tmp_path: Any) -> None:
    roster, _ = _seed(db)
    supervisor = create_staff(db, StaffRole.SUPERVISOR)
    client = app.test_client()
    sign_in_session(client, supervisor)
    pages = {
        "early_warning": client.get("/staff/early-warning").get_data(as_text=True),
        "officer": client.get(f"/staff/early-warning/officers/{roster.id}").get_data(as_text=True),
        "matches": client.get("/staff/officers/matches").get_data(as_text=True),
    }
    assert "Pat Rivera" in pages["early_warning"]
    assert_valid_html(pages, tmp_path)
