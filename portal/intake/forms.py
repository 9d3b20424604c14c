"""The complaint form (Flask-WTF; every label, hint and message translatable).

Officers are repeatable without JavaScript: the form starts with one blank officer row and an
"add another officer" submit button re-renders it with one more row, every answer kept.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    MultipleFileField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TelField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from portal.services.intake import MAX_LENGTH, MAX_OFFICERS
from portal.vocabulary import AgeBand, AllegationCategory, ContactMethod, Gender, Race

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
PHONE = re.compile(r"[0-9+()\-.\s/x]{5,40}", re.IGNORECASE)

#: Conduct categories in plain language, each with a one-line explanation.
CATEGORY_LABELS: dict[str, tuple[Any, Any]] = {
    AllegationCategory.FORCE.value: (
        _l("Force"),
        _l("The officer hit, pushed, restrained or used a weapon on someone without need."),
    ),
    AllegationCategory.ABUSE_OF_AUTHORITY.value: (
        _l("Misuse of police powers"),
        _l("For example a stop, arrest, threat or order that was not justified."),
    ),
    AllegationCategory.DISCOURTESY.value: (
        _l("Rudeness"),
        _l("The officer was rude, shouted, or made rude gestures."),
    ),
    AllegationCategory.OFFENSIVE_LANGUAGE.value: (
        _l("Offensive language"),
        _l("Insults or slurs about someone's race, religion, gender, sexuality or disability."),
    ),
    AllegationCategory.BIAS.value: (
        _l("Unfair treatment"),
        _l("Treated differently because of who someone is, for example race or religion."),
    ),
    AllegationCategory.IMPROPER_SEARCH_OR_SEIZURE.value: (
        _l("Search or taking property"),
        _l("A search of a person, car or home, or property taken, without good reason."),
    ),
    AllegationCategory.FAILURE_TO_PROVIDE_SERVICE.value: (
        _l("Not helping"),
        _l("Police did not come, did not take a report, or did not help when they should."),
    ),
    AllegationCategory.UNTRUTHFULNESS.value: (
        _l("Not telling the truth"),
        _l("The officer lied, or wrote something false in a report."),
    ),
    AllegationCategory.SEXUAL_MISCONDUCT.value: (
        _l("Sexual misconduct"),
        _l("Unwanted sexual comments, touching or requests."),
    ),
    AllegationCategory.OTHER.value: (
        _l("Something else"),
        _l("Anything else, or if you are not sure. Tell us about it above."),
    ),
}


def _options(pairs: list[tuple[str, Any]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices."""
    return [SelectChoice(value, label) for value, label in pairs]


NOT_ANSWERED = ("", _l("Not answered"))
AGE_CHOICES = _options(
    [
        NOT_ANSWERED,
        (AgeBand.UNDER_18.value, _l("Under 18")),
        (AgeBand.AGE_18_24.value, _l("18 to 24")),
        (AgeBand.AGE_25_34.value, _l("25 to 34")),
        (AgeBand.AGE_35_44.value, _l("35 to 44")),
        (AgeBand.AGE_45_54.value, _l("45 to 54")),
        (AgeBand.AGE_55_64.value, _l("55 to 64")),
        (AgeBand.AGE_65_PLUS.value, _l("65 or older")),
        (AgeBand.PREFER_NOT_TO_SAY.value, _l("Prefer not to say")),
    ]
)
GENDER_CHOICES = _options(
    [
        NOT_ANSWERED,
        (Gender.WOMAN.value, _l("Woman")),
        (Gender.MAN.value, _l("Man")),
        (Gender.NON_BINARY.value, _l("Non-binary")),
        (Gender.OTHER.value, _l("Another gender")),
        (Gender.PREFER_NOT_TO_SAY.value, _l("Prefer not to say")),
    ]
)
RACE_CHOICES = _options(
    [
        NOT_ANSWERED,
        (Race.BLACK.value, _l("Black or African American")),
        (Race.WHITE.value, _l("White")),
        (Race.LATINO.value, _l("Hispanic or Latino")),
        (Race.ASIAN.value, _l("Asian")),
        (Race.NATIVE_AMERICAN.value, _l("American Indian or Alaska Native")),
        (Race.MIDDLE_EASTERN.value, _l("Middle Eastern or North African")),
        (Race.PACIFIC_ISLANDER.value, _l("Native Hawaiian or Pacific Islander")),
        (Race.MULTIRACIAL.value, _l("More than one")),
        (Race.OTHER.value, _l("Another race or ethnicity")),
        (Race.PREFER_NOT_TO_SAY.value, _l("Prefer not to say")),
    ]
)
ROLE_CHOICES = _options(
    [
        ("self", _l("It happened to me")),
        ("on_behalf", _l("I am complaining for someone else")),
        ("witness", _l("I saw it happen")),
    ]
)
CONTACT_CHOICES = _options(
    [
        (ContactMethod.EMAIL.value, _l("Email")),
        (ContactMethod.PHONE.value, _l("Phone")),
        (ContactMethod.POST.value, _l("Letter")),
        (ContactMethod.NONE.value, _l("Do not contact me")),
    ]
)


def _length(name: str) -> Length:
    return Length(max=MAX_LENGTH[name], message=_l("This answer is too long."))


