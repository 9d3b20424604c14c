"""A staff member's own account page: change password, replace recovery codes."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import AuditEntry, Staff
from portal.vocabulary import StaffRole
from tests.portal.staff_support import PASSWORD, sign_in_session

NEW = "a brand new passphrase"


@pytest.fixture
def two_sessions(
    app: Flask, make_staff: Callable[..., Staff]
) -> tuple[FlaskClient, FlaskClient, Staff]:
    staff = make_staff(StaffRole.INVESTIGATOR)
    here, elsewhere = app.test_client(), app.test_client()
    sign_in_session(here, staff)
    sign_in_session(elsewhere, staff)
    return here, elsewhere, staff


def actions(db: Session) -> list[str]:
    db.rollback()
    return list(db.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_every_role_has_an_account_page(staff_client) -> None:
    for role in StaffRole:
        client, staff = staff_client(role)
        page = client.get("/staff/account")
        assert page.status_code == 200
        assert staff.email in page.get_data(as_text=True)


def test_change_password_needs_the_current_one(two_sessions, db: Session) -> None:
    here, elsewhere, _ = two_sessions
    wrong = here.post(
        "/staff/account/password",
        data={"pw-current": "not it", "pw-new": NEW, "pw-confirm": NEW},
    )
    assert wrong.status_code == 400
    assert "current password is not right" in wrong.get_data(as_text=True)
    short = here.post(
        "/staff/account/password",
        data={"pw-current": PASSWORD, "pw-new": "short", "pw-confirm": "short"},
    )
    assert short.status_code == 400
    assert elsewhere.get("/staff/").status_code == 200  # nothing changed
    assert "staff.password_changed" not in actions(db)


def test_change_password_ends_the_other_sessions_only(
    app: Flask, two_sessions, db: Session
) -> None:
    here, elsewhere, staff = two_sessions
    done = here.post(
        "/staff/account/password",
        data={"pw-current": PASSWORD, "pw-new": NEW, "pw-confirm": NEW},
    )
    assert done.status_code == 302
    assert here.get("/staff/account").status_code == 200
    assert elsewhere.get("/staff/").status_code == 302
    assert actions(db)[-1] == "staff.password_changed"
    fresh = app.test_client()
    old = fresh.post("/staff/auth/sign-in", data={"email": staff.email, "password": PASSWORD})
    assert old.status_code == 400
    new = fresh.post("/staff/auth/sign-in", data={"email": staff.email, "password": NEW})
    assert new.status_code == 302 and new.location.endswith("/two-factor")


def test_new_recovery_codes_replace_the_old_ones(app: Flask, two_sessions, db: Session) -> None:
    here, _, staff = two_sessions
    refused = here.post("/staff/account/recovery-codes", data={"rc-password": "wrong"})
    assert refused.status_code == 400
    first = here.post("/staff/account/recovery-codes", data={"rc-password": PASSWORD})
    old_codes = re.findall(r'<li class="secret">([^<]*)</li>', first.get_data(as_text=True))
    assert len(old_codes) == 10
    second = here.post("/staff/account/recovery-codes", data={"rc-password": PASSWORD})
    new_codes = re.findall(r'<li class="secret">([^<]*)</li>', second.get_data(as_text=True))
    assert len(new_codes) == 10 and not set(old_codes) & set(new_codes)
    account = here.get("/staff/account").get_data(as_text=True)
    assert re.search(r"Unused recovery codes</dt><dd>10<", account)

    def sign_in_with(code: str) -> int:
        client = app.test_client()
        client.post("/staff/auth/sign-in", data={"email": staff.email, "password": PASSWORD})
        return client.post("/staff/auth/two-factor", data={"code": code}).status_code

    assert sign_in_with(old_codes[0]) == 400
    assert sign_in_with(new_codes[0]) == 302
    assert actions(db).count("staff.recovery_codes_replaced") == 2
