"""The action forms of the case page. Each has a prefix, so several forms share one page
without clashing ids, and none carries its own CSRF field: the app-wide ``CSRFProtect`` checks
the page's ``csrf_token`` on every POST (templates render it in each form)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from portal.backoffice.labels import lazy_label
from portal.forms import LanternForm
from portal.vocabulary import (
    ActivityKind,
    AllegationCategory,
    CallDirection,
    CallOutcome,
    CallParty,
    Discipline,
    Finding,
    ScreeningOutcome,
)

TEXT = 5000


class CaseForm(LanternForm):
    """Base of the case page's forms (CSRF is checked app-wide, see the module docstring)."""

    class Meta:
        csrf = False


class ButtonForm(CaseForm):
    """A state change with nothing to fill in (acknowledge, start screening, submit findings)."""


class ReasonForm(CaseForm):
    """A transition that needs a written reason (escalate, return, reopen)."""

    reason = TextAreaField(
        _l("Reason (internal)"),
        [InputRequired(_l("Write the reason.")), Length(max=TEXT)],
    )


class ScreenForm(CaseForm):
    """The screening decision."""

    outcome = RadioField(
        _l("Decision"),
        choices=[SelectChoice(o.value, lazy_label(o)) for o in ScreeningOutcome],
        validators=[InputRequired(_l("Choose a screening decision."))],
    )
    reason = TextAreaField(
        _l("Reason (internal; required to decline)"), [Optional(), Length(max=TEXT)]
    )
    agency = SelectField(
        _l("Refer to (for a referral)"), choices=[], validators=[Optional()], validate_choice=False
    )
    follow_up_on = DateField(_l("Follow up on (for a referral)"), [Optional()])


class AssignForm(CaseForm):
    """Assign the case to an investigator (or supervisor)."""

    assignee = SelectField(
        _l("Investigator"),
        choices=[],
        validators=[InputRequired(_l("Choose someone."))],
        validate_choice=False,
    )


class ActivityForm(CaseForm):
    """Log an investigation activity."""

    kind = SelectField(
        _l("Activity"),
        choices=[
            SelectChoice("", _l("Choose an activity")),
            *[
                SelectChoice(k.value, lazy_label(k))
                for k in ActivityKind
                if k is not ActivityKind.PHONE_CALL  # the call form records calls
            ],
        ],
        validators=[InputRequired(_l("Choose an activity."))],
    )
    occurred_on = DateField(_l("Date"), [InputRequired(_l("Give the date of the activity."))])
    summary = TextAreaField(_l("Summary"), [Optional(), Length(max=TEXT)])


class NoteForm(CaseForm):
    """An internal note."""

    body = TextAreaField(
        _l("Note (staff only)"), [InputRequired(_l("Write the note first.")), Length(max=TEXT)]
    )


class LinkForm(CaseForm):
    """Link a related or duplicate complaint by its reference number."""

    reference = StringField(
        _l("Reference number of the related complaint"),
        [InputRequired(_l("Give the reference number.")), Length(max=32)],
    )
    reason = StringField(_l("Why they are related"), [Optional(), Length(max=500)])


class MessageForm(CaseForm):
    """A message the complainant sees on the status page (and by email if they gave one)."""

    text = TextAreaField(
        _l("Message to the complainant"),
        [InputRequired(_l("Write the message first.")), Length(max=TEXT)],
    )


class ReferralOutcomeForm(CaseForm):
    """What the agency did with a referral."""

    outcome = TextAreaField(
        _l("Outcome reported by the agency"),
        [InputRequired(_l("Describe the outcome.")), Length(max=TEXT)],
    )


class IdentifyOfficerForm(CaseForm):
    """Identify an officer of the complaint on the roster (by badge number)."""

    involved = SelectField(
        _l("Officer on this complaint"), choices=[], validators=[Optional()], validate_choice=False
    )
    badge = StringField(
        _l("Badge number on the roster"),
        [InputRequired(_l("Give the badge number.")), Length(max=32)],
    )


