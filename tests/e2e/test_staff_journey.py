"""The back office in Debian Chromium, against the real server (gunicorn) on both databases.

The issue's journey: a supervisor signs in with TOTP, screens a new online complaint and assigns
it; the investigator records two allegations with recommended findings and submits them; the
supervisor records the final findings and closes the case; the complainant sees the closure on
the status page in Spanish and asks for a review (the appeal) through the status page's form.
axe-core checks every staff page on the way, and a second test visits the remaining staff pages
(intake form, directory, reports, the commissioner's anonymized pages).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Agency, Allegation, Appeal, Complaint
from portal.services.intake import (
    ComplainantInfo,
    OfficerReport,
    Submission,
    file_complaint,
)
from portal.vocabulary import (
    AllegationCategory,
    AppealState,
    CaseState,
    Channel,
    Discipline,
    Finding,
    StaffRole,
)
from tests.browser import assert_accessible, assert_valid_html
from tests.conftest import LiveServer
from tests.portal.staff_support import browser_sign_in, create_staff

pytestmark = pytest.mark.e2e

ACCESS_CODE_KEY = "test-access-code-key"  # the live server's key (tests/conftest.py)


def _online_complaint(db: Session) -> tuple[int, str, str]:
    """A resident's online complaint in Spanish, filed through the intake service."""
    filed = file_complaint(
        db,
        Submission(
            narrative="El agente me empujó contra el coche y me insultó.",
            district="D03",
            categories=(AllegationCategory.FORCE, AllegationCategory.DISCOURTESY),
            officers=(OfficerReport(description="Agente alto, bigote gris"),),
            complainant=ComplainantInfo(name="Ana Ruiz", language="es"),
            consent=True,
        ),
        channel=Channel.ONLINE,
        entered_by=None,
        now=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5),
        access_code_key=ACCESS_CODE_KEY,
        idempotency_key=None,
    )
    assert filed.access_code is not None
    return filed.complaint_id, filed.reference, filed.access_code


