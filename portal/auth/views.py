"""Views of staff sign-in: password, then TOTP or a recovery code; enrolment; sign-out.

Flow: ``sign_in`` (email + password) → ``two_factor`` (TOTP or recovery code) → the staff area.
An account without two-factor (new, or reset) goes from ``sign_in`` to ``enrol`` instead: scan
the QR code (``enrol_qr``, never cached) or type the secret, confirm with a code, choose a
password, then see the recovery codes once. Messages on failure never say whether the account
exists, is disabled or locked.
"""

from __future__ import annotations

from flask import Response, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from portal import clock
from portal.auth import bp
from portal.auth import session as staff_session
from portal.auth.forms import EnrolForm, SecondFactorForm, SignInForm
from portal.db import begin_write
from portal.extensions import client_address, limiter
from portal.request_db import db_session
from portal.services import audit, lockout
from portal.services import staff as staff_service


def _policy() -> lockout.LockoutPolicy:
    config = current_app.config
    return lockout.LockoutPolicy(
        failures=int(config["STAFF_LOCKOUT_FAILURES"]),
        minutes=int(config["STAFF_LOCKOUT_MINUTES"]),
        account_failures=int(config["STAFF_ACCOUNT_LOCKOUT_FAILURES"]),
    )


def _client() -> str:
    """This request's client, as the lockout knows it (a keyed hash of the address)."""
    return lockout.client_key(_recovery_key(), client_address())


def _recovery_key() -> bytes:
    return staff_service.recovery_key(str(current_app.config["ACCESS_CODE_KEY"]))


def _login_limit() -> str:
    return str(current_app.config["STAFF_LOGIN_RATE_LIMIT"])


def _failure_message() -> str:
    return str(
        _(
            "Sign-in failed. Check your email and password and try again. After %(n)d failed "
            "tries, signing in to the account from this network is locked for %(m)d minutes.",
            n=int(current_app.config["STAFF_LOCKOUT_FAILURES"]),
            m=int(current_app.config["STAFF_LOCKOUT_MINUTES"]),
        )
    )


def _after_sign_in(target: str | None) -> BaseResponse:
    return redirect(target or url_for("backoffice.home"))


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def sign_in() -> str | BaseResponse | tuple[str, int]:
    """Staff sign-in, step 1: email and password."""
    if staff_session.current_staff() is not None:
        return redirect(url_for("backoffice.home"))
    form = SignInForm()
    if request.method == "GET":
        form.next.data = staff_session.safe_next(request.args.get("next"))
    error = None
    if form.validate_on_submit():
        now = clock.utcnow()
        session = db_session()
        begin_write(session)
        result = staff_service.check_password(
            session,
            email=form.email.data or "",
            password=form.password.data or "",
            now=now,
            policy=_policy(),
            client=_client(),
        )
        session.commit()
        if result.staff is not None:
            enrol = result.status is staff_service.LoginStatus.ENROL
            staff_session.set_pending(result.staff, now, enrol=enrol, next_url=form.next.data)
            return redirect(url_for("auth.enrol" if enrol else "auth.two_factor"))
        error = _failure_message()
    elif request.method == "POST":
        error = _("Enter your email and your password.")
    form.password.data = ""
    html = render_template("auth/sign_in.html", form=form, error=error)
    return (html, 200) if error is None else (html, 400)


