"""The complaint form (Flask-WTF; every label, hint and message translatable).

Officers are repeatable without JavaScript: the form starts with one blank officer row and an
"add another officer" submit button re-renders it with one more row, every answer kept.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask_babel import lazy_gettext
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

from portal.forms import LanternForm
from portal.services.intake import MAX_LENGTH, MAX_OFFICERS
from portal.vocabulary import AgeBand, AllegationCategory, ContactMethod, Gender, Race

EMAIL = re.compile(r"[^@\s,;:<>()\[\]\"]+@[^@\s,;:<>()\[\]\"]+\.[^@\s,;:<>()\[\]\"]+")
PHONE = re.compile(r"[0-9+()\-.\s/x]{5,40}", re.IGNORECASE)

#: Conduct categories in plain language, each with a one-line explanation.
CATEGORY_LABELS: dict[str, tuple[Any, Any]] = {
    AllegationCategory.FORCE.value: (
        lazy_gettext("Force"),
        lazy_gettext(
            "The officer hit, pushed, restrained or used a weapon on someone without need."
        ),
    ),
    AllegationCategory.ABUSE_OF_AUTHORITY.value: (
        lazy_gettext("Misuse of police powers"),
        lazy_gettext("For example a stop, arrest, threat or order that was not justified."),
    ),
    AllegationCategory.DISCOURTESY.value: (
        lazy_gettext("Rudeness"),
        lazy_gettext("The officer was rude, shouted, or made rude gestures."),
    ),
    AllegationCategory.OFFENSIVE_LANGUAGE.value: (
        lazy_gettext("Offensive language"),
        lazy_gettext(
            "Insults or slurs about someone's race, religion, gender, sexuality or disability."
        ),
    ),
    AllegationCategory.BIAS.value: (
        lazy_gettext("Unfair treatment"),
        lazy_gettext(
            "Treated differently because of who someone is, for example race or religion."
        ),
    ),
    AllegationCategory.IMPROPER_SEARCH_OR_SEIZURE.value: (
        lazy_gettext("Search or taking property"),
        lazy_gettext("A search of a person, car or home, or property taken, without good reason."),
    ),
    AllegationCategory.FAILURE_TO_PROVIDE_SERVICE.value: (
        lazy_gettext("Not helping"),
        lazy_gettext(
            "Police did not come, did not take a report, or did not help when they should."
        ),
    ),
    AllegationCategory.UNTRUTHFULNESS.value: (
        lazy_gettext("Not telling the truth"),
        lazy_gettext("The officer lied, or wrote something false in a report."),
    ),
    AllegationCategory.SEXUAL_MISCONDUCT.value: (
        lazy_gettext("Sexual misconduct"),
        lazy_gettext("Unwanted sexual comments, touching or requests."),
    ),
    AllegationCategory.OTHER.value: (
        lazy_gettext("Something else"),
        lazy_gettext("Anything else, or if you are not sure. Tell us about it above."),
    ),
}


def _options(pairs: list[tuple[str, Any]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices."""
    return [SelectChoice(value, label) for value, label in pairs]


