"""Staff intake: a complaint taken by phone, email, letter or in person, entered by staff.

Goes through the same service as the online form (``portal.services.intake.file_complaint``)
with the channel chosen and ``entered_by`` the signed-in staff member; the entry is audited
(``complaint.enter``) in the same transaction. The reference and access code are shown once,
on the next page, to read out or write to the complainant.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import current_app, g, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session
from wtforms.fields.choices import SelectChoice

from portal import clock, kept_uploads
from portal.backoffice import bp
from portal.backoffice.guard import requires
from portal.backoffice.intake_forms import StaffIntakeForm
from portal.choices import restrict_choices
from portal.i18n import LANGUAGE_NAMES
from portal.intake.forms import CATEGORY_LABELS
from portal.intake.views import _submission
from portal.models import Complaint
from portal.request_db import db_session
from portal.services import audit, evidence
from portal.services.evidence import StoredFile
from portal.services.intake import IDEMPOTENCY_KEY, MAX_OFFICERS, file_complaint
from portal.services.permissions import Permission
from portal.services.receipt_email import ReceiptSettings
from portal.vocabulary import Channel

COMPLAINT_ENTER = "complaint.enter"
MB = 1024 * 1024
RECEIPT_KEY = "staff_intake_receipt"  # session: {"id", "reference", "code"} until shown once


def _form() -> StaffIntakeForm:
    form = StaffIntakeForm(today=clock.utcnow().date())
    form.district.choices = [
        SelectChoice("", _("Not known")),
        *(SelectChoice(code, label) for code, label in current_app.config["DISTRICT_CHOICES"]),
    ]
    restrict_choices(form.categories, current_app.config["CATEGORY_VALUES"])
    form.language.choices = [
        SelectChoice(code, LANGUAGE_NAMES.get(code, code))
        for code in current_app.config["LANGUAGE_CODES"]
    ]
    return form


def _errors(form: StaffIntakeForm) -> list[tuple[str, str]]:
    items: list[tuple[str, str]] = []
    for field in form:
        if field.name == "csrf_token":
            continue
        if field.name == "evidence":
            items.extend((field.id, str(m)) for m in field.errors)
            continue
        if field.type == "FieldList":
            for entry in field:
                for sub in entry.form:
                    items.extend((sub.id, str(m)) for m in sub.errors[:1])
        elif field.errors:
            grouped = field.type in {"RadioField", "MultiCheckboxField"}
            items.append((f"{field.id}-0" if grouped else field.id, str(field.errors[0])))
    return items


_REJECTIONS = {
    "empty": _l("%(name)s is empty."),
    "too_large": _l("%(name)s is larger than %(size)s MB."),
    "total_too_large": _l("%(name)s would take the files over %(size)s MB together."),
    "type": _l("%(name)s is not a type of file we accept."),
}


def _refusal(error: evidence.EvidenceRejected) -> str:
    limit = error.limit_bytes or 0
    return str(_REJECTIONS[error.reason]) % {"name": error.filename, "size": limit // MB}


def _render(
    form: StaffIntakeForm,
    kept: list[StoredFile],
    *,
    show_errors: bool,
    status: int = 200,
) -> tuple[str, int]:
    html = render_template(
        "backoffice/intake/form.html",
        form=form,
        kept=[(stored, kept_uploads.token_for(stored)) for stored in kept],
        errors=_errors(form) if show_errors else [],
        category_hints={value: hint for value, (_label, hint) in CATEGORY_LABELS.items()},
        can_add_officer=len(form.officers) < MAX_OFFICERS,
    )
    return html, status


@bp.get("/intake")
@requires(Permission.CASE_ENTER)
def staff_intake() -> tuple[str, int]:
    """The staff intake form (a fresh idempotency key per form)."""
    form = _form()
    form.idempotency_key.data = secrets.token_urlsafe(24)
    return _render(form, [], show_errors=False)


@bp.post("/intake")
@requires(Permission.CASE_ENTER)
def staff_intake_submit() -> Any:
    """File the complaint (once per form) and show its reference and access code once."""
    form = _form()
    if not IDEMPOTENCY_KEY.fullmatch(form.idempotency_key.data or ""):
        form.idempotency_key.data = secrets.token_urlsafe(24)
    # Accepted files are stored now and offered again if the form comes back (kept_uploads).
    files, rejected = kept_uploads.store_new(kept_uploads.kept_from_request(), "evidence", _refusal)
    if form.add_officer.data:
        if len(form.officers) < MAX_OFFICERS:
            form.officers.append_entry()
        return _render(form, files, show_errors=False)
    valid = form.validate()
    form.evidence.errors = rejected
    if not valid or rejected:
        return _render(form, files, show_errors=True, status=400)
    channel = Channel(form.channel.data)
    staff_id = g.staff.id

    def audit_entry(db: Session, complaint: Complaint) -> None:
        audit.record(
            db,
            actor_id=staff_id,
            action=COMPLAINT_ENTER,
            object_type="complaint",
            object_id=complaint.id,
            after={"channel": channel.value, "state": complaint.state.value},
            now=complaint.received_at,
        )

    filed = file_complaint(
        db_session(),
        _submission(form, files),
        channel=channel,
        entered_by=g.staff,
        now=clock.utcnow(),
        access_code_key=current_app.config["ACCESS_CODE_KEY"],
        idempotency_key=form.idempotency_key.data,
        upload_folder=kept_uploads.upload_folder(),
        receipt=ReceiptSettings(office_name=current_app.config["OFFICE_NAME"]),
        before_commit=audit_entry,
    )
    if not filed.replayed:
        session[RECEIPT_KEY] = {
            "id": filed.complaint_id,
            "reference": filed.reference,
            "code": filed.access_code,
        }
    return redirect(
        url_for("backoffice.staff_intake_receipt", complaint_id=filed.complaint_id), 303
    )


@bp.get("/intake/<int:complaint_id>/entered")
@requires(Permission.CASE_ENTER)
def staff_intake_receipt(complaint_id: int) -> tuple[str, int]:
    """The reference and access code of the complaint just entered — the code only once."""
    stored = session.get(RECEIPT_KEY)
    shown = None
    if isinstance(stored, dict) and stored.get("id") == complaint_id:
        shown = stored
        session.pop(RECEIPT_KEY, None)
    complaint = db_session().get(Complaint, complaint_id)
    if complaint is None:
        return render_template("backoffice/intake/entered.html", complaint=None, shown=None), 404
    return (
        render_template(
            "backoffice/intake/entered.html",
            complaint=complaint,
            shown=shown,
        ),
        200,
    )
