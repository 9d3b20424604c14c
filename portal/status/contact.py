"""``/status/contact``: the complainant corrects their own contact details and language.

Signed in on the status page (reference + access code), the complainant sees the email, phone,
postal address and language we hold for them (they gave them: showing them back is what lets
them spot a mistake) and corrects them. CSRF-protected, rate-limited per client, audited as the
complainant (``complaint.contact_corrected``, personal values masked); the history keeps what
was there before (``portal.services.corrections``).
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext, lazy_gettext
from wtforms import EmailField, SelectField, TelField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from portal import clock
from portal.db import begin_write
from portal.extensions import limiter
from portal.forms import LanternForm
from portal.models import Complaint
from portal.request_db import db_session
from portal.services import corrections
from portal.services.caserules import CaseworkError
from portal.status import bp
from portal.status.views import _current_handle, _session_ended

#: Corrections a client may save per hour (the status lookup has its own, stricter limit).
RATE_LIMIT = "10 per hour"


def _(text: str, **values: Any) -> str:
    """``gettext`` typed as ``str``."""
    return str(gettext(text, **values))


class ContactForm(LanternForm):
    """The complainant's contact details (every field may be left empty)."""

    email = EmailField(lazy_gettext("Email address"), [Optional(), Length(max=254)])
    phone = TelField(lazy_gettext("Phone number"), [Optional(), Length(max=40)])
    postal_address = TextAreaField(lazy_gettext("Postal address"), [Optional(), Length(max=1000)])
    language = SelectField(
        lazy_gettext("Language for our emails and letters"),
        choices=[SelectChoice("en", "English"), SelectChoice("es", "Español")],
    )

    def validate_email(self, field: EmailField) -> None:
        """A plausible address."""
        value = (field.data or "").strip()
        if value and not corrections.EMAIL.fullmatch(value):
            raise ValidationError(lazy_gettext("Enter an email address like name@example.com."))

    def validate_phone(self, field: TelField) -> None:
        """Digits and the usual separators only."""
        value = (field.data or "").strip()
        if value and not corrections.PHONE.fullmatch(value):
            raise ValidationError(
                lazy_gettext("Enter a phone number using digits, like 555 010 0100.")
            )


def _page(complaint: Complaint, form: ContactForm, status: int = 200) -> Any:
    errors = [(f.id, f.errors[0]) for f in form if f.errors]
    page = render_template(
        "status/contact.html", reference=complaint.reference, form=form, errors=errors
    )
    return (page, status) if status != 200 else page


@bp.route("/contact", methods=["GET", "POST"])
@limiter.limit(RATE_LIMIT, methods=["POST"])
def contact() -> Any:
    """Show and correct the complainant's contact details (Post/Redirect/Get)."""
    handle = _current_handle()
    if handle is None:
        return _session_ended()
    session = db_session()
    complaint = session.get(Complaint, handle)
    if complaint is None:
        return _session_ended()
    form = ContactForm()
    if not form.is_submitted():
        person = complaint.complainants[0] if complaint.complainants else None
        form = ContactForm(
            formdata=None,
            email=person.email if person else None,
            phone=person.phone if person else None,
            postal_address=person.postal_address if person else None,
            language=complaint.preferred_language,
        )
        return _page(complaint, form)
    if not form.validate():
        return _page(complaint, form, 400)
    session.rollback()
    begin_write(session)
    try:
        changed = corrections.correct_own_contact(
            session,
            handle,
            corrections.ContactDetails(
                email=form.email.data,
                phone=form.phone.data,
                postal_address=form.postal_address.data,
                language=form.language.data or "en",
            ),
            now=clock.utcnow(),
        )
        session.commit()
    except CaseworkError:  # only for input the form already refuses
        session.rollback()
        return _page(complaint, form, 400)
    if changed:
        flash(_("Thank you. We have updated your contact details."), "success")
    else:
        flash(_("Your contact details were already up to date."), "success")
    return redirect(url_for("status.view"), code=303)
