"""Views of the status pages: look up a complaint, read its timeline, add to it, withdraw it.

The lookup is a POST (reference and code never in a URL, a log or the browser history). A
successful lookup renders the status page at once and remembers the complaint's internal id —
never the code — in the signed session for ``SESSION_MINUTES`` of inactivity, so the page's own
forms (add information, withdraw, sign out) work with Post/Redirect/Get to ``/status/view``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext, ngettext
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response as BaseResponse

from portal import clock
from portal.extensions import limiter
from portal.request_db import db_session
from portal.services import appeals, evidence
from portal.services import status as status_service
from portal.services.clocks import ServiceLevels
from portal.services.identifiers import (
    ACCESS_CODE_LENGTH,
    ReferenceFormatError,
    normalize_access_code,
    parse_reference,
)
from portal.services.notify import MailSettings
from portal.services.status import PublicView
from portal.status import bp
from portal.status.forms import (
    AddInformationForm,
    LookupForm,
    ReviewForm,
    SignOutForm,
    SurveyForm,
    WithdrawForm,
)
from portal.status.labels import expected_label, next_step_text, status_meaning, status_name


def _(text: str, **variables: Any) -> str:
    """``gettext`` typed (Flask-Babel is not)."""
    return str(gettext(text, **variables))


SESSION_KEY = "status"
SESSION_MINUTES = 30

Page = str | tuple[str, int] | BaseResponse


def _lookup_limit() -> str:
    return str(current_app.config["LOOKUP_RATE_LIMIT"])


def _levels() -> ServiceLevels:
    """The service levels of this app (parsed once)."""
    cached = current_app.extensions.get("lantern.status_levels")
    if cached is None:
        cached = ServiceLevels.from_config(current_app.config)
        current_app.extensions["lantern.status_levels"] = cached
    return cached


def _remember(handle: int) -> None:
    session[SESSION_KEY] = {"id": handle, "seen": int(time.time())}


def _current_handle() -> int | None:
    """The complaint this browser looked up, unless it was idle for too long."""
    data = session.get(SESSION_KEY)
    if not isinstance(data, dict) or not isinstance(data.get("id"), int):
        return None
    if time.time() - float(data.get("seen", 0)) > SESSION_MINUTES * 60:
        session.pop(SESSION_KEY, None)
        return None
    _remember(data["id"])
    return int(data["id"])


def _session_ended() -> BaseResponse:
    flash(_("For your security you need to enter your reference number and access code again."))
    return redirect(url_for("status.lookup"), code=303)


def _reference_error(reason: str) -> str:
    if reason == "length":
        return _(
            "A reference number has 8 letters and numbers after LNT, for example LNT-7K3M-Q9XD. "
            "Check that you copied all of it."
        )
    if reason == "symbol":
        return _(
            "This reference number has a character we never use. Check it against your receipt."
        )
    return _(
        "This reference number is not right: a character is probably mistyped. Check each "
        "character against your receipt, especially the last one."
    )


def _minutes_until(epoch_seconds: float) -> int:
    # Storages round the window's end up by a second or so: do not turn 60 s into "2 minutes".
    return max(1, math.ceil((epoch_seconds - time.time() - 2) / 60))


@bp.route("", methods=["GET", "POST"])
@limiter.limit(_lookup_limit, methods=["POST"])
def lookup() -> Page:
    """The lookup form; on a valid POST, the status page itself.

    The POST reads its two fields directly (CSRF is checked for every POST by ``CSRFProtect``);
    the WTForms form is built only to show the form again, with the reference kept and the
    code never sent back.
    """
    if request.method != "POST":
        return _lookup_page({})
    reference = request.form.get("reference", "")
    code = request.form.get("access_code", "")
    problems = _lookup_problems(reference, code)
    if problems:
        return _lookup_page(problems)
    config = current_app.config
    now = clock.utcnow()
    try:
        view = status_service.lookup(
            db_session(),
            reference,
            code,
            key=str(config["ACCESS_CODE_KEY"]),
            now=now,
            levels=_levels(),
            max_failures=int(config["LOOKUP_FAILURES_PER_REFERENCE"]),
            lock_minutes=int(config["LOOKUP_LOCK_MINUTES"]),
        )
    except status_service.ReferenceLocked as locked:
        seconds = (locked.until - now).total_seconds()
        return _lookup_page({}, locked_minutes=max(1, math.ceil(seconds / 60)))
    if view is None:
        return _lookup_page(
            {
                "reference": _(
                    "We could not find a complaint with this reference number and access "
                    "code. Check both against your receipt and try again."
                )
            }
        )
    _remember(view.handle)
    return _render_status(view)


def _lookup_problems(reference: str, code: str) -> dict[str, str]:
    """What is wrong with the typed reference and code before any lookup (field → message)."""
    problems: dict[str, str] = {}
    if not reference.strip():
        problems["reference"] = _("Enter your reference number")
    else:
        try:
            parse_reference(reference)
        except ReferenceFormatError as error:
            problems["reference"] = _reference_error(error.reason)
    if not code.strip():
        problems["access_code"] = _("Enter your access code")
    elif len(normalize_access_code(code)) != ACCESS_CODE_LENGTH:
        problems["access_code"] = _(
            "An access code has 12 letters and numbers, for example 7K3M-Q9XD-4B2N. Check it "
            "against your receipt."
        )
    return problems


def _lookup_page(problems: dict[str, str], locked_minutes: int | None = None) -> Page:
    """The lookup form, with ``problems`` shown at their fields (429 while locked)."""
    form = LookupForm()
    for name, message in problems.items():
        form[name].errors = [message]
    form.access_code.data = ""  # never sent back to the browser
    errors = [(field.id, field.errors[0]) for field in form if field.errors]
    page = render_template(
        "status/lookup.html", form=form, errors=errors, locked_minutes=locked_minutes
    )
    return (page, 429) if locked_minutes else page


def _render_status(view: PublicView) -> str:
    return render_template(
        "status/view.html",
        view=view,
        status_name=status_name,
        status_meaning=status_meaning,
        next_step_text=next_step_text,
        expected_label=expected_label,
    )


@bp.get("/view")
def view() -> Page:
    """The status page of the complaint this browser looked up (after Post/Redirect/Get)."""
    handle = _current_handle()
    if handle is None:
        return _session_ended()
    public = status_service.view_complaint(
        db_session(), handle, now=clock.utcnow(), levels=_levels()
    )
    if public is None:
        session.pop(SESSION_KEY, None)
        return _session_ended()
    return _render_status(public)


def _rejection(error: evidence.EvidenceRejected) -> str:
    config = current_app.config
    if error.reason == "empty":
        return _("The file %(name)s is empty.", name=error.filename)
    if error.reason == "too_large":
        megabytes = int(config["UPLOAD_MAX_FILE_BYTES"]) // (1024 * 1024)
        return _(
            "The file %(name)s is too large. Each file can be up to %(mb)d MB.",
            name=error.filename,
            mb=megabytes,
        )
    if error.reason == "total_too_large":
        megabytes = int(config["UPLOAD_MAX_TOTAL_BYTES"]) // (1024 * 1024)
        return _(
            "The file %(name)s does not fit: all the files of one complaint together can be up "
            "to %(mb)d MB.",
            name=error.filename,
            mb=megabytes,
        )
    return _(
        "The file %(name)s is not a type we accept. Send photos, videos, sound recordings, PDF, "
        "text or office documents.",
        name=error.filename,
    )


@bp.route("/add", methods=["GET", "POST"])
def add() -> Page:
    """The add-information form; a POST adds text and/or files, then back to the status page."""
    handle = _current_handle()
    if handle is None:
        return _session_ended()
    form = AddInformationForm()
    db = db_session()
    now = clock.utcnow()
    if request.method == "GET":
        return _redisplay(handle, form, code=200)
    if not form.validate_on_submit():
        return _redisplay(handle, form)
    config = current_app.config
    folder = Path(config["UPLOAD_FOLDER"])
    uploads: list[FileStorage] = [f for f in request.files.getlist(form.files.name) if f.filename]
    remaining = int(config["UPLOAD_MAX_TOTAL_BYTES"]) - evidence.total_attached_bytes(db, handle)
    stored: list[evidence.StoredFile] = []
    try:
        for upload in uploads:
            kept = evidence.store_upload(
                upload.stream,
                upload.filename,
                folder,
                max_file_bytes=int(config["UPLOAD_MAX_FILE_BYTES"]),
                remaining_total_bytes=remaining,
            )
            stored.append(kept)
            remaining -= kept.size_bytes
    except evidence.EvidenceRejected as error:
        evidence.discard(folder, stored)
        form.files.errors = [_rejection(error)]
        return _redisplay(handle, form)
    text = form.text.data or ""
    if not text.strip() and not stored:
        form.text.errors = [_("Write what you want to add, or choose a file.")]
        return _redisplay(handle, form)
    try:
        with evidence.removed_on_failure(folder, stored):
            status_service.add_information(db, handle, text=text, files=stored, now=now)
    except status_service.ComplaintClosed:
        flash(_("This complaint is closed, so nothing more can be added to it."), "error")
        return redirect(url_for("status.view"), code=303)
    message = (
        ngettext(
            "Thank you. We have added %(num)d file to your complaint.",
            "Thank you. We have added your %(num)d files to your complaint.",
            len(stored),
        )
        if stored
        else _("Thank you. We have added this to your complaint.")
    )
    flash(message, "success")
    return redirect(url_for("status.view"), code=303)


def _redisplay(handle: int, form: AddInformationForm, code: int = 400) -> Page:
    """The add-information page (again, with its errors: what was typed is kept)."""
    public = status_service.view_complaint(
        db_session(), handle, now=clock.utcnow(), levels=_levels()
    )
    if public is None:
        return _session_ended()
    if not public.is_open:
        flash(_("This complaint is closed, so nothing more can be added to it."), "error")
        return redirect(url_for("status.view"), code=303)
    errors = [(f.id, f.errors[0]) for f in form if f.errors]
    page = render_template("status/add.html", view=public, form=form, errors=errors)
    return (page, code) if code != 200 else page


@bp.route("/withdraw", methods=["GET", "POST"])
def withdraw() -> Page:
    """Confirm, then withdraw the open complaint."""
    handle = _current_handle()
    if handle is None:
        return _session_ended()
    db = db_session()
    public = status_service.view_complaint(db, handle, now=clock.utcnow(), levels=_levels())
    if public is None:
        return _session_ended()
    if not public.is_open:
        flash(_("This complaint is already closed, so it cannot be withdrawn."), "error")
        return redirect(url_for("status.view"), code=303)
    form = WithdrawForm()
    if form.validate_on_submit():
        try:
            status_service.withdraw(
                db,
                handle,
                reason=form.reason.data or "",
                now=clock.utcnow(),
                settings=MailSettings.from_config(current_app.config),
            )
        except status_service.ComplaintClosed:
            flash(_("This complaint is already closed, so it cannot be withdrawn."), "error")
        else:
            flash(_("You have withdrawn your complaint."), "success")
        return redirect(url_for("status.view"), code=303)
    errors = [(f.id, f.errors[0]) for f in form if f.errors]
    return render_template("status/withdraw.html", view=public, form=form, errors=errors)


@bp.post("/sign-out")
def sign_out() -> BaseResponse:
    """Forget the looked-up complaint in this browser."""
    form = SignOutForm()
    if form.validate_on_submit():
        session.pop(SESSION_KEY, None)
        flash(_("You have signed out. Your complaint is not shown on this device any more."))
    return redirect(url_for("status.lookup"), code=303)


@bp.errorhandler(429)
def too_many(_error: Exception) -> tuple[str, int]:
    """Too many lookups from this address: say in plain words when to try again."""
    current = limiter.current_limit
    minutes = _minutes_until(current.reset_at) if current is not None else 1
    return render_template("status/too_many.html", minutes=minutes), 429


def _closed_page(handle: int) -> PublicView | None:
    return status_service.view_complaint(db_session(), handle, now=clock.utcnow(), levels=_levels())


def _after_closure(
    may: Callable[[PublicView], bool], refusal: str
) -> tuple[int, PublicView] | BaseResponse:
    """The signed-in closed complaint when ``may`` allows the step; otherwise the redirect
    (to the lookup when the status session ended, to the status page with ``refusal``)."""
    handle = _current_handle()
    public = _closed_page(handle) if handle is not None else None
    if handle is None or public is None:
        return _session_ended()
    if not may(public):
        flash(refusal, "error")
        return redirect(url_for("status.view"), code=303)
    return handle, public


@bp.route("/review", methods=["GET", "POST"])
def review() -> Page:
    """Ask for a review of the decision on the closed complaint."""
    found = _after_closure(
        lambda v: v.can_request_review, _("A review cannot be requested for this complaint now.")
    )
    if isinstance(found, BaseResponse):
        return found
    handle, public = found
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            status_service.request_review(
                db_session(),
                handle,
                reason=form.reason.data,
                now=clock.utcnow(),
                settings=MailSettings.from_config(current_app.config),
            )
        except status_service.NotAvailable:
            flash(_("A review cannot be requested for this complaint now."), "error")
        else:
            flash(_("We have received your request for a review."), "success")
        return redirect(url_for("status.view"), code=303)
    errors = [(f.id, f.errors[0]) for f in form if f.errors]
    page = render_template("status/review.html", view=public, form=form, errors=errors)
    return (page, 400) if errors else page


@bp.route("/survey", methods=["GET", "POST"])
def survey() -> Page:
    """The short satisfaction survey after closure."""
    found = _after_closure(
        lambda v: v.can_answer_survey, _("The survey is not open for this complaint.")
    )
    if isinstance(found, BaseResponse):
        return found
    handle, public = found
    form = SurveyForm()
    if form.validate_on_submit():

        def rating(value: str | None) -> int | None:
            return int(value) if value else None

        answers = appeals.SurveyAnswers(
            ease=rating(form.ease.data),
            kept_informed=rating(form.kept_informed.data),
            treated_fairly=rating(form.treated_fairly.data),
            would_recommend={"yes": True, "no": False}.get(form.would_recommend.data or ""),
            comment=form.comment.data or None,
        )
        try:
            status_service.answer_survey(db_session(), handle, answers, now=clock.utcnow())
        except status_service.NotAvailable:
            flash(_("The survey is not open for this complaint."), "error")
        else:
            flash(_("Thank you for answering our survey."), "success")
        return redirect(url_for("status.view"), code=303)
    errors = [(f.id, f.errors[0]) for f in form if f.errors]
    page = render_template("status/survey.html", view=public, form=form, errors=errors)
    return (page, 400) if errors else page