def _staff_page(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def _submit(page: Any, action_suffix: str) -> str:
    """Submit the case-page form whose action ends with ``action_suffix``; return the flash."""
    page.locator(f"form[action$='{action_suffix}'] button[type=submit]").click()
    page.wait_for_load_state()
    flash = page.locator(".flash").first
    return str(flash.inner_text())


def test_supervisor_investigator_and_complainant_journey(
    live_server: LiveServer, db: Session, browser: Any
) -> None:
    create_staff(db, StaffRole.SUPERVISOR, email="dana@oversight.example", name="Dana Reyes")
    create_staff(db, StaffRole.INVESTIGATOR, email="ivy@oversight.example", name="Ivy Chen")
    complaint_id, reference, access_code = _online_complaint(db)
    case_url = f"{live_server.url}/staff/cases/{complaint_id}"

    # --- the supervisor screens and assigns ------------------------------------------------
    dana = _staff_page(browser)
    browser_sign_in(dana, live_server.url, "dana@oversight.example")
    assert_accessible(dana, "staff home")
    dana.get_by_role("link", name="Case queue").first.click()
    dana.wait_for_url(re.compile(r"/staff/cases$"))
    assert_accessible(dana, "case queue")
    dana.get_by_role("link", name=reference).click()
    dana.wait_for_url(re.compile(rf"/staff/cases/{complaint_id}$"))
    assert "Ana Ruiz" in dana.locator("main").inner_text()
    assert_accessible(dana, "case page, received")
    dana.check("#screen-outcome-0")  # investigate
    assert _submit(dana, "/screen") == "Screening decision recorded: Investigate."
    dana.select_option("#assign-assignee", label="Ivy Chen (investigator)")
    assert _submit(dana, "/assign") == "Assigned to Ivy Chen."
    assert_accessible(dana, "case page, investigation")

    # --- the investigator records two allegations with recommended findings -----------------
    ivy = _staff_page(browser)
    browser_sign_in(ivy, live_server.url, "ivy@oversight.example")
    ivy.goto(live_server.url + "/staff/cases?mine=y")
    ivy.get_by_role("link", name=reference).click()
    for category in ("force", "discourtesy"):
        ivy.select_option("#allegation-involved", label="Officer 1")
        ivy.select_option("#allegation-category", value=category)
        assert _submit(ivy, "/allegations").startswith("Allegation added")
    for allegation, finding in (
        ("Force — Officer 1", "sustained"),
        ("Discourtesy — Officer 1", "not_sustained"),
    ):
        ivy.select_option("#recommend-allegation", label=allegation)
        ivy.select_option("#recommend-finding", value=finding)
        assert _submit(ivy, "/recommend").startswith("Recommended finding recorded")
    assert _submit(ivy, "/submit-findings") == "Findings submitted for review."
    assert_accessible(ivy, "case page, findings review (investigator)")

    # --- the supervisor decides and closes -------------------------------------------------
    dana.goto(case_url)
    assert_accessible(dana, "case page, findings review (supervisor)")
    dana.select_option("#decide-allegation", label="Force — Officer 1")
    dana.select_option("#decide-finding", value="sustained")
    dana.select_option("#decide-discipline", value="written_reprimand")
    assert _submit(dana, "/decide") == "Final finding recorded: Sustained."
    dana.select_option("#decide-allegation", label="Discourtesy — Officer 1")
    dana.select_option("#decide-finding", value="not_sustained")
    assert _submit(dana, "/decide") == "Final finding recorded: Not sustained."
    assert _submit(dana, "/close") == (
        "The case is closed. The complainant was sent the closure letter."
    )
    assert_accessible(dana, "case page, closed")

    db.rollback()  # a fresh read (SQLite keeps a snapshot per transaction)
    db.expire_all()
    closed = db.get(Complaint, complaint_id)
    assert closed is not None and closed.state is CaseState.CLOSED
    findings = {
        a.category: (a.recommended_finding, a.finding, a.recommended_discipline)
        for a in db.scalars(select(Allegation).where(Allegation.complaint_id == complaint_id))
    }
    assert findings == {
        AllegationCategory.FORCE: (
            Finding.SUSTAINED,
            Finding.SUSTAINED,
            Discipline.WRITTEN_REPRIMAND,
        ),
        AllegationCategory.DISCOURTESY: (Finding.NOT_SUSTAINED, Finding.NOT_SUSTAINED, None),
    }

    # --- the complainant sees the closure in Spanish and asks for a review -----------------
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="es-ES")
    ana = context.new_page()
    ana.set_default_timeout(10_000)
    ana.goto(live_server.url + "/status")
    assert ana.locator("html").get_attribute("lang") == "es"
    ana.fill("#reference", reference)
    ana.fill("#access_code", access_code)
    ana.get_by_role("button", name="Consultar mi queja").click()
    ana.wait_for_load_state()
    status_text = ana.locator("main").inner_text()
    assert "Cerrada" in status_text
    assert "Hemos terminado nuestro trabajo sobre su queja." in status_text
    ana.get_by_role("link", name="Pedir una revisión").click()
    ana.wait_for_url(re.compile(r"/status/review$"))
    ana.fill("textarea[name=reason]", "Nadie habló con mi testigo.")
    ana.locator("form[action$='/status/review'] button[type=submit]").click()
    ana.wait_for_url(re.compile(r"/status/view$"))
    assert "Revisión de la decisión solicitada" in ana.locator("main").inner_text()
    context.close()

    db.rollback()  # a fresh read (SQLite keeps a snapshot per transaction)
    db.expire_all()
    appeal = db.scalars(select(Appeal).where(Appeal.complaint_id == complaint_id)).one()
    assert appeal.state is AppealState.REQUESTED
    assert appeal.reason == "Nadie habló con mi testigo."
    # The supervisor sees the appeal waiting on the case page.
    dana.goto(case_url)
    assert "Nadie habló con mi testigo." in dana.locator("main").inner_text()
    assert dana.locator(f"form[action$='/staff/appeals/{appeal.id}/decide']").count() == 1
    assert_accessible(dana, "case page, appeal requested")
    dana.context.close()
    ivy.context.close()


