"""Views of the complaint form: the form, submission (Post/Redirect/Get) and the receipt.

The views only translate between HTTP and ``portal.services.intake`` / ``.evidence``: they keep
uploads a failed submission already accepted (as signed tokens in the form), turn the form into
a ``Submission`` and show the receipt to the browser session that filed it — the access code
once. Nothing submitted is ever logged.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import current_app, make_response, redirect, render_template, request, session, url_for
from flask_babel import format_date, format_decimal, format_time
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from wtforms import FieldList, RadioField
from wtforms.fields.choices import SelectChoice

from portal import kept_uploads
from portal.choices import restrict_choices
from portal.clock import utcnow
from portal.extensions import limiter
from portal.i18n import LANGUAGE_NAMES, current_locale
from portal.intake import bp
from portal.intake.forms import CATEGORY_LABELS, ComplaintForm, MultiCheckboxField
from portal.models import Complaint
from portal.request_db import db_session
from portal.services.evidence import EvidenceRejected, StoredFile
from portal.services.intake import (
    IDEMPOTENCY_KEY,
    MAX_OFFICERS,
    ComplainantInfo,
    Demographics,
    OfficerReport,
    Submission,
    file_complaint,
)
from portal.services.receipt_email import ReceiptSettings
from portal.vocabulary import (
    AgeBand,
    AllegationCategory,
    Channel,
    ComplainantRole,
    ContactMethod,
    Gender,
    Race,
)

RECEIPT_KEY = "intake_receipt"  # session: {"id": complaint id, "code": access code or None}
REPLAY_COOKIE = "lantern_replay"  # a separate cookie, so a replay never overwrites the session


def _submit_limit() -> str:
    return str(current_app.config["SUBMIT_RATE_LIMIT"])


def _signer(purpose: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=f"lantern.intake.{purpose}")


def _megabytes(size: int) -> str:
    return str(_("%(size)s MB", size=format_decimal(round(size / (1024 * 1024), 1))))


def _rejection_message(error: EvidenceRejected) -> str:
    return str(_rejection_text(error))


def _rejection_text(error: EvidenceRejected) -> object:
    name = error.filename
    if error.reason == "empty":
        return _('"%(name)s" is empty. Choose the file again, or another file.', name=name)
    if error.reason == "too_large":
        return _(
            '"%(name)s" is too large. One file can be at most %(size)s.',
            name=name,
            size=_megabytes(error.limit_bytes or 0),
        )
    if error.reason == "total_too_large":
        return _(
            '"%(name)s" was not added: all your files together can be at most %(size)s.',
            name=name,
            size=_megabytes(int(current_app.config["UPLOAD_MAX_TOTAL_BYTES"])),
        )
    return _(
        '"%(name)s" is not a type of file we accept. You can send photos, videos, sound '
        "recordings, PDF files, text files and office documents.",
        name=name,
    )


# --- the form -------------------------------------------------------------------------------------


def _new_form() -> ComplaintForm:
    form = ComplaintForm(today=utcnow().date())
    form.district.choices = [
        SelectChoice("", _("I don't know")),
        *(SelectChoice(code, label) for code, label in current_app.config["DISTRICT_CHOICES"]),
    ]
    form.language.choices = [
        SelectChoice(code, LANGUAGE_NAMES.get(code, code))
        for code in current_app.config["LANGUAGE_CODES"]
    ]
    restrict_choices(form.categories, current_app.config["CATEGORY_VALUES"])
    return form


def _error_summary(form: ComplaintForm, file_errors: list[str]) -> list[tuple[str, str]]:
    """(field id to link to, message) for every problem, in the order of the form."""
    items: list[tuple[str, str]] = []
    for field in form:
        if field.name == "evidence":
            items.extend((field.id, message) for message in file_errors)
        elif isinstance(field, FieldList):
            for entry in field:
                for subfield in entry.form:
                    items.extend((subfield.id, message) for message in subfield.errors[:1])
        elif field.errors and field.name != "csrf_token":
            grouped = isinstance(field, RadioField | MultiCheckboxField)
            items.append((f"{field.id}-0" if grouped else field.id, str(field.errors[0])))
    return items


def _render_form(
    form: ComplaintForm,
    kept: list[StoredFile],
    file_errors: list[str],
    *,
    show_errors: bool,
) -> str:
    config = current_app.config
    return render_template(
        "intake/form.html",
        form=form,
        kept=[(stored, kept_uploads.token_for(stored)) for stored in kept],
        file_errors=file_errors,
        errors=_error_summary(form, file_errors) if show_errors else [],
        category_hints={value: hint for value, (_label, hint) in CATEGORY_LABELS.items()},
        max_file=_megabytes(int(config["UPLOAD_MAX_FILE_BYTES"])),
        max_total=_megabytes(int(config["UPLOAD_MAX_TOTAL_BYTES"])),
        can_add_officer=len(form.officers) < MAX_OFFICERS,
    )


def _optional(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


def _submission(form: ComplaintForm, files: list[StoredFile]) -> Submission:
    """The form's answers as the intake service's typed ``Submission``."""
    role = ComplainantRole(form.role.data or "self")
    return Submission(
        narrative=form.narrative.data or "",
        incident_date=form.incident_date.data,
        incident_time=form.incident_time.data,
        incident_date_is_approximate=bool(form.date_is_approximate.data),
        incident_location=_optional(form.location.data),
        district=_optional(form.district.data),
        officers=tuple(
            OfficerReport(
                name=_optional(entry.form.name.data),
                badge=_optional(entry.form.badge.data),
                unit=_optional(entry.form.unit.data),
                description=_optional(entry.form.description.data),
                is_unknown=bool(entry.form.unknown.data),
            )
            for entry in form.officers
            if not entry.form.is_blank()
        ),
        categories=tuple(AllegationCategory(value) for value in form.categories.data or []),
        witnesses=_optional(form.witnesses.data),
        complainant=ComplainantInfo(
            is_anonymous=bool(form.is_anonymous.data),
            role=role,
            name=None if form.is_anonymous.data else _optional(form.name.data),
            on_behalf_of=_optional(form.on_behalf_of.data)
            if role is ComplainantRole.ON_BEHALF
            else None,
            email=_optional(form.email.data),
            phone=_optional(form.phone.data),
            postal_address=_optional(form.postal_address.data),
            contact_method=ContactMethod(form.contact_method.data or "none"),
            language=form.language.data,
            interpreter_needed=bool(form.interpreter_needed.data),
            interpreter_language=_optional(form.interpreter_language.data)
            if form.interpreter_needed.data
            else None,
            wants_code_by_email=bool(form.email_code.data),
            demographics=Demographics(
                age_band=AgeBand(form.age_band.data) if form.age_band.data else None,
                gender=Gender(form.gender.data) if form.gender.data else None,
                race=Race(form.race.data) if form.race.data else None,
            ),
        ),
        consent=bool(form.consent.data),
        attachments=tuple(files),
    )


def _status_url() -> str | None:
    if "status.lookup" not in current_app.view_functions:
        return None
    base = str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    return base + url_for("status.lookup")


@bp.route("", methods=["GET", "POST"], endpoint="form")
@limiter.limit(_submit_limit, methods=["POST"])
def complaint_form() -> Any:
    """The complaint form; a POST files the complaint and redirects to the receipt (303).

    A POST that cannot be filed yet (an answer missing, a file refused, "add another officer")
    shows the form again with every answer and every accepted file kept.
    """
    form = _new_form()
    if request.method == "GET":
        form.idempotency_key.data = secrets.token_urlsafe(24)
        form.language.data = current_locale()
        return _render_form(form, [], [], show_errors=False)

    if not IDEMPOTENCY_KEY.fullmatch(form.idempotency_key.data or ""):
        form.idempotency_key.data = secrets.token_urlsafe(24)
    kept, file_errors = kept_uploads.store_new(
        kept_uploads.kept_from_request(), "evidence", _rejection_message
    )
    if form.add_officer.data:
        if len(form.officers) < MAX_OFFICERS:
            form.officers.append_entry()
        return _render_form(form, kept, file_errors, show_errors=False)
    if not form.validate() or file_errors:
        return _render_form(form, kept, file_errors, show_errors=True)

    filed = file_complaint(
        db_session(),
        _submission(form, kept),
        channel=Channel.ONLINE,
        entered_by=None,
        now=utcnow(),
        access_code_key=current_app.config["ACCESS_CODE_KEY"],
        idempotency_key=form.idempotency_key.data,
        upload_folder=kept_uploads.upload_folder(),
        receipt=ReceiptSettings(
            office_name=current_app.config["OFFICE_NAME"], status_url=_status_url()
        ),
    )
    response = redirect(url_for("intake.receipt"), 303)
    if filed.replayed:
        # Leave the session alone: the first response may already have put the access code in
        # it (a double click), and this response must not overwrite that.
        response.set_cookie(
            REPLAY_COOKIE,
            _signer("replay").dumps(filed.complaint_id),
            max_age=3600,
            path="/complaint",
            httponly=True,
            samesite="Lax",
            secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        )
    else:
        session[RECEIPT_KEY] = {"id": filed.complaint_id, "code": filed.access_code}
        response.delete_cookie(REPLAY_COOKIE, path="/complaint")
    return response


def _receipt_target() -> tuple[int, str | None, bool] | None:
    """(complaint id, access code to show or None, is a replay) for this browser, or None."""
    stored = session.get(RECEIPT_KEY)
    if isinstance(stored, dict) and isinstance(stored.get("id"), int):
        return stored["id"], stored.get("code"), False
    token = request.cookies.get(REPLAY_COOKIE)
    if token:
        try:
            complaint_id = _signer("replay").loads(token)
        except BadSignature:
            return None
        if isinstance(complaint_id, int):
            return complaint_id, None, True
    return None


@bp.get("/receipt")
def receipt() -> Any:
    """The receipt of the complaint this browser just filed: reference, access code (once),
    evidence with sha256, what happens next. Printable (print stylesheet)."""
    target = _receipt_target()
    complaint = db_session().get(Complaint, target[0]) if target else None
    if target is None or complaint is None:
        return make_response(render_template("intake/no_receipt.html"), 404)
    complaint_id, code, replayed = target
    html = render_template(
        "intake/receipt.html",
        complaint=complaint,
        access_code=code,
        replayed=replayed,
        attachments=complaint.attachments,
        status_available="status.lookup" in current_app.view_functions,
        district_name=dict(current_app.config["DISTRICT_CHOICES"]).get(complaint.district or ""),
        categories=[
            str(CATEGORY_LABELS[value][0])
            for value in complaint.reported_categories
            if value in CATEGORY_LABELS
        ],
        format_date=format_date,
        format_time=format_time,
    )
    if code is not None:
        # Shown once: from now on this browser's receipt says the code was already shown.
        session[RECEIPT_KEY] = {"id": complaint_id, "code": None}
    response = make_response(html)
    response.headers["Cache-Control"] = "no-store"
    return response
