"""The staff intake form: the resident's complaint form, worded for staff, plus the channel.

It subclasses the resident's ``ComplaintForm`` so both forms ask the same questions with the
same field names and the same validation, and the answers become the same ``Submission``.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, SelectField, StringField, SubmitField, TelField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional

from portal.backoffice.labels import lazy_label
from portal.intake.forms import ComplaintForm, _length
from portal.vocabulary import STAFF_INTAKE_CHANNELS


class StaffIntakeForm(ComplaintForm):
    """A complaint taken by phone, email, letter or in person, entered by a staff member."""

    channel = SelectField(
        _l("How did the complaint reach us?"),
        choices=[
            SelectChoice("", _l("Choose a channel")),
            *[SelectChoice(c.value, lazy_label(c)) for c in STAFF_INTAKE_CHANNELS],
        ],
        validators=[InputRequired(_l("Choose how the complaint reached us."))],
    )
    is_anonymous = BooleanField(_l("The complainant wants to stay anonymous"))
    name = StringField(_l("Complainant's name"), [Optional(), _length("name")])
    email = EmailField(_l("Complainant's email address"), [Optional(), _length("email")])
    phone = TelField(_l("Complainant's phone number"), [Optional(), _length("phone")])
    email_code = BooleanField(_l("Also email the access code to the complainant"))
    consent = BooleanField(
        _l(
            "The complainant was told how the office uses their answers (the privacy notice) "
            "and agreed."
        ),
        [InputRequired(_l("Confirm that the complainant agreed to the privacy notice."))],
    )
    submit = SubmitField(_l("Enter the complaint"))