def test_other_staff_pages_are_accessible(
    live_server: LiveServer, db: Session, browser: Any
) -> None:
    create_staff(db, StaffRole.SUPERVISOR, email="sam@oversight.example", name="Sam Supervisor")
    create_staff(db, StaffRole.COMMISSIONER, email="cora@oversight.example", name="Cora")
    db.add(Agency(name="Tenant Legal Aid", contact="555 0100", handles="Housing"))
    db.commit()
    complaint_id, _reference, _code = _online_complaint(db)

    sam = _staff_page(browser)
    browser_sign_in(sam, live_server.url, "sam@oversight.example")
    sam.goto(live_server.url + "/staff/intake")
    assert_accessible(sam, "staff intake form")
    sam.get_by_role("button", name="Enter the complaint").click()
    sam.wait_for_selector(".error-summary")
    assert_accessible(sam, "staff intake form with errors")
    sam.select_option("#channel", value="phone")
    sam.fill("#narrative", "Caller reports an officer shouted at her.")
    sam.check("#consent")
    sam.get_by_role("button", name="Enter the complaint").click()
    sam.wait_for_url(re.compile(r"/staff/intake/\d+/entered$"))
    assert sam.locator("#access-code").count() == 1
    assert_accessible(sam, "complaint entered")
    sam.goto(live_server.url + "/staff/cases?status=all&sort=reference&dir=desc&channel=phone")
    assert_accessible(sam, "filtered queue")
    sam.goto(live_server.url + "/staff/agencies")
    assert_accessible(sam, "referral directory")
    sam.get_by_role("link", name="Edit Tenant Legal Aid").click()
    # The click only starts the navigation: axe must wait for the new page (it once ran while
    # the document was being replaced and found none).
    sam.wait_for_url(re.compile(r"/staff/agencies/\d+$"))
    sam.wait_for_load_state()
    assert_accessible(sam, "edit agency")
    sam.goto(live_server.url + "/staff/reports")
    assert_accessible(sam, "trend report")
    # Decline the online complaint, so the commissioner has a closed case to look at.
    sam.goto(f"{live_server.url}/staff/cases/{complaint_id}")
    sam.check("#screen-outcome-3")  # decline
    sam.fill("#screen-reason", "Outside our jurisdiction (federal officers).")
    assert _submit(sam, "/screen") == "Screening decision recorded: Decline."
    sam.context.close()

    cora = _staff_page(browser)
    browser_sign_in(cora, live_server.url, "cora@oversight.example")
    cora.goto(live_server.url + "/staff/closed")
    assert_accessible(cora, "closed cases (commissioner)")
    cora.get_by_role("link", name=f"Case {complaint_id}").click()
    main = cora.locator("main").inner_text()
    assert "Ana Ruiz" not in main and "empujó" not in main
    assert_accessible(cora, "closed case (commissioner)")
    cora.goto(live_server.url + "/staff/reports/aggregate")
    assert_accessible(cora, "aggregate report")
    cora.context.close()


def test_back_office_pages_are_valid_html(app: Any, db: Session, tmp_path: Any) -> None:
    """The Nu HTML Checker finds no error on the queue, case pages (every form), intake,
    directory, reports and the commissioner's pages."""
    from tests.portal.casework_support import make_complaint
    from tests.portal.staff_support import sign_in_session

    supervisor = create_staff(db, StaffRole.SUPERVISOR)
    commissioner = create_staff(db, StaffRole.COMMISSIONER)
    db.add(Agency(name="Tenant Legal Aid", contact="555 0100", handles="Housing"))
    states = (
        CaseState.RECEIVED,
        CaseState.INVESTIGATION,
        CaseState.FINDINGS_REVIEW,
        CaseState.EARLY_RESOLUTION,
        CaseState.APPEAL_REQUESTED,
    )
    cases = {
        state: make_complaint(
            db, state=state, categories=(AllegationCategory.FORCE, AllegationCategory.BIAS)
        )
        for state in states
    }
    db.flush()
    appealed = cases[CaseState.APPEAL_REQUESTED]
    db.add(
        Appeal(
            complaint_id=appealed.id,
            requested_at=dt.datetime.now(dt.UTC),
            reason="Please look again.",
            state=AppealState.REQUESTED,
        )
    )
    db.commit()
    staff = app.test_client()
    sign_in_session(staff, supervisor)
    pages: dict[str, str] = {}
    pages["queue"] = staff.get("/staff/cases?status=all&sort=state&dir=desc").get_data(as_text=True)
    for state, complaint in cases.items():
        pages[f"case_{state.value}"] = staff.get(f"/staff/cases/{complaint.id}").get_data(
            as_text=True
        )
    pages["intake"] = staff.get("/staff/intake").get_data(as_text=True)
    pages["intake_errors"] = staff.post("/staff/intake", data={"narrative": ""}).get_data(
        as_text=True
    )
    pages["directory"] = staff.get("/staff/agencies").get_data(as_text=True)
    pages["directory_error"] = staff.post("/staff/agencies", data={"name": ""}).get_data(
        as_text=True
    )
    pages["agency"] = staff.get("/staff/agencies/1").get_data(as_text=True)
    pages["report"] = staff.get("/staff/reports").get_data(as_text=True)
    oversight = app.test_client()
    sign_in_session(oversight, commissioner)
    pages["closed"] = oversight.get("/staff/closed").get_data(as_text=True)
    pages["closed_case"] = oversight.get(f"/staff/closed/{appealed.id}").get_data(as_text=True)
    pages["aggregate"] = oversight.get("/staff/reports/aggregate").get_data(as_text=True)
    assert_valid_html(pages, tmp_path)