class AllegationForm(CaseForm):
    """Add an allegation: one officer × one category."""

    involved = SelectField(
        _l("Officer"), choices=[], validators=[Optional()], validate_choice=False
    )
    category = SelectField(
        _l("Category"),
        choices=[
            SelectChoice("", _l("Choose a category")),
            *[SelectChoice(c.value, lazy_label(c)) for c in AllegationCategory],
        ],
        validators=[InputRequired(_l("Choose a category."))],
    )


def _finding_choices() -> list[SelectChoice]:
    return [
        SelectChoice("", _l("Choose a finding")),
        *[SelectChoice(f.value, lazy_label(f)) for f in Finding],
    ]


class RecommendForm(CaseForm):
    """The investigator's recommended finding on one allegation."""

    allegation = SelectField(
        _l("Allegation"), choices=[], validators=[InputRequired()], validate_choice=False
    )
    finding = SelectField(
        _l("Recommended finding"),
        choices=_finding_choices(),
        validators=[InputRequired(_l("Choose a finding."))],
    )


class DecideForm(CaseForm):
    """The final finding and the recommended discipline on one allegation (the discipline the
    department imposes is recorded apart: ``portal.backoffice.discipline``)."""

    allegation = SelectField(
        _l("Allegation"), choices=[], validators=[InputRequired()], validate_choice=False
    )
    finding = SelectField(
        _l("Final finding"),
        choices=_finding_choices(),
        validators=[InputRequired(_l("Choose a finding."))],
    )
    discipline = SelectField(
        _l("Recommended discipline"),
        choices=[
            SelectChoice("", _l("None recorded")),
            *[SelectChoice(d.value, lazy_label(d)) for d in Discipline],
        ],
        validators=[Optional()],
    )
    suspension_days = IntegerField(
        _l("Days of suspension"), [Optional(), NumberRange(min=1, max=365)]
    )


class AppealDecisionForm(CaseForm):
    """Decide a complainant's appeal."""

    outcome = RadioField(
        _l("Decision"),
        choices=[
            SelectChoice("upheld", _l("Outcome upheld")),
            SelectChoice("reopened", _l("Reopen the case")),
            SelectChoice("denied", _l("Appeal denied")),
        ],
        validators=[InputRequired(_l("Choose a decision."))],
    )
    decision = TextAreaField(
        _l("Decision as the complainant will read it"),
        [InputRequired(_l("Write the decision.")), Length(max=TEXT)],
    )


class CallForm(CaseForm):
    """Record a phone call made or taken on the case."""

    direction = RadioField(
        _l("Who called"),
        choices=[
            SelectChoice(CallDirection.MADE.value, _l("We called them")),
            SelectChoice(CallDirection.RECEIVED.value, _l("They called us")),
        ],
        default=CallDirection.MADE.value,
        validators=[InputRequired(_l("Say who called."))],
    )
    party = SelectField(
        _l("With"),
        choices=[
            SelectChoice("", _l("Choose who was on the phone")),
            *[SelectChoice(p.value, lazy_label(p)) for p in CallParty],
        ],
        default=CallParty.COMPLAINANT.value,
        validators=[InputRequired(_l("Say who was on the phone."))],
    )
    number = TelField(
        _l("Phone number"),
        [InputRequired(_l("Enter the phone number.")), Length(max=40)],
    )
    day = DateField(_l("Date"), [InputRequired(_l("Give the date of the call."))])
    time = TimeField(_l("Time (UTC)"), [InputRequired(_l("Give the time of the call."))])
    outcome = SelectField(
        _l("Outcome"),
        choices=[
            SelectChoice("", _l("Choose an outcome")),
            *[SelectChoice(o.value, lazy_label(o)) for o in CallOutcome],
        ],
        validators=[InputRequired(_l("Choose how the call went."))],
    )
    note = TextAreaField(_l("Note"), [Optional(), Length(max=TEXT)])

    def validate_number(self, field: TelField) -> None:
        """Digits and the usual separators (the rule of ``portal.services.calls``)."""
        from portal.services.calls import clean_number
        from portal.services.caserules import CaseworkError

        try:
            clean_number(field.data or "")
        except CaseworkError:
            raise ValidationError(
                _l("Enter the phone number with digits, like 555 010 0100.")
            ) from None
