"""Signed-in staff for Flask-client tests of the /staff area.

The fixtures are available to every module under tests/portal (tests/portal/conftest.py
imports them); elsewhere import them from here. ::

    def test_queue(staff_client):
        client, staff = staff_client(StaffRole.INTAKE)   # a client signed in as a new intake
        assert client.get("/staff/cases").status_code == 200

- ``make_staff(role, email=None, name=None, password=PASSWORD, enrolled=True)`` creates an
  active account on the test database (argon2id hash of ``password``, TOTP secret ``TOTP_SECRET``
  confirmed) and returns the ``Staff`` (detached, ids usable).
- ``staff_client(role, **make_staff_kwargs)`` returns ``(client, staff)``: a new test client of
  ``app`` whose session is signed in as that staff member, exactly as after password + TOTP
  (``portal.auth.session.start``), so the guard lets it through. Each call gives its own client.
- ``sign_in_session(client, staff)`` signs an existing client in the same way.
- ``totp_now(secret)`` is the current six-digit code for a secret (pyotp).
- ``browser_sign_in(page, base_url, email)`` signs a Playwright page in through the real forms
  (password, then TOTP). A TOTP code is accepted once per account, so signing the same account
  in twice within 30 seconds needs the next code: this helper tracks that (it uses the next
  step's code, which the one-step drift window accepts, or waits for a fresh one).

CSRF is off in the default test config; tests that turn it on (``app_config`` fixture with
``WTF_CSRF_ENABLED: True``) take the token from a rendered form with
``tests.support.csrf_token``.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from typing import Any

import pyotp
import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from portal.models import Staff
from portal.vocabulary import StaffRole

PASSWORD = "correct horse battery staple 42"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
_counter = itertools.count(1)


def totp_now(secret: str = TOTP_SECRET) -> str:
    """The TOTP code for ``secret`` right now."""
    return pyotp.TOTP(secret).now()


_last_step: dict[str, int] = {}


def fresh_totp(account: str, secret: str = TOTP_SECRET) -> str:
    """A TOTP code for ``account`` (any key naming one account, e.g. server URL + email) that
    this test run has not used yet (see ``browser_sign_in``); may sleep up to 30 seconds."""
    import time

    totp = pyotp.TOTP(secret)
    while True:
        step = totp.timecode(dt.datetime.now(dt.UTC))
        last = _last_step.get(account, -1)
        for candidate in (step, step + 1):
            if candidate > last:
                _last_step[account] = candidate
                return totp.generate_otp(candidate)
        time.sleep(1)


def browser_sign_in(page: Any, base_url: str, email: str, password: str = PASSWORD) -> None:
    """Sign a Playwright ``page`` in as ``email`` (an enrolled ``create_staff`` account)."""
    import re

    page.goto(base_url + "/staff/auth/sign-in")
    page.fill("#email", email)
    page.fill("#password", password)
    page.press("#password", "Enter")
    page.wait_for_url(re.compile(r"/staff/auth/two-factor$"))
    page.fill("#code", fresh_totp(f"{base_url} {email}"))
    page.press("#code", "Enter")
    page.wait_for_url(re.compile(r"/staff/(?!auth/)"))


def create_staff(
    db: Session,
    role: StaffRole,
    *,
    email: str | None = None,
    name: str | None = None,
    password: str = PASSWORD,
    enrolled: bool = True,
    active: bool = True,
) -> Staff:
    """Insert and commit an account for ``role`` (see the module docstring); return it."""
    number = next(_counter)
    staff = Staff(
        email=email or f"{role.value}{number}@oversight.example",
        name=name if name is not None else f"Test {role.value.title()} {number}",
        role=role,
        password_hash=PasswordHasher().hash(password),
        totp_secret=TOTP_SECRET if enrolled else None,
        is_totp_enrolled=enrolled,
        is_active=active,
        failed_logins=0,
        session_version=1,
        created_at=dt.datetime.now(dt.UTC),
    )
    db.add(staff)
    db.commit()
    return staff


def sign_in_session(client: FlaskClient, staff: Staff, now: dt.datetime | None = None) -> None:
    """Give ``client`` the session a full sign-in (password + TOTP) of ``staff`` would give."""
    moment = (now or dt.datetime.now(dt.UTC)).timestamp()
    with client.session_transaction() as session:
        session.clear()
        session["staff"] = {
            "id": staff.id,
            "v": staff.session_version,
            "at": moment,
            "seen": moment,
        }


@pytest.fixture
def make_staff(db: Session) -> Callable[..., Staff]:
    """Factory: ``make_staff(role, **kwargs)`` → a committed, enrolled, active ``Staff``."""

    def factory(role: StaffRole, **kwargs: Any) -> Staff:
        return create_staff(db, role, **kwargs)

    return factory


@pytest.fixture
def staff_client(
    app: Flask, make_staff: Callable[..., Staff]
) -> Callable[..., tuple[FlaskClient, Staff]]:
    """Factory: ``staff_client(role, **make_staff_kwargs)`` → ``(signed-in client, staff)``."""

    def factory(role: StaffRole, **kwargs: Any) -> tuple[FlaskClient, Staff]:
        staff = make_staff(role, **kwargs)
        client = app.test_client()
        sign_in_session(client, staff)
        return client, staff

    return factory
