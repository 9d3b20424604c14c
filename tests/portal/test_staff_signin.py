"""Staff sign-in through the browser-facing routes: two factors, enrolment, sessions, sign-out."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import clock
from portal.models import AuditEntry, Staff
from portal.services import staff as service
from portal.vocabulary import StaffRole
from tests.portal.staff_support import PASSWORD, TOTP_SECRET, totp_now

SIGN_IN = "/staff/auth/sign-in"
TWO_FACTOR = "/staff/auth/two-factor"


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD, code: str | None = None):
    """Both steps; returns the response of the last one."""
    first = client.post(SIGN_IN, data={"email": email, "password": password})
    if first.status_code != 302 or not first.location.endswith(TWO_FACTOR):
        return first
    return client.post(TWO_FACTOR, data={"code": code or code_now()})


def code_now() -> str:
    """The TOTP code at the app's clock (patched in tests that move time)."""
    return pyotp.TOTP(TOTP_SECRET).at(clock.utcnow())


class Clock:
    """A settable clock patched into ``portal.clock.utcnow``."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock(dt.datetime.now(dt.UTC).replace(microsecond=0))
    monkeypatch.setattr(clock, "utcnow", fake)
    return fake


def test_sign_in_with_password_then_totp(client: FlaskClient, make_staff: Callable[..., Staff]):
    staff = make_staff(StaffRole.INVESTIGATOR, email="ivy@oversight.example")
    assert client.get("/staff/").status_code == 302
    first = client.post(SIGN_IN, data={"email": "IVY@oversight.example", "password": PASSWORD})
    assert first.status_code == 302 and first.location.endswith(TWO_FACTOR)
    # The password alone opens nothing.
    assert client.get("/staff/").location.startswith(SIGN_IN)
    second = client.post(TWO_FACTOR, data={"code": totp_now()})
    assert second.status_code == 302 and second.location == "/staff/"
    page = client.get("/staff/")
    assert page.status_code == 200
    assert staff.name in page.get_data(as_text=True)


def test_wrong_password_and_unknown_email_get_the_same_answer(
    client: FlaskClient, make_staff: Callable[..., Staff]
):
    make_staff(StaffRole.INTAKE, email="ann@oversight.example")
    wrong = client.post(SIGN_IN, data={"email": "ann@oversight.example", "password": "nope"})
    unknown = client.post(SIGN_IN, data={"email": "zed@oversight.example", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 400
    strip = re.compile(r'name="csrf_token"[^>]*>|value="[^"]*"')
    assert strip.sub("", wrong.get_data(as_text=True)) == strip.sub(
        "", unknown.get_data(as_text=True)
    )
    assert "Sign-in failed" in wrong.get_data(as_text=True)


def test_wrong_totp_is_refused(client: FlaskClient, make_staff: Callable[..., Staff]):
    staff = make_staff(StaffRole.INTAKE)
    code = totp_now()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    response = sign_in(client, staff.email, code=wrong)
    assert response.status_code == 400
    assert "not right" in response.get_data(as_text=True)
    assert client.get("/staff/").status_code == 302


def test_lockout_after_five_failures_then_unlock(
    client: FlaskClient, make_staff: Callable[..., Staff], fake_clock: Clock
):
    staff = make_staff(StaffRole.INTAKE)
    for _ in range(5):
        assert client.post(SIGN_IN, data={"email": staff.email, "password": "x"}).status_code == 400
    # Right password now: still refused, and the answer is the same as for a wrong one.
    refused = client.post(SIGN_IN, data={"email": staff.email, "password": PASSWORD})
    assert refused.status_code == 400
    fake_clock.advance(minutes=16)
    assert sign_in(client, staff.email).status_code == 302
    assert client.get("/staff/").status_code == 200


def test_failures_from_another_address_do_not_lock_the_staff_member_out(
    app: Flask, make_staff: Callable[..., Staff]
):
    staff = make_staff(StaffRole.INTAKE)
    stranger = app.test_client()
    stranger.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    for _ in range(6):
        guess = stranger.post(SIGN_IN, data={"email": staff.email, "password": "guess"})
        assert guess.status_code == 400
    # The stranger is now locked out even with the right password ...
    refused = stranger.post(SIGN_IN, data={"email": staff.email, "password": PASSWORD})
    assert refused.status_code == 400
    # ... and the staff member, at their own address, signs in as usual.
    owner = app.test_client()
    owner.environ_base["REMOTE_ADDR"] = "198.51.100.20"
    assert sign_in(owner, staff.email).status_code == 302
    assert owner.get("/staff/").status_code == 200


def test_wrong_codes_lock_the_account_and_say_so(
    client: FlaskClient, make_staff: Callable[..., Staff]
):
    staff = make_staff(StaffRole.INTAKE)
    client.post(SIGN_IN, data={"email": staff.email, "password": PASSWORD})
    wrong = f"{(int(code_now()) + 500_000) % 1_000_000:06d}"
    for _ in range(4):
        assert client.post(TWO_FACTOR, data={"code": wrong}).status_code == 400
    locked = client.post(TWO_FACTOR, data={"code": wrong})
    assert locked.status_code == 302 and locked.location.startswith(SIGN_IN)
    page = client.get(locked.location).get_data(as_text=True)
    assert "locked for 15 minutes" in page
    # The pending step is gone, and the right password no longer leads to the code step.
    assert client.get(TWO_FACTOR).status_code == 302
    again = client.post(SIGN_IN, data={"email": staff.email, "password": PASSWORD})
    assert again.status_code == 400


def test_disabled_account_is_refused(
    client: FlaskClient, make_staff: Callable[..., Staff], db: Session
):
    staff = make_staff(StaffRole.SUPERVISOR, active=False)
    response = client.post(SIGN_IN, data={"email": staff.email, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/staff/").status_code == 302


def test_disabling_ends_a_running_session(
    staff_client: Callable[..., tuple[FlaskClient, Staff]], db: Session
):
    client, staff = staff_client(StaffRole.INTAKE)
    assert client.get("/staff/").status_code == 200
    account = db.get(Staff, staff.id)
    assert account is not None
    service.disable_staff(db, account, actor_id=None, now=dt.datetime.now(dt.UTC))
    db.commit()
    assert client.get("/staff/").location.startswith(SIGN_IN)


def test_idle_timeout_and_absolute_lifetime(
    app: Flask, make_staff: Callable[..., Staff], fake_clock: Clock
):
    staff = make_staff(StaffRole.INTAKE)
    client = app.test_client()
    assert sign_in(client, staff.email).status_code == 302
    idle = app.config["STAFF_SESSION_MINUTES"]
    # Activity keeps the session alive past the idle limit...
    for _ in range(3):
        fake_clock.advance(minutes=idle - 1)
        assert client.get("/staff/").status_code == 200
    # ...but not an idle gap longer than it.
    fake_clock.advance(minutes=idle + 1)
    response = client.get("/staff/")
    assert response.status_code == 302 and response.location.startswith(SIGN_IN)
    # Absolute lifetime: even an active session ends after STAFF_SESSION_MAX_HOURS.
    fake_clock.advance(minutes=1)
    client = app.test_client()
    assert sign_in(client, staff.email).status_code == 302
    hours = app.config["STAFF_SESSION_MAX_HOURS"]
    steps = int(hours * 60 / (idle - 1))
    for _ in range(steps):
        fake_clock.advance(minutes=idle - 1)
        assert client.get("/staff/").status_code == 200  # active, within the lifetime
    fake_clock.advance(minutes=idle - 1)
    assert client.get("/staff/").status_code == 302


def test_sign_out_everywhere_ends_every_session(
    app: Flask, make_staff: Callable[..., Staff], fake_clock: Clock
):
    staff = make_staff(StaffRole.SUPERVISOR)
    laptop, phone = app.test_client(), app.test_client()
    assert sign_in(laptop, staff.email).status_code == 302
    fake_clock.advance(seconds=30)  # a TOTP code works once: the phone needs the next one
    assert sign_in(phone, staff.email).status_code == 302
    assert laptop.get("/staff/").status_code == phone.get("/staff/").status_code == 200
    response = phone.post("/staff/auth/sign-out-everywhere")
    assert response.status_code == 302
    assert laptop.get("/staff/").location.startswith(SIGN_IN)
    assert phone.get("/staff/").location.startswith(SIGN_IN)
    # A fresh sign-in works again.
    fake_clock.advance(seconds=30)
    assert sign_in(laptop, staff.email).status_code == 302
    assert laptop.get("/staff/").status_code == 200


def test_sign_out_ends_only_this_session(
    app: Flask, make_staff: Callable[..., Staff], fake_clock: Clock
):
    staff = make_staff(StaffRole.SUPERVISOR)
    laptop, phone = app.test_client(), app.test_client()
    assert sign_in(laptop, staff.email).status_code == 302
    fake_clock.advance(seconds=30)
    assert sign_in(phone, staff.email).status_code == 302
    assert laptop.post("/staff/auth/sign-out").status_code == 302
    assert laptop.get("/staff/").status_code == 302
    assert phone.get("/staff/").status_code == 200


def test_next_brings_back_to_the_staff_page_and_never_elsewhere(
    client: FlaskClient, make_staff: Callable[..., Staff], fake_clock: Clock
):
    staff = make_staff(StaffRole.ADMIN)
    start = client.get("/staff/admin/audit?action=login")
    assert start.status_code == 302
    page = client.get(start.location).get_data(as_text=True)
    next_value = re.search(r'name="next" type="hidden" value="([^"]*)"', page)
    assert next_value and next_value.group(1).startswith("/staff/admin/audit")
    client.post(
        SIGN_IN,
        data={
            "email": staff.email,
            "password": PASSWORD,
            "next": next_value.group(1).replace("&amp;", "&"),
        },
    )
    done = client.post(TWO_FACTOR, data={"code": code_now()})
    assert done.location == "/staff/admin/audit?action=login"
    for evil in ("https://evil.example/", "//evil.example/staff/", "/staff/\\evil", "/status/"):
        fake_clock.advance(seconds=30)
        other = client.application.test_client()
        other.post(SIGN_IN, data={"email": staff.email, "password": PASSWORD, "next": evil})
        assert other.post(TWO_FACTOR, data={"code": code_now()}).location == "/staff/"


def test_first_sign_in_forces_enrolment_and_shows_recovery_codes_once(
    client: FlaskClient, db: Session
):
    now = dt.datetime.now(dt.UTC)
    staff, temporary = service.add_staff(
        db, email="new@oversight.example", role=StaffRole.INTAKE, actor_id=None, now=now
    )
    db.commit()
    first = client.post(SIGN_IN, data={"email": staff.email, "password": temporary})
    assert first.location.endswith("/staff/auth/enrol")
    assert client.get("/staff/").status_code == 302  # nothing before enrolment
    assert client.get(TWO_FACTOR).status_code == 302
    page = client.get("/staff/auth/enrol")
    html = page.get_data(as_text=True)
    secret = re.search(r'id="setup-key"[^>]*>([^<]*)<', html).group(1).replace(" ", "")
    assert 'src="/staff/auth/enrol/qr.png"' in html
    qr = client.get("/staff/auth/enrol/qr.png")
    assert qr.mimetype == "image/png" and qr.data.startswith(b"\x89PNG")
    assert "no-store" in qr.headers["Cache-Control"]
    bad = client.post(
        "/staff/auth/enrol",
        data={
            "code": pyotp.TOTP(secret).now(),
            "new_password": "short",
            "confirm_password": "short",
        },
    )
    assert bad.status_code == 400
    done = client.post(
        "/staff/auth/enrol",
        data={
            "code": pyotp.TOTP(secret).now(),
            "new_password": "a passphrase of my own",
            "confirm_password": "a passphrase of my own",
        },
    )
    assert done.status_code == 200
    codes = re.findall(r'<li class="secret">([^<]*)</li>', done.get_data(as_text=True))
    assert len(codes) == 10
    assert client.get("/staff/").status_code == 200
    # Shown once: no page gives them again; the QR code is gone with the pending step.
    assert client.get("/staff/auth/enrol").status_code == 302
    assert client.get("/staff/auth/enrol/qr.png").status_code == 302
    # The temporary password no longer works; the new one + a recovery code does.
    client.post("/staff/auth/sign-out")
    old = client.post(SIGN_IN, data={"email": staff.email, "password": temporary})
    assert old.status_code == 400
    assert sign_in(client, staff.email, "a passphrase of my own", codes[0]).status_code == 302
    assert client.get("/staff/").status_code == 200


def test_qr_code_needs_a_pending_enrolment(client: FlaskClient):
    assert client.get("/staff/auth/enrol/qr.png").status_code == 302


def test_sign_in_post_is_rate_limited(app: Flask, make_staff: Callable[..., Staff]):
    client = app.test_client()
    limit = int(app.config["STAFF_LOGIN_RATE_LIMIT"].split()[0])
    codes = [
        client.post(SIGN_IN, data={"email": f"u{i}@x.org", "password": "x"}).status_code
        for i in range(limit + 1)
    ]
    assert codes[:limit] == [400] * limit
    assert codes[limit] == 429


@pytest.mark.parametrize("path", ["/staff/", "/staff/auth/sign-in"])
def test_staff_pages_are_never_cached(client: FlaskClient, path: str):
    assert "no-store" in client.get(path).headers["Cache-Control"]


def test_session_cookie_is_httponly_and_samesite(
    client: FlaskClient, make_staff: Callable[..., Staff]
):
    staff = make_staff(StaffRole.INTAKE)
    response = client.post(SIGN_IN, data={"email": staff.email, "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert TOTP_SECRET not in cookie


def test_session_cookie_holds_no_personal_data(
    client: FlaskClient, make_staff: Callable[..., Staff]
):
    import base64
    import zlib

    staff = make_staff(StaffRole.INTAKE, email="priv@oversight.example", name="Private Name")
    sign_in(client, staff.email)
    cookie = client.get_cookie("lantern_session")
    assert cookie is not None
    payload = cookie.value.split(".")[0 if not cookie.value.startswith(".") else 1]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    if cookie.value.startswith("."):
        raw = zlib.decompress(raw)
    text = raw.decode()
    assert '"staff"' in text
    assert "priv@" not in text and "Private" not in text


def test_audit_rows_for_a_sign_in(
    client: FlaskClient, make_staff: Callable[..., Staff], db: Session
):
    staff = make_staff(StaffRole.INTAKE)
    client.post(SIGN_IN, data={"email": staff.email, "password": "wrong"})
    sign_in(client, staff.email)
    rows: list[Any] = db.execute(
        select(AuditEntry.action, AuditEntry.actor_id).order_by(AuditEntry.id)
    ).all()
    assert [tuple(r) for r in rows] == [("login.failed", staff.id), ("login", staff.id)]


def test_session_cookie_is_secure_over_https(app: Flask, make_staff: Callable[..., Staff]):
    staff = make_staff(StaffRole.INTAKE)
    http = app.test_client().post(SIGN_IN, data={"email": staff.email, "password": PASSWORD})
    assert "Secure" not in http.headers["Set-Cookie"]  # local development over plain HTTP
    https = app.test_client().post(
        SIGN_IN,
        data={"email": staff.email, "password": PASSWORD},
        base_url="https://localhost",
    )
    assert "; Secure" in https.headers["Set-Cookie"]
