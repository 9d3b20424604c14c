"""The records pages in Debian Chromium with axe (WCAG 2.1 AA): the records schedule, the case
page's records section, a legal hold set through its form (with the error page on the way), and
the erasure page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy.orm import Session

from portal.vocabulary import StaffRole
from tests.browser import assert_accessible
from tests.conftest import LiveServer
from tests.portal.records_support import complainants_of, personal_case
from tests.portal.staff_support import browser_sign_in, create_staff

pytestmark = pytest.mark.e2e


def test_records_pages_are_accessible_and_a_hold_can_be_set(
    live_server: LiveServer, db: Session, browser: Any, tmp_path: Any
) -> None:
    now = dt.datetime.now(dt.UTC)
    uploads = tmp_path / "live-instance" / "uploads"
    due = personal_case(db, uploads, "Due", closed_at=now - dt.timedelta(days=6 * 366))
    personal_case(db, uploads, "Soon", closed_at=now - dt.timedelta(days=6 * 365 - 20))
    [person] = complainants_of(db, due.id)
    db.commit()
    create_staff(db, StaffRole.SUPERVISOR, email="rita@oversight.example", name="Rita")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    browser_sign_in(page, live_server.url, "rita@oversight.example")

    page.goto(live_server.url + "/staff/records")
    assert due.reference in page.locator("#due-caption").locator("..").inner_text()
    assert_accessible(page, "records schedule")
    page.get_by_role("link", name=due.reference).click()
    page.wait_for_url(f"**/staff/cases/{due.id}#records")
    assert "Not on legal hold." in page.locator("main").inner_text()
    assert_accessible(page, "case page with its records section")

    page.get_by_role("link", name="Put this case on legal hold").click()
    page.get_by_role("button", name="Put on legal hold").click()  # no reason: the error page
    assert "Give the reason." in page.locator(".error-summary").inner_text()
    assert_accessible(page, "legal hold form with an error")
    page.fill("#reason", "Litigation: Doe v City")
    page.get_by_role("button", name="Put on legal hold").click()
    page.wait_for_selector(".flash")
    assert "On legal hold" in page.locator("main").inner_text()

    page.goto(live_server.url + f"/staff/cases/{due.id}/complainants/{person.id}/erase")
    assert "This case is on legal hold" in page.locator("main").inner_text()
    assert_accessible(page, "erasure page")
    context.close()
