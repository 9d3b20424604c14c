"""Staff add evidence to a case after intake: one page with a file field (several files), the
same checks as the resident's uploads, and the kept-files behaviour of the intake forms: files
accepted once stay with the form when it comes back with a problem (``portal.kept_uploads``).
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, g, redirect, render_template, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import MultipleFileField

from portal import clock, kept_uploads
from portal.backoffice import bp
from portal.backoffice.case_forms import CaseForm
from portal.backoffice.guard import requires
from portal.backoffice.intake import _refusal
from portal.db import begin_write
from portal.models import Complaint
from portal.request_db import db_session
from portal.services import evidence, staff_evidence
from portal.services.casework import CaseworkError
from portal.services.evidence import StoredFile
from portal.services.permissions import Permission
from portal.vocabulary import CLOSED_STATES

FIELD = "files"


class EvidenceForm(CaseForm):
    """Files to add (the kept ones come back as ``kept_file`` tokens)."""

    files = MultipleFileField(_l("Files"))


def _complaint(complaint_id: int) -> Complaint:
    complaint = db_session().get(Complaint, complaint_id)
    if complaint is None:
        abort(404)
    return complaint


def _render(
    complaint: Complaint, kept: list[StoredFile], errors: list[str], status: int = 200
) -> tuple[str, int]:
    html = render_template(
        "backoffice/cases/evidence.html",
        complaint=complaint,
        form=EvidenceForm(),
        kept=[(stored, kept_uploads.token_for(stored)) for stored in kept],
        file_errors=errors,
        errors=[("files", e) for e in errors],
        is_closed=complaint.state in CLOSED_STATES,
        max_mb=int(current_app.config["UPLOAD_MAX_FILE_BYTES"]) // evidence.MB,
    )
    return html, status


@bp.get("/cases/<int:complaint_id>/evidence")
@requires(Permission.CASE_VIEW, Permission.CASE_INVESTIGATE)
def case_evidence(complaint_id: int) -> tuple[str, int]:
    """The add-evidence form of one case."""
    return _render(_complaint(complaint_id), [], [])


@bp.post("/cases/<int:complaint_id>/evidence")
@requires(Permission.CASE_VIEW, Permission.CASE_INVESTIGATE)
def case_evidence_submit(complaint_id: int) -> Any:
    """Check and store the chosen files; attach them all, or come back with the accepted ones
    kept and a message for each refused one."""
    complaint = _complaint(complaint_id)
    held, refused = kept_uploads.store_new(kept_uploads.kept_from_request(), FIELD, _refusal)
    if refused:
        return _render(complaint, held, refused, 400)
    if not held:
        return _render(complaint, [], [gettext("Choose at least one file.")], 400)
    session = db_session()
    session.rollback()
    begin_write(session)
    folder = kept_uploads.upload_folder()
    try:
        with evidence.removed_on_failure(folder, held):
            staff_evidence.add_evidence(
                session,
                complaint_id,
                held,
                max_total_bytes=int(current_app.config["UPLOAD_MAX_TOTAL_BYTES"]),
                actor=g.staff,
                now=clock.utcnow(),
            )
            session.commit()
    except CaseworkError as refusal:
        session.rollback()
        complaint = _complaint(complaint_id)
        return _render(complaint, [], [str(refusal)], 400)
    flash(gettext("%(num)d file(s) added to the evidence.", num=len(held)), "success")
    return redirect(
        url_for("backoffice.case_page", complaint_id=complaint_id, _anchor="evidence"), 303
    )
