"""The signed-in staff member's own account: password, recovery codes, sign out everywhere."""

from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response as BaseResponse
from wtforms import PasswordField
from wtforms.validators import EqualTo, InputRequired, Length

from portal import clock
from portal.auth import session as staff_session
from portal.backoffice import bp
from portal.backoffice.guard import requires
from portal.db import begin_write
from portal.forms import LanternForm
from portal.request_db import db_session
from portal.services import staff as staff_service


class ChangePasswordForm(LanternForm):
    """Change one's own password."""

    current = PasswordField(_l("Current password"), validators=[InputRequired()])
    new = PasswordField(_l("New password"), validators=[InputRequired(), Length(min=12, max=1024)])
    confirm = PasswordField(
        _l("New password again"),
        validators=[
            InputRequired(),
            EqualTo("new", message=_l("The two passwords are not the same.")),
        ],
    )


class RecoveryCodesForm(LanternForm):
    """Replace one's recovery codes (the password confirms it is really them)."""

    password = PasswordField(_l("Your password"), validators=[InputRequired()])


def _render(
    password_form: ChangePasswordForm | None = None,
    codes_form: RecoveryCodesForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    html = render_template(
        "backoffice/account.html",
        password_form=password_form or ChangePasswordForm(prefix="pw"),
        codes_form=codes_form or RecoveryCodesForm(prefix="rc"),
        remaining=staff_service.unused_recovery_codes(g.staff),
    )
    return html, status


@bp.get("/account")
@requires()
def account() -> tuple[str, int]:
    """The signed-in staff member's account page."""
    return _render()


@bp.post("/account/password")
@requires()
def account_password() -> BaseResponse | tuple[str, int]:
    """Change one's own password; other sessions of the account end."""
    form = ChangePasswordForm(prefix="pw")
    if not form.validate_on_submit():
        return _render(password_form=form, status=400)
    session = db_session()
    begin_write(session)
    staff = g.staff
    now = clock.utcnow()
    try:
        staff_service.change_password(
            session, staff, current=form.current.data or "", new=form.new.data or "", now=now
        )
    except staff_service.StaffError as refusal:
        session.rollback()
        form.current.errors = [str(refusal)]
        return _render(password_form=form, status=400)
    session.commit()
    staff_session.start(staff, now)  # this browser stays signed in; the others do not
    flash(_("Your password is changed. Your other sessions have ended."), "success")
    return redirect(url_for("backoffice.account"))


@bp.post("/account/recovery-codes")
@requires()
def account_recovery_codes() -> tuple[str, int]:
    """Replace one's recovery codes; the new ones are shown once, in this response only."""
    form = RecoveryCodesForm(prefix="rc")
    if not form.validate_on_submit():
        return _render(codes_form=form, status=400)
    session = db_session()
    begin_write(session)
    try:
        codes = staff_service.replace_recovery_codes(
            session,
            g.staff,
            password=form.password.data or "",
            key=staff_service.recovery_key(str(current_app.config["ACCESS_CODE_KEY"])),
            now=clock.utcnow(),
        )
    except staff_service.StaffError as refusal:
        session.rollback()
        form.password.errors = [str(refusal)]
        return _render(codes_form=form, status=400)
    session.commit()
    html = render_template(
        "auth/recovery_codes.html", codes=codes, next_url=url_for("backoffice.account")
    )
    return html, 200
