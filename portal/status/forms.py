"""Forms of the status pages (Flask-WTF: every one carries a CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import MultipleFileField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional


class LookupForm(FlaskForm):  # type: ignore[misc]
    """Reference number + access code. Sent by POST only; the code is never shown back."""

    reference = StringField(
        lazy_gettext("Reference number"),
        validators=[InputRequired(lazy_gettext("Enter your reference number")), Length(max=64)],
    )
    access_code = StringField(
        lazy_gettext("Access code"),
        validators=[InputRequired(lazy_gettext("Enter your access code")), Length(max=64)],
    )


class AddInformationForm(FlaskForm):  # type: ignore[misc]
    """Something the complainant wants to add: text, files, or both."""

    text = TextAreaField(
        lazy_gettext("What do you want to add?"), validators=[Optional(), Length(max=20000)]
    )
    files = MultipleFileField(lazy_gettext("Files (photos, videos, documents)"))


class WithdrawForm(FlaskForm):  # type: ignore[misc]
    """The confirmation step of withdrawing, with an optional reason for the office."""

    reason = TextAreaField(
        lazy_gettext("Why are you withdrawing your complaint?"),
        validators=[Optional(), Length(max=5000)],
    )


class SignOutForm(FlaskForm):  # type: ignore[misc]
    """Sign out of the status pages (a form, so it carries a CSRF token)."""
