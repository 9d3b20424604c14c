"""Forms of staff sign-in (Flask-WTF: every one carries a CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length

from portal.forms import LanternForm


class SignInForm(LanternForm):
    """Step 1: email and password."""

    email = EmailField(_l("Email"), validators=[InputRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[InputRequired(), Length(max=1024)])
    next = HiddenField()


class SecondFactorForm(LanternForm):
    """Step 2: the code from the authenticator app, or a recovery code."""

    code = StringField(
        _l("Code from your authenticator app, or a recovery code"),
        validators=[InputRequired(), Length(max=32)],
    )


class EnrolForm(LanternForm):
    """First sign-in (or after a reset): confirm the app with a code and choose a password."""

    code = StringField(
        _l("6-digit code from your app"), validators=[InputRequired(), Length(max=16)]
    )
    new_password = PasswordField(
        _l("New password"), validators=[InputRequired(), Length(min=12, max=1024)]
    )
    confirm_password = PasswordField(
        _l("New password again"),
        validators=[
            InputRequired(),
            EqualTo("new_password", message=_l("The two passwords are not the same.")),
        ],
    )
