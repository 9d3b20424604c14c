"""The "Letters to print" page and the case page's contact section in Debian Chromium: axe WCAG
2.1 AA before and after marking letters printed, a phone call recorded with the keyboard alone
(first with a mistake, whose page is checked too), and the Nu HTML Checker on every page (also a
commissioner's closed case, its calls' numbers masked)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Activity, Complaint, OutboxMessage
from portal.services import calls, investigation, letters
from portal.vocabulary import (
    CallDirection,
    CallOutcome,
    CallParty,
    CaseState,
    ContactMethod,
    OutboxStatus,
    StaffRole,
)
from tests.browser import assert_accessible, assert_valid_html
from tests.conftest import LiveServer
from tests.portal.casework_support import make_complaint
from tests.portal.staff_support import browser_sign_in, create_staff, sign_in_session

pytestmark = pytest.mark.e2e


def _seed(db: Session) -> tuple[Complaint, Complaint]:
    """A closed case whose complainant gets a letter, and an open one with a phone number, one
    call and a letter and an email on the way."""
    now = dt.datetime.now(dt.UTC)
    supervisor = create_staff(db, StaffRole.SUPERVISOR, email="boss@oversight.example")
    closed = make_complaint(db, state=CaseState.EARLY_RESOLUTION, now=now - dt.timedelta(days=9))
    closed.complainants[0].postal_address = "12 Calle Mayor\nSpringfield, IL 62701"
    open_case = make_complaint(
        db, state=CaseState.EARLY_RESOLUTION, now=now - dt.timedelta(days=3), language="es"
    )
    person = open_case.complainants[0]
    person.phone, person.contact_method = "555 010 0199", ContactMethod.PHONE
    person.postal_address = "4 Elm Street\nSpringfield, IL 62702"
    db.commit()
    investigation.close(db, closed.id, actor=supervisor, now=now - dt.timedelta(hours=2))
    investigation.close(db, open_case.id, actor=supervisor, now=now - dt.timedelta(hours=1))
    calls.record_call(
        db,
        open_case.id,
        direction=CallDirection.MADE,
        party=CallParty.COMPLAINANT,
        number="555 010 0199",
        occurred_at=now - dt.timedelta(minutes=30),
        outcome=CallOutcome.NO_ANSWER,
        note="Rang twice.",
        actor=supervisor,
        now=now,
    )
    db.commit()
    return closed, open_case


def test_letters_and_calls_are_accessible_and_work_by_keyboard(
    live_server: LiveServer, db: Session, browser: Any
) -> None:
    closed, open_case = _seed(db)
    create_staff(db, StaffRole.INTAKE, email="clerk@oversight.example", name="Clerk")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    browser_sign_in(page, live_server.url, "clerk@oversight.example")
    page.goto(live_server.url + "/staff/letters")
    main = page.locator("main").inner_text()
    assert closed.reference in main and open_case.reference in main
    assert_accessible(page, "letters to print")
    # Keyboard only: focus "Mark the selected letters printed" by tabbing, then press Enter.
    target = page.get_by_role("button", name="Mark the selected letters printed")
    for _ in range(60):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            break
    else:
        pytest.fail("could not reach the button with Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Marked printed: 2 letters." in page.locator(".flash").first.inner_text()
    assert "No letters are waiting to be printed." in page.locator("main").inner_text()
    assert_accessible(page, "letters after marking them printed")

    page.goto(f"{live_server.url}/staff/cases/{open_case.id}")
    contact = page.locator("section[aria-labelledby=contact]").inner_text()
    assert "Rang twice." in contact and "No answer" in contact
    assert re.search(r"Printed, not mailed yet", contact)
    assert_accessible(page, "case page with its contact section")
    page.locator("#call-number").fill("call me")
    page.locator("#call-outcome").select_option("reached")
    page.locator("#call-note").fill("She will send photos.")
    page.locator("#call-note").focus()
    page.keyboard.press("Tab")  # to "Record the call"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Enter the phone number with digits" in page.locator(".field--error").inner_text()
    assert page.locator("#call-note").input_value() == "She will send photos."
    assert_accessible(page, "call form with an error")
    page.locator("#call-number").fill("555 010 0199")
    with page.expect_navigation():
        page.locator("#call-number").press("Enter")
    assert "Phone call recorded: Reached." in page.locator(".flash").first.inner_text()
    context.close()
    db.rollback()
    outcomes = db.scalars(select(Activity.call_outcome).order_by(Activity.id)).all()
    assert [o.value for o in outcomes if o] == ["no_answer", "reached"]
    assert {m.status for m in db.scalars(select(OutboxMessage))} == {OutboxStatus.PRINTED}


def test_letters_and_case_pages_are_valid_html(app: Any, db: Session, tmp_path: Any) -> None:
    closed, open_case = _seed(db)
    clerk = create_staff(db, StaffRole.INTAKE)
    first = db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).first()
    assert first is not None
    letters.mark_letters(db, [first.id], mailed=True, actor=clerk, now=dt.datetime.now(dt.UTC))
    db.commit()
    client = app.test_client()
    sign_in_session(client, clerk)
    error = client.post(
        f"/staff/cases/{open_case.id}/calls",
        data={"call-direction": "made", "call-party": "complainant", "call-number": "x"},
    )
    assert error.status_code == 400
    pages = {
        "letters": client.get("/staff/letters").get_data(as_text=True),
        "case": client.get(f"/staff/cases/{open_case.id}").get_data(as_text=True),
        "call_error": error.get_data(as_text=True),
    }
    commissioner = app.test_client()
    sign_in_session(commissioner, create_staff(db, StaffRole.COMMISSIONER))
    pages["closed_case"] = commissioner.get(f"/staff/closed/{open_case.id}").get_data(as_text=True)
    assert closed.reference in pages["letters"] and "•••• 99" in pages["closed_case"]
    assert "1 mailed letter" in pages["letters"]
    assert_valid_html(pages, tmp_path)