NOT_ANSWERED = ("", lazy_gettext("Not answered"))
AGE_CHOICES = _options(
    [
        NOT_ANSWERED,
        (AgeBand.UNDER_18.value, lazy_gettext("Under 18")),
        (AgeBand.AGE_18_24.value, lazy_gettext("18 to 24")),
        (AgeBand.AGE_25_34.value, lazy_gettext("25 to 34")),
        (AgeBand.AGE_35_44.value, lazy_gettext("35 to 44")),
        (AgeBand.AGE_45_54.value, lazy_gettext("45 to 54")),
        (AgeBand.AGE_55_64.value, lazy_gettext("55 to 64")),
        (AgeBand.AGE_65_PLUS.value, lazy_gettext("65 or older")),
        (AgeBand.PREFER_NOT_TO_SAY.value, lazy_gettext("Prefer not to say")),
    ]
)
GENDER_CHOICES = _options(
    [
        NOT_ANSWERED,
        (Gender.WOMAN.value, lazy_gettext("Woman")),
        (Gender.MAN.value, lazy_gettext("Man")),
        (Gender.NON_BINARY.value, lazy_gettext("Non-binary")),
        (Gender.OTHER.value, lazy_gettext("Another gender")),
        (Gender.PREFER_NOT_TO_SAY.value, lazy_gettext("Prefer not to say")),
    ]
)
RACE_CHOICES = _options(
    [
        NOT_ANSWERED,
        (Race.BLACK.value, lazy_gettext("Black or African American")),
        (Race.WHITE.value, lazy_gettext("White")),
        (Race.LATINO.value, lazy_gettext("Hispanic or Latino")),
        (Race.ASIAN.value, lazy_gettext("Asian")),
        (Race.NATIVE_AMERICAN.value, lazy_gettext("American Indian or Alaska Native")),
        (Race.MIDDLE_EASTERN.value, lazy_gettext("Middle Eastern or North African")),
        (Race.PACIFIC_ISLANDER.value, lazy_gettext("Native Hawaiian or Pacific Islander")),
        (Race.MULTIRACIAL.value, lazy_gettext("More than one")),
        (Race.OTHER.value, lazy_gettext("Another race or ethnicity")),
        (Race.PREFER_NOT_TO_SAY.value, lazy_gettext("Prefer not to say")),
    ]
)
ROLE_CHOICES = _options(
    [
        ("self", lazy_gettext("It happened to me")),
        ("on_behalf", lazy_gettext("I am complaining for someone else")),
        ("witness", lazy_gettext("I saw it happen")),
    ]
)
CONTACT_CHOICES = _options(
    [
        (ContactMethod.EMAIL.value, lazy_gettext("Email")),
        (ContactMethod.PHONE.value, lazy_gettext("Phone")),
        (ContactMethod.POST.value, lazy_gettext("Letter")),
        (ContactMethod.NONE.value, lazy_gettext("Do not contact me")),
    ]
)


def _length(name: str) -> Length:
    return Length(max=MAX_LENGTH[name], message=lazy_gettext("This answer is too long."))


