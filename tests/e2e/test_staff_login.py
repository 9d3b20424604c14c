"""A staff member signs in with password + TOTP in Chromium, keyboard only; axe-core finds no
WCAG 2.1 A/AA violation on the sign-in, two-factor, enrolment and administration pages."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pyotp
import pytest
from sqlalchemy.orm import Session

from portal.services import audit
from portal.services import staff as service
from portal.vocabulary import StaffRole
from tests.browser import assert_accessible, assert_valid_html
from tests.conftest import LiveServer
from tests.portal.staff_support import PASSWORD, TOTP_SECRET, browser_sign_in, create_staff

pytestmark = pytest.mark.e2e


def tab_to(page: Any, element_id: str, limit: int = 40) -> None:
    """Press Tab until the element with ``element_id`` has focus (fail after ``limit`` presses)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"#{element_id} is not reachable with the Tab key")


def test_staff_signs_in_with_password_and_totp_keyboard_only(
    live_server: LiveServer, db: Session, page: Any
) -> None:
    staff = create_staff(db, StaffRole.SUPERVISOR, email="dana@oversight.example", name="Dana")
    page.goto(live_server.url + "/staff/")
    assert "/staff/auth/sign-in" in page.url
    assert_accessible(page, "sign-in")
    tab_to(page, "email")
    page.keyboard.type(staff.email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/staff/auth/two-factor$"))
    assert_accessible(page, "two-factor")
    tab_to(page, "code")
    page.keyboard.type(pyotp.TOTP(TOTP_SECRET).now())
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/staff/$"))
    assert page.locator("h1").inner_text() == "Staff home"
    assert "Dana" in page.locator("main").inner_text()
    assert_accessible(page, "staff home")
    refused = page.goto(live_server.url + "/staff/admin/staff")  # a supervisor is no admin
    assert refused.status == 403
    assert_accessible(page, "refused page")
    page.goto(live_server.url + "/staff/")
    # Sign out with the keyboard too (a POST form with its CSRF token).
    page.locator("button.staff-signout").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/staff/auth/sign-in"))
    assert "You are signed out" in page.locator("main").inner_text()


def test_wrong_password_page_is_accessible(live_server: LiveServer, page: Any) -> None:
    page.goto(live_server.url + "/staff/auth/sign-in")
    page.fill("#email", "someone@oversight.example")
    page.fill("#password", "not the password")
    page.keyboard.press("Enter")
    page.wait_for_selector(".error-summary")
    assert "Sign-in failed" in page.locator(".error-summary").inner_text()
    assert_accessible(page, "sign-in with error")


def test_enrolment_pages_are_accessible(live_server: LiveServer, db: Session, page: Any) -> None:
    account, temporary = service.add_staff(
        db,
        email="new@oversight.example",
        role=StaffRole.INTAKE,
        actor_id=None,
        now=dt.datetime.now(dt.UTC),
    )
    db.commit()
    page.goto(live_server.url + "/staff/auth/sign-in")
    page.fill("#email", account.email)
    page.fill("#password", temporary)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/staff/auth/enrol$"))
    # The QR code image loads (a real PNG of a visible size) and the key is there as text.
    size = page.evaluate(
        "(() => { const i = document.querySelector('img.qr'); "
        "return [i.complete, i.naturalWidth]; })()"
    )
    assert size[0] and size[1] > 100
    secret = page.locator("#setup-key").inner_text().replace(" ", "")
    assert_accessible(page, "enrolment")
    page.fill("#new_password", "a passphrase of my own")
    page.fill("#confirm_password", "a passphrase of my own")
    page.fill("#code", pyotp.TOTP(secret).now())
    page.keyboard.press("Enter")
    page.wait_for_selector(".recovery-codes")
    assert page.locator(".recovery-codes li").count() == 10
    assert_accessible(page, "recovery codes")


def test_admin_pages_are_accessible(live_server: LiveServer, db: Session, page: Any) -> None:
    admin = create_staff(db, StaffRole.ADMIN, email="root@oversight.example")
    create_staff(db, StaffRole.INVESTIGATOR)
    audit.record(
        db,
        actor_id=admin.id,
        action="complaint.view",
        object_type="complaint",
        object_id=3,
        now=dt.datetime.now(dt.UTC),
    )
    db.commit()
    browser_sign_in(page, live_server.url, admin.email)
    # Twice in a row (another device): the helper gives the second sign-in a fresh code.
    second = page.context.browser.new_context().new_page()
    browser_sign_in(second, live_server.url, admin.email)
    second.context.close()
    page.goto(live_server.url + "/staff/admin/staff")
    assert_accessible(page, "staff accounts")
    page.fill("#email", "added@oversight.example")
    page.select_option("#role", "investigator")
    page.locator("form[action$='/admin/staff'] button[type=submit]").press("Enter")
    page.wait_for_selector(".secret")
    assert_accessible(page, "temporary password")
    page.goto(live_server.url + "/staff/admin/audit")
    assert "staff.add" in page.locator("table").inner_text()
    assert_accessible(page, "audit trail")
    page.goto(live_server.url + "/staff/admin/audit?date_from=not-a-date")
    assert_accessible(page, "audit trail with an error")
    page.goto(live_server.url + "/staff/account")
    assert_accessible(page, "your account")
    page.fill("#pw-current", "not my password")
    page.locator("#pw-current").press("Enter")
    page.wait_for_selector(".field-error")
    assert_accessible(page, "your account with an error")


def test_staff_pages_are_valid_html(app: Any, db: Session, tmp_path: Any) -> None:
    """The Nu HTML Checker finds no error on any page of sign-in and administration."""
    from tests.portal.staff_support import sign_in_session, totp_now

    pages: dict[str, str] = {}
    client = app.test_client()
    pages["sign_in"] = client.get("/staff/auth/sign-in").get_data(as_text=True)
    wrong = {"email": "x@oversight.example", "password": "wrong"}
    pages["sign_in_error"] = client.post("/staff/auth/sign-in", data=wrong).get_data(as_text=True)
    staff = create_staff(db, StaffRole.INTAKE)
    client.post("/staff/auth/sign-in", data={"email": staff.email, "password": PASSWORD})
    pages["two_factor"] = client.get("/staff/auth/two-factor").get_data(as_text=True)
    client.post("/staff/auth/two-factor", data={"code": totp_now()})
    pages["home"] = client.get("/staff/").get_data(as_text=True)
    pages["forbidden"] = client.get("/staff/admin/audit").get_data(as_text=True)
    new, temporary = service.add_staff(
        db,
        email="n@oversight.example",
        role=StaffRole.INTAKE,
        actor_id=None,
        now=dt.datetime.now(dt.UTC),
    )
    db.commit()
    enrol = app.test_client()
    enrol.post("/staff/auth/sign-in", data={"email": new.email, "password": temporary})
    html = enrol.get("/staff/auth/enrol").get_data(as_text=True)
    pages["enrol"] = html
    secret = re.search(r'id="setup-key"[^>]*>([^<]*)<', html)
    assert secret
    done = enrol.post(
        "/staff/auth/enrol",
        data={
            "code": pyotp.TOTP(secret.group(1).replace(" ", "")).now(),
            "new_password": "a passphrase of my own",
            "confirm_password": "a passphrase of my own",
        },
    )
    pages["recovery_codes"] = done.get_data(as_text=True)
    admin = create_staff(db, StaffRole.ADMIN)
    admin_client = app.test_client()
    sign_in_session(admin_client, admin)
    pages["staff_list"] = admin_client.get("/staff/admin/staff").get_data(as_text=True)
    added = admin_client.post(
        "/staff/admin/staff", data={"email": "a2@oversight.example", "role": "intake"}
    )
    pages["temporary_password"] = added.get_data(as_text=True)
    pages["audit"] = admin_client.get("/staff/admin/audit").get_data(as_text=True)
    pages["audit_error"] = admin_client.get("/staff/admin/audit?date_from=x").get_data(as_text=True)
    pages["account"] = admin_client.get("/staff/account").get_data(as_text=True)
    pages["account_error"] = admin_client.post(
        "/staff/account/password", data={"pw-current": "x", "pw-new": "y", "pw-confirm": "z"}
    ).get_data(as_text=True)
    assert_valid_html(pages, tmp_path)