@bp.route("/two-factor", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def two_factor() -> str | BaseResponse | tuple[str, int]:
    """Staff sign-in, step 2: TOTP code or recovery code."""
    waiting = staff_session.pending()
    if waiting is None or waiting.enrol:
        return redirect(url_for("auth.sign_in"))
    form = SecondFactorForm()
    error = None
    if form.validate_on_submit():
        now = clock.utcnow()
        session = db_session()
        begin_write(session)
        staff = waiting.staff
        ok = staff_service.check_second_factor(
            session,
            staff,
            code=form.code.data or "",
            key=_recovery_key(),
            now=now,
            policy=_policy(),
            client=_client(),
        )
        session.commit()
        if ok:
            staff_session.start(staff, now)
            return _after_sign_in(waiting.next_url)
        if lockout.is_locked_out(session, staff, client=_client(), now=now):
            staff_session.clear_pending()
            flash(_failure_message(), "error")
            return redirect(url_for("auth.sign_in"))
        error = _(
            "That code is not right. Enter the 6-digit code your app shows now, or a recovery code."
        )
    elif request.method == "POST":
        error = _("Enter the code from your authenticator app, or a recovery code.")
    form.code.data = ""
    html = render_template("auth/two_factor.html", form=form, error=error)
    return (html, 200) if error is None else (html, 400)


@bp.route("/enrol", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def enrol() -> str | BaseResponse | tuple[str, int]:
    """First sign-in or after a reset: set up the authenticator app and a password of one's own."""
    waiting = staff_session.pending()
    if waiting is None or not waiting.enrol:
        return redirect(url_for("auth.sign_in"))
    staff = waiting.staff
    session = db_session()
    form = EnrolForm()
    error = None
    if form.validate_on_submit():
        now = clock.utcnow()
        begin_write(session)
        try:
            codes = staff_service.complete_enrolment(
                session,
                staff,
                code=form.code.data or "",
                new_password=form.new_password.data or "",
                key=_recovery_key(),
                now=now,
            )
        except staff_service.StaffError as refusal:
            session.rollback()
            error = str(refusal)
        else:
            audit.record_sign_in(session, staff.id, audit.LOGIN, detail="factor=enrolment", now=now)
            staff.last_login_at = now
            lockout.clear_failures(session, staff, client=_client())
            session.commit()
            staff_session.start(staff, now)
            g.staff = staff
            # Shown once, in this response only (never stored in the session or a redirect).
            return render_template(
                "auth/recovery_codes.html",
                codes=codes,
                next_url=waiting.next_url or url_for("backoffice.home"),
            )
    elif request.method == "POST":
        error = _(
            "Check the form: every field is needed, and the password needs 12 characters or more."
        )
    begin_write(session)
    enrolment = staff_service.start_enrolment(staff, issuer=str(current_app.config["OFFICE_NAME"]))
    session.commit()
    secret_groups = " ".join(
        enrolment.secret[i : i + 4] for i in range(0, len(enrolment.secret), 4)
    )
    form.code.data = ""
    html = render_template(
        "auth/enrol.html", form=form, error=error, secret=secret_groups, email=staff.email
    )
    return (html, 200) if error is None else (html, 400)


@bp.get("/enrol/qr.png")
def enrol_qr() -> Response | BaseResponse:
    """The QR code of the pending enrolment's TOTP secret (never cached)."""
    waiting = staff_session.pending()
    if waiting is None or not waiting.enrol or not waiting.staff.totp_secret:
        return redirect(url_for("auth.sign_in"))
    enrolment = staff_service.start_enrolment(
        waiting.staff, issuer=str(current_app.config["OFFICE_NAME"])
    )
    response = Response(staff_service.qr_png(enrolment.uri), mimetype="image/png")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/sign-out")
def sign_out() -> BaseResponse:
    """Sign out of this browser."""
    staff = staff_session.current_staff(touch=False)
    if staff is not None:
        session = db_session()
        begin_write(session)
        audit.record(
            session,
            actor_id=staff.id,
            action=audit.LOGOUT,
            object_type="staff",
            object_id=staff.id,
            now=clock.utcnow(),
        )
        session.commit()
    staff_session.end()
    return redirect(url_for("auth.sign_in", signed_out=1))


@bp.post("/sign-out-everywhere")
def sign_out_everywhere() -> BaseResponse:
    """End every session of the signed-in account, on every device (bumps its version)."""
    staff = staff_session.current_staff(touch=False)
    if staff is not None:
        session = db_session()
        begin_write(session)
        staff_service.sign_out_everywhere(session, staff, now=clock.utcnow())
        session.commit()
    staff_session.end()
    return redirect(url_for("auth.sign_in", signed_out=1))