class MultiCheckboxField(SelectMultipleField):  # type: ignore[misc]
    """A group of checkboxes (several may be ticked)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class OfficerForm(Form):  # type: ignore[misc]
    """One officer row (a plain wtforms Form: the outer form carries the CSRF token)."""

    name = StringField(lazy_gettext("Name"), [Optional(), _length("officer.name")])
    badge = StringField(lazy_gettext("Badge number"), [Optional(), _length("officer.badge")])
    unit = StringField(lazy_gettext("Unit, or car number"), [Optional(), _length("officer.unit")])
    description = TextAreaField(
        lazy_gettext("What did the officer look like?"),
        [Optional(), _length("officer.description")],
    )
    unknown = BooleanField(lazy_gettext("I don't know who this officer was"))

    def is_blank(self) -> bool:
        """True when nothing was entered in this row."""
        texts = (self.name, self.badge, self.unit, self.description)
        return not (any((f.data or "").strip() for f in texts) or self.unknown.data)


class ComplaintForm(LanternForm):
    """Every question of the resident's complaint form."""

    idempotency_key = HiddenField()

    # What happened
    narrative = TextAreaField(
        lazy_gettext("What happened?"),
        [InputRequired(lazy_gettext("Tell us what happened.")), _length("narrative")],
    )

    # When
    incident_date = DateField(
        lazy_gettext("Date"), [Optional()], format="%Y-%m-%d", render_kw={"max": "9999-12-31"}
    )
    incident_time = TimeField(lazy_gettext("Time"), [Optional()], format="%H:%M")
    date_is_approximate = BooleanField(lazy_gettext("The date or time is approximate"))

    # Where
    location = TextAreaField(
        lazy_gettext("Where did it happen?"), [Optional(), _length("incident_location")]
    )
    district = SelectField(lazy_gettext("District"), choices=[], validate_choice=True)

    # Officers
    officers = FieldList(FormField(OfficerForm), min_entries=1, max_entries=MAX_OFFICERS)
    add_officer = SubmitField(lazy_gettext("Add another officer"))

    # Kind of conduct
    categories = MultiCheckboxField(
        lazy_gettext("What kind of conduct is your complaint about?"),
        choices=[SelectChoice(value, label) for value, (label, _hint) in CATEGORY_LABELS.items()],
    )

    witnesses = TextAreaField(lazy_gettext("Witnesses"), [Optional(), _length("witnesses")])

    evidence = MultipleFileField(lazy_gettext("Add files"))

    # About you
    role = RadioField(
        lazy_gettext("Who is making this complaint?"), choices=ROLE_CHOICES, default="self"
    )
    on_behalf_of = StringField(
        lazy_gettext("Name of the person you are complaining for"),
        [Optional(), _length("on_behalf_of")],
    )
    is_anonymous = BooleanField(lazy_gettext("I want to stay anonymous"))
    name = StringField(lazy_gettext("Your name"), [Optional(), _length("name")])
    email = EmailField(lazy_gettext("Email address"), [Optional(), _length("email")])
    phone = TelField(lazy_gettext("Phone number"), [Optional(), _length("phone")])
    postal_address = TextAreaField(
        lazy_gettext("Postal address"), [Optional(), _length("postal_address")]
    )
    contact_method = RadioField(
        lazy_gettext("How should we contact you?"), choices=CONTACT_CHOICES, default="none"
    )
    email_code = BooleanField(lazy_gettext("Also email me my access code"))
    language = SelectField(lazy_gettext("Language for our emails and letters"), choices=[])
    interpreter_needed = BooleanField(lazy_gettext("I need an interpreter"))
    interpreter_language = StringField(
        lazy_gettext("Which language should the interpreter speak?"),
        [Optional(), _length("interpreter_language")],
    )

    # Equity questions
    age_band = SelectField(lazy_gettext("Age"), choices=AGE_CHOICES)
    gender = SelectField(lazy_gettext("Gender"), choices=GENDER_CHOICES)
    race = SelectField(lazy_gettext("Race or ethnicity"), choices=RACE_CHOICES)

    consent = BooleanField(
        lazy_gettext(
            "I have read the privacy notice and agree that the office may use my answers to "
            "handle my complaint."
        ),
        [InputRequired(lazy_gettext("To send your complaint, agree to the privacy notice."))],
    )
    submit = SubmitField(lazy_gettext("Send my complaint"))

    def __init__(self, *args: Any, today: dt.date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def validate_incident_date(self, field: DateField) -> None:
        """The incident cannot be in the future."""
        if field.data and self.today and field.data > self.today:
            raise ValidationError(lazy_gettext("The date cannot be in the future."))

    def validate_email(self, field: EmailField) -> None:
        """A plausible address (the receipt goes there)."""
        value = (field.data or "").strip()
        if value and not EMAIL.fullmatch(value):
            raise ValidationError(lazy_gettext("Enter an email address like name@example.com."))
        if not value and self.contact_method.data == ContactMethod.EMAIL.value:
            raise ValidationError(
                lazy_gettext("Enter your email address, or choose another way to reach you.")
            )
        if not value and self.email_code.data:
            raise ValidationError(
                lazy_gettext("Enter your email address to get your access code by email.")
            )

    def validate_phone(self, field: TelField) -> None:
        """Digits and the usual separators only; required when phone is the contact method."""
        value = (field.data or "").strip()
        if value and not PHONE.fullmatch(value):
            raise ValidationError(
                lazy_gettext("Enter a phone number using digits, like 555 010 0100.")
            )
        if not value and self.contact_method.data == ContactMethod.PHONE.value:
            raise ValidationError(
                lazy_gettext("Enter your phone number, or choose another way to reach you.")
            )

    def validate_postal_address(self, field: TextAreaField) -> None:
        """Required when letters are the contact method."""
        if not (field.data or "").strip() and self.contact_method.data == ContactMethod.POST.value:
            raise ValidationError(
                lazy_gettext("Enter your postal address, or choose another way to reach you.")
            )

    def validate_name(self, field: StringField) -> None:
        """An anonymous complaint carries no name."""
        if self.is_anonymous.data and (field.data or "").strip():
            raise ValidationError(
                lazy_gettext(
                    'You chose to stay anonymous. Remove your name, or untick "I want to stay '
                    'anonymous".'
                )
            )

    def validate_interpreter_language(self, field: StringField) -> None:
        """Say which language when an interpreter is needed."""
        if self.interpreter_needed.data and not (field.data or "").strip():
            raise ValidationError(
                lazy_gettext("Tell us which language the interpreter should speak.")
            )
