"""Find a case, correct it, reissue its access code, and the resident's contact page, in Debian
Chromium: axe-core (WCAG 2.1 A/AA) on every page and state, the search by keyboard, and the new
access code working on the status page while the old one does not."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy.orm import Session

from portal.vocabulary import StaffRole
from tests.browser import assert_accessible
from tests.conftest import LiveServer
from tests.portal.search_support import file_case
from tests.portal.staff_support import browser_sign_in, create_staff

pytestmark = pytest.mark.e2e


def test_find_correct_and_reissue_then_the_resident_corrects_contacts(
    live_server: LiveServer, db: Session, browser: Any
) -> None:
    filed = file_case(
        db, name="Inés Calderón", phone="555 010 3344", location="Oak Street by the school"
    )
    create_staff(db, StaffRole.INTAKE, email="ivy@oversight.example", name="Ivy Intake")
    staff = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = staff.new_page()
    page.set_default_timeout(10_000)
    browser_sign_in(page, live_server.url, "ivy@oversight.example")

    # Find the case by the caller's phone number, typed with the keyboard.
    page.goto(live_server.url + "/staff/search")
    assert_accessible(page, "search page")
    page.focus("#q")
    page.keyboard.type("(555) 010-3344")
    page.keyboard.press("Enter")
    page.wait_for_selector("caption")
    assert "1 case found" in page.locator("caption").inner_text()
    assert "phone number" in page.locator("tbody").inner_text()
    assert_accessible(page, "search results")
    page.goto(live_server.url + "/staff/search?q=-school")
    assert_accessible(page, "search with a problem")

    # Correct the location; a missing reason first.
    page.goto(live_server.url + "/staff/search?q=calderon")
    page.get_by_role("link", name=filed.reference).click()
    page.get_by_role("link", name="Correct details and see the correction history").click()
    assert_accessible(page, "correction page")
    page.fill("#case-incident_location", "Elm Street by the library")
    page.get_by_role("button", name="Save the incident details").click()
    page.wait_for_selector("#error-summary")
    assert page.input_value("#case-incident_location") == "Elm Street by the library"
    assert_accessible(page, "correction page with an error")
    page.fill("#case-reason", "The caller corrected the street")
    page.get_by_role("button", name="Save the incident details").click()
    page.wait_for_selector(".flash")
    assert "Oak Street by the school" in page.locator("#history ~ *").first.inner_text()
    assert_accessible(page, "correction page after a correction")

    # Reissue the access code after checking identity by phone.
    page.goto(live_server.url + f"/staff/cases/{filed.id}/access-code")
    assert_accessible(page, "reissue form")
    page.check("#method-0")
    page.check("#delivery-0")
    page.get_by_role("button", name="Issue a new access code").click()
    code = page.locator(".access-code code").inner_text()
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", code)
    assert_accessible(page, "new access code shown once")
    staff.close()

    # The resident: the old code fails, the new one opens the complaint.
    resident = browser.new_context(viewport={"width": 390, "height": 844}, locale="es-ES")
    page = resident.new_page()
    page.set_default_timeout(10_000)
    page.goto(live_server.url + "/status")
    page.fill("#reference", filed.reference)
    page.fill("#access_code", filed.code)
    page.press("#access_code", "Enter")
    page.wait_for_selector("#error-summary")
    page.fill("#reference", filed.reference)
    page.fill("#access_code", code)
    page.press("#access_code", "Enter")
    page.wait_for_selector("#current-status")
    page.get_by_role("link", name="Corregir mis datos de contacto").click()
    assert page.input_value("#phone") == "555 010 3344"
    assert_accessible(page, "contact page in Spanish")
    page.fill("#email", "sin-arroba")
    page.get_by_role("button", name="Guardar mis datos de contacto").click()
    page.wait_for_selector("#error-summary")
    assert_accessible(page, "contact page with an error")
    page.fill("#email", "ines@example.org")
    page.get_by_role("button", name="Guardar mis datos de contacto").click()
    page.wait_for_selector(".flash")
    assert "Hemos actualizado sus datos de contacto" in page.locator(".flash").inner_text()
    resident.close()
