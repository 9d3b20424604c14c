"""Forms of the correction page and the access-code reissue page. Like the case page's forms they
carry a prefix (several on one page) and rely on the app-wide CSRF check (templates render the
token in each form)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from portal.backoffice.case_forms import CaseForm
from portal.backoffice.labels import lazy_label
from portal.forms import LanternForm
from portal.services import access_codes, corrections
from portal.vocabulary import AllegationCategory

REASON_HINT = _l("Kept in the case history with your name.")


def _reason() -> TextAreaField:
    return TextAreaField(
        _l("Why is this corrected?"),
        [InputRequired(_l("Say why you are correcting this.")), Length(max=2000)],
    )


class CaseDetailsForm(CaseForm):
    """Incident date, time, approximate flag, location and district."""

    incident_date = DateField(_l("Incident date"), [Optional()])
    incident_time = StringField(_l("Incident time (24-hour, HH:MM)"), [Optional(), Length(max=5)])
    incident_date_is_approximate = BooleanField(_l("The date is approximate"))
    incident_location = TextAreaField(_l("Location"), [Optional(), Length(max=2000)])
    district = SelectField(_l("District"), choices=[], validators=[Optional()])
    reason = _reason()

    def validate_incident_time(self, field: StringField) -> None:
        """HH:MM, 00:00 to 23:59."""
        value = (field.data or "").strip()
        if value and not corrections.parse_time(value):
            raise ValidationError(_l("Enter the time as hours and minutes, like 14:30."))


LANGUAGE_CHOICES = [SelectChoice("en", "English"), SelectChoice("es", "Español")]


class ContactForm(CaseForm):
    """A complainant's name and contact details (staff)."""

    name = StringField(_l("Name"), [Optional(), Length(max=200)])
    email = StringField(_l("Email address"), [Optional(), Length(max=254)])
    phone = StringField(_l("Phone number"), [Optional(), Length(max=40)])
    postal_address = TextAreaField(_l("Postal address"), [Optional(), Length(max=1000)])
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES, default="en")
    reason = _reason()

    def validate_email(self, field: StringField) -> None:
        """A plausible address."""
        value = (field.data or "").strip()
        if value and not corrections.EMAIL.fullmatch(value):
            raise ValidationError(_l("Enter an email address like name@example.com."))

    def validate_phone(self, field: StringField) -> None:
        """Digits and the usual separators only."""
        value = (field.data or "").strip()
        if value and not corrections.PHONE.fullmatch(value):
            raise ValidationError(_l("Enter a phone number using digits, like 555 010 0100."))


class OfficerForm(CaseForm):
    """An officer as described in the complaint."""

    name_given = StringField(_l("Officer's name"), [Optional(), Length(max=200)])
    badge_given = StringField(_l("Badge number"), [Optional(), Length(max=32)])
    unit_given = StringField(_l("Unit"), [Optional(), Length(max=128)])
    description = TextAreaField(_l("Description"), [Optional(), Length(max=2000)])
    reason = _reason()


class RemoveOfficerForm(CaseForm):
    """Remove an officer named by mistake."""

    reason = _reason()


class CategoryForm(CaseForm):
    """The category of one allegation."""

    category = SelectField(
        _l("Category"), choices=[SelectChoice(c.value, lazy_label(c)) for c in AllegationCategory]
    )
    reason = _reason()


METHOD_LABELS = {
    access_codes.Method.SECURITY_QUESTIONS_PHONE: _l(
        "By phone: the caller answered questions about the case only the complainant can know"
    ),
    access_codes.Method.PHOTO_ID_IN_PERSON: _l("In person: photo identification checked"),
    access_codes.Method.EMAIL_ON_FILE: _l("The request came from the email address on file"),
    access_codes.Method.SIGNED_LETTER: _l("Signed letter matching the details on file"),
    access_codes.Method.OTHER: _l("Another way (describe it below)"),
}
DELIVERY_LABELS = {
    access_codes.Delivery.SHOWN: _l("Show it to me once, to read out or hand over"),
    access_codes.Delivery.EMAIL: _l("Email it to the complainant's address on file"),
    access_codes.Delivery.BOTH: _l("Both: show it once and email it"),
}


class ReissueForm(LanternForm):
    """Reissue the access code after verifying the caller's identity."""

    class Meta:
        csrf = False  # the app-wide CSRFProtect checks the token the template renders

    method = RadioField(
        _l("How did you verify that the caller is the complainant?"),
        choices=[SelectChoice(m.value, label) for m, label in METHOD_LABELS.items()],
        validators=[InputRequired(_l("Choose how you verified the caller's identity."))],
        validate_choice=False,  # checked below, with a message that says what to do
    )
    note = TextAreaField(
        _l("What did you check?"),
        [Optional(), Length(max=access_codes.MAX_NOTE)],
    )
    delivery = RadioField(
        _l("How should the new code reach the complainant?"),
        choices=[SelectChoice(d.value, label) for d, label in DELIVERY_LABELS.items()],
        validators=[InputRequired(_l("Choose how the new code reaches the complainant."))],
        validate_choice=False,
    )

    def validate_method(self, field: RadioField) -> None:
        """One of the listed ways."""
        if field.data not in {m.value for m in access_codes.Method}:
            raise ValidationError(_l("Choose how you verified the caller's identity."))

    def validate_delivery(self, field: RadioField) -> None:
        """One of the listed deliveries."""
        if field.data not in {d.value for d in access_codes.Delivery}:
            raise ValidationError(_l("Choose how the new code reaches the complainant."))
