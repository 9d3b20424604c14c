"""Forms of the status pages (Flask-WTF: every one carries a CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext
from wtforms import MultipleFileField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from portal.forms import LanternForm


class LookupForm(LanternForm):
    """Reference number + access code. Sent by POST only; the code is never shown back.

    The view checks the POST itself (``views._lookup_problems``, with the same messages); the
    form renders the fields, their labels and the CSRF token.
    """

    reference = StringField(
        lazy_gettext("Reference number"),
        validators=[InputRequired(lazy_gettext("Enter your reference number")), Length(max=64)],
    )
    access_code = StringField(
        lazy_gettext("Access code"),
        validators=[InputRequired(lazy_gettext("Enter your access code")), Length(max=64)],
    )


class AddInformationForm(LanternForm):
    """Something the complainant wants to add: text, files, or both."""

    text = TextAreaField(
        lazy_gettext("What do you want to add?"), validators=[Optional(), Length(max=20000)]
    )
    files = MultipleFileField(lazy_gettext("Files (photos, videos, documents)"))


class WithdrawForm(LanternForm):
    """The confirmation step of withdrawing, with an optional reason for the office."""

    reason = TextAreaField(
        lazy_gettext("Why are you withdrawing your complaint?"),
        validators=[Optional(), Length(max=5000)],
    )


class SignOutForm(LanternForm):
    """Sign out of the status pages (a form, so it carries a CSRF token)."""


class ReviewForm(LanternForm):
    """Ask for a review of the decision on a closed complaint."""

    reason = TextAreaField(
        lazy_gettext("Why do you disagree with the decision?"),
        validators=[
            DataRequired(lazy_gettext("Tell us why you disagree with the decision.")),
            Length(max=5000),
        ],
    )


RATINGS = [
    SelectChoice("1", lazy_gettext("1 – very bad")),
    SelectChoice("2", lazy_gettext("2 – bad")),
    SelectChoice("3", lazy_gettext("3 – neither good nor bad")),
    SelectChoice("4", lazy_gettext("4 – good")),
    SelectChoice("5", lazy_gettext("5 – very good")),
]


class SurveyForm(LanternForm):
    """The short satisfaction survey after closure (every question optional)."""

    ease = RadioField(
        lazy_gettext("How easy was it to make your complaint?"),
        choices=RATINGS,
        validators=[Optional()],
    )
    kept_informed = RadioField(
        lazy_gettext("How well did we keep you informed?"),
        choices=RATINGS,
        validators=[Optional()],
    )
    treated_fairly = RadioField(
        lazy_gettext("How fairly were you treated?"),
        choices=RATINGS,
        validators=[Optional()],
    )
    would_recommend = RadioField(
        lazy_gettext("Would you tell a friend to complain to us?"),
        choices=[SelectChoice("yes", lazy_gettext("Yes")), SelectChoice("no", lazy_gettext("No"))],
        validators=[Optional()],
    )
    comment = TextAreaField(
        lazy_gettext("Anything else you want to tell us?"),
        validators=[Optional(), Length(max=5000)],
    )
