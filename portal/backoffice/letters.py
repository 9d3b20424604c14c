"""The "Letters to print" page: letters to complainants queued in the outbox, downloaded as PDFs
(one letter, or the selected ones as one PDF), then marked printed and mailed. Thin views over
``portal.services.letters``, which audits every download and every mark on the letter's case."""

from __future__ import annotations

from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from werkzeug.wrappers import Response as BaseResponse

from portal import clock
from portal.backoffice import bp
from portal.backoffice.guard import requires
from portal.db import begin_write
from portal.forms import LanternForm
from portal.request_db import db_session
from portal.services import letters
from portal.services.caserules import CaseworkError
from portal.services.permissions import Permission
from portal.vocabulary import OutboxStatus

#: Letters in one combined PDF: 0.1–0.45 s each on two busy cores, so 50 stay well inside
#: gunicorn's 60 s worker timeout (measured: 50 letters 8 s; 100 letters 45 s under load 16).
MAX_BATCH = 50


class LettersForm(LanternForm):
    """The selection form of the page (the CSRF token; letters and action are read by hand)."""


def _(text: str, **values: Any) -> str:
    return str(gettext(text, **values))


def _settings() -> letters.LetterSettings:
    return letters.LetterSettings.from_config(current_app.config)


def _pdf(pdf: bytes, name: str) -> Response:
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _render(
    form: LettersForm, selected: set[int] | None = None, error: str | None = None
) -> tuple[str, int]:
    waiting = letters.waiting_letters(db_session())
    return (
        render_template(
            "backoffice/letters/list.html",
            form=form,
            to_print=[lt for lt in waiting if lt.message.status is OutboxStatus.PENDING],
            to_mail=[lt for lt in waiting if lt.message.status is OutboxStatus.PRINTED],
            mailed=letters.recently_mailed(db_session(), now=clock.utcnow()),
            selected=selected,
            error=error,
            max_batch=MAX_BATCH,
        ),
        400 if error else 200,
    )


@bp.get("/letters")
@requires(Permission.LETTERS_PRINT)
def letters_list() -> tuple[str, int]:
    """Letters waiting to be printed, and printed ones waiting to be mailed."""
    return _render(LettersForm())


def _download(found: list[letters.Letter], name: str) -> Response:
    """Bring unmailed letters up to corrected addresses, audit (committed), send the PDF."""
    settings = _settings()
    session = db_session()
    session.rollback()
    begin_write(session)
    ids = [letter.message.id for letter in found]
    found = letters.letters_by_id(session, ids)
    now = clock.utcnow()
    letters.follow_corrections(session, found, actor=g.staff, now=now)
    letters.record_download(session, found, actor=g.staff, now=now)
    session.commit()  # before rendering: no write lock held for the seconds a batch takes
    return _pdf(letters.render_pdf(found, settings), name)


@bp.get("/letters/<int:letter_id>.pdf")
@requires(Permission.LETTERS_PRINT)
def letter_pdf(letter_id: int) -> Response:
    """One letter as a PDF (any state, so a mailed letter can be printed again); audited."""
    found = letters.letters_by_id(db_session(), [letter_id])
    if not found:
        abort(404)
    return _download(found, f"letter-{letter_id}.pdf")


@bp.post("/letters")
@requires(Permission.LETTERS_PRINT)
def letters_act() -> Response | BaseResponse | tuple[str, int]:
    """Download the selected letters as one PDF, or mark them printed, mailed or returned."""
    form = LettersForm()
    ids = {int(v) for v in request.form.getlist("letter") if v.isdigit()}
    action = request.form.get("action", "")
    if not form.validate_on_submit():
        return _render(form, ids, _("The form expired. Try again."))
    if action not in ("download", "printed", "mailed", "returned"):
        return _render(form, ids, _("Choose what to do with the selected letters."))
    if not ids:
        return _render(form, ids, _("Choose at least one letter."))
    if action == "download":
        if len(ids) > MAX_BATCH:
            return _render(
                form, ids, _("Choose at most %(count)d letters for one PDF.", count=MAX_BATCH)
            )
        found = letters.letters_by_id(db_session(), sorted(ids))
        if len(found) != len(ids):
            return _render(form, ids, _("One of the chosen letters does not exist."))
        return _download(found, f"letters-{clock.utcnow():%Y%m%d-%H%M}.pdf")
    session = db_session()
    session.rollback()
    begin_write(session)
    try:
        if action == "returned":
            marked = letters.mark_returned(session, sorted(ids), actor=g.staff, now=clock.utcnow())
        else:
            marked = letters.mark_letters(
                session, sorted(ids), mailed=action == "mailed", actor=g.staff, now=clock.utcnow()
            )
        session.commit()
    except CaseworkError as refusal:
        session.rollback()
        return _render(form, ids, str(refusal))
    if action == "returned":
        flash(_("Marked returned by the post: %(count)d letters.", count=len(marked)), "success")
    elif action == "mailed":
        flash(_("Marked mailed: %(count)d letters.", count=len(marked)), "success")
    else:
        flash(_("Marked printed: %(count)d letters.", count=len(marked)), "success")
    return redirect(url_for("backoffice.letters_list"), 303)