class MultiCheckboxField(SelectMultipleField):  # type: ignore[misc]
    """A group of checkboxes (several may be ticked)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class OfficerForm(Form):  # type: ignore[misc]
    """One officer row (a plain wtforms Form: the outer form carries the CSRF token)."""

    name = StringField(_l("Name"), [Optional(), _length("officer.name")])
    badge = StringField(_l("Badge number"), [Optional(), _length("officer.badge")])
    unit = StringField(_l("Unit, or car number"), [Optional(), _length("officer.unit")])
    description = TextAreaField(
        _l("What did the officer look like?"), [Optional(), _length("officer.description")]
    )
    unknown = BooleanField(_l("I don't know who this officer was"))

    def is_blank(self) -> bool:
        """True when nothing was entered in this row."""
        texts = (self.name, self.badge, self.unit, self.description)
        return not (any((f.data or "").strip() for f in texts) or self.unknown.data)


class ComplaintForm(FlaskForm):  # type: ignore[misc]
    """Every question of the resident's complaint form."""

    idempotency_key = HiddenField()

    # What happened
    narrative = TextAreaField(
        _l("What happened?"),
        [InputRequired(_l("Tell us what happened.")), _length("narrative")],
    )

    # When
    incident_date = DateField(
        _l("Date"), [Optional()], format="%Y-%m-%d", render_kw={"max": "9999-12-31"}
    )
    incident_time = TimeField(_l("Time"), [Optional()], format="%H:%M")
    date_is_approximate = BooleanField(_l("The date or time is approximate"))

    # Where
    location = TextAreaField(_l("Where did it happen?"), [Optional(), _length("incident_location")])
    district = SelectField(_l("District"), choices=[], validate_choice=True)

    # Officers
    officers = FieldList(FormField(OfficerForm), min_entries=1, max_entries=MAX_OFFICERS)
    add_officer = SubmitField(_l("Add another officer"))

    # Kind of conduct
    categories = MultiCheckboxField(
        _l("What kind of conduct is your complaint about?"),
        choices=[SelectChoice(value, label) for value, (label, _hint) in CATEGORY_LABELS.items()],
    )

    witnesses = TextAreaField(_l("Witnesses"), [Optional(), _length("witnesses")])

    evidence = MultipleFileField(_l("Add files"))

    # About you
    role = RadioField(_l("Who is making this complaint?"), choices=ROLE_CHOICES, default="self")
    on_behalf_of = StringField(
        _l("Name of the person you are complaining for"), [Optional(), _length("on_behalf_of")]
    )
    is_anonymous = BooleanField(_l("I want to stay anonymous"))
    name = StringField(_l("Your name"), [Optional(), _length("name")])
    email = EmailField(_l("Email address"), [Optional(), _length("email")])
    phone = TelField(_l("Phone number"), [Optional(), _length("phone")])
    postal_address = TextAreaField(_l("Postal address"), [Optional(), _length("postal_address")])
    contact_method = RadioField(
        _l("How should we contact you?"), choices=CONTACT_CHOICES, default="none"
    )
    email_code = BooleanField(_l("Also email me my access code"))
    language = SelectField(_l("Language for our emails and letters"), choices=[])
    interpreter_needed = BooleanField(_l("I need an interpreter"))
    interpreter_language = StringField(
        _l("Which language should the interpreter speak?"),
        [Optional(), _length("interpreter_language")],
    )

    # Equity questions
    age_band = SelectField(_l("Age"), choices=AGE_CHOICES)
    gender = SelectField(_l("Gender"), choices=GENDER_CHOICES)
    race = SelectField(_l("Race or ethnicity"), choices=RACE_CHOICES)

    consent = BooleanField(
        _l("I have read the privacy notice and agree that the office may use my answers to "
           "handle my complaint."),
        [InputRequired(_l("To send your complaint, agree to the privacy notice."))],
    )  # fmt: skip
    submit = SubmitField(_l("Send my complaint"))

    def __init__(self, *args: Any, today: dt.date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def validate_incident_date(self, field: DateField) -> None:
        """The incident cannot be in the future."""
        if field.data and self.today and field.data > self.today:
            raise ValidationError(_l("The date cannot be in the future."))

    def validate_email(self, field: EmailField) -> None:
        """A plausible address (the receipt goes there)."""
        value = (field.data or "").strip()
        if value and not EMAIL.fullmatch(value):
            raise ValidationError(_l("Enter an email address like name@example.com."))
        if not value and self.contact_method.data == ContactMethod.EMAIL.value:
            raise ValidationError(
                _l("Enter your email address, or choose another way to reach you.")
            )
        if not value and self.email_code.data:
            raise ValidationError(_l("Enter your email address to get your access code by email."))

    def validate_phone(self, field: TelField) -> None:
        """Digits and the usual separators only; required when phone is the contact method."""
        value = (field.data or "").strip()
        if value and not PHONE.fullmatch(value):
            raise ValidationError(_l("Enter a phone number using digits, like 555 010 0100."))
        if not value and self.contact_method.data == ContactMethod.PHONE.value:
            raise ValidationError(
                _l("Enter your phone number, or choose another way to reach you.")
            )

    def validate_postal_address(self, field: TextAreaField) -> None:
        """Required when letters are the contact method."""
        if not (field.data or "").strip() and self.contact_method.data == ContactMethod.POST.value:
            raise ValidationError(
                _l("Enter your postal address, or choose another way to reach you.")
            )

    def validate_name(self, field: StringField) -> None:
        """An anonymous complaint carries no name."""
        if self.is_anonymous.data and (field.data or "").strip():
            raise ValidationError(
                _l("You chose to stay anonymous. Remove your name, or untick \"I want to stay "
                   "anonymous\".")
            )  # fmt: skip

    def validate_interpreter_language(self, field: StringField) -> None:
        """Say which language when an interpreter is needed."""
        if self.interpreter_needed.data and not (field.data or "").strip():
            raise ValidationError(_l("Tell us which language the interpreter should speak."))
