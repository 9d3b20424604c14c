"""Administration: staff accounts (list, add, disable, enable, reset) and the audit trail
(filter, page through, export as CSV). Read-only on the audit trail: no route here or anywhere
edits or deletes an audit entry."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

from flask import (
    Response,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.wrappers import Response as BaseResponse
from wtforms.fields.choices import SelectChoice

from portal import clock
from portal.backoffice import bp
from portal.backoffice.admin_forms import ActionForm, AddStaffForm, AuditFilterForm, RoleForm
from portal.backoffice.guard import requires
from portal.db import begin_write
from portal.models import AuditEntry, Staff
from portal.request_db import db_session, factory
from portal.services import audit, lockout
from portal.services import staff as staff_service
from portal.services.permissions import Permission
from portal.vocabulary import StaffRole

PAGE_SIZE = 50


# --- staff accounts ----------------------------------------------------------------------------


def _render_staff_list(form: AddStaffForm, status: int = 200) -> tuple[str, int]:
    now = clock.utcnow()
    accounts = staff_service.list_staff(db_session())
    states = {
        s.id: (
            _("disabled")
            if not s.is_active
            else _("locked")
            if lockout.is_locked(s, now)
            else _("active")
            if s.is_totp_enrolled
            else _("not set up yet")
        )
        for s in accounts
    }
    html = render_template(
        "backoffice/admin/staff_list.html",
        accounts=accounts,
        states=states,
        form=form,
        action_form=ActionForm(),
        role_field=RoleForm().role,
    )
    return html, status


@bp.get("/admin/staff")
@requires(Permission.STAFF_MANAGE)
def staff_list() -> tuple[str, int]:
    """Every staff account with its role and state, and a form to add one."""
    return _render_staff_list(AddStaffForm())


@bp.post("/admin/staff")
@requires(Permission.STAFF_MANAGE)
def staff_add() -> tuple[str, int]:
    """Add a staff account; the temporary password is shown once, in this response only."""
    form = AddStaffForm()
    if not form.validate_on_submit():
        return _render_staff_list(form, 400)
    session = db_session()
    begin_write(session)
    try:
        staff, password = staff_service.add_staff(
            session,
            email=form.email.data or "",
            role=StaffRole(form.role.data),
            name=form.name.data or "",
            actor_id=g.staff.id,
            now=clock.utcnow(),
        )
    except staff_service.StaffError as refusal:
        session.rollback()
        form.email.errors = [str(refusal)]
        return _render_staff_list(form, 400)
    session.commit()
    html = render_template(
        "backoffice/admin/temporary_password.html",
        account=staff,
        password=password,
        heading=_("Account added"),
    )
    return html, 200


def _account_or_404(staff_id: int) -> Staff:
    from flask import abort

    staff = db_session().get(Staff, staff_id)
    if staff is None:
        abort(404)
    return staff


def _refuse_self(staff: Staff) -> BaseResponse | None:
    if staff.id == g.staff.id:
        flash(_("You cannot do this to your own account. Ask another administrator."), "error")
        return redirect(url_for("backoffice.staff_list"))
    return None


@bp.post("/admin/staff/<int:staff_id>/disable")
@requires(Permission.STAFF_MANAGE)
def staff_disable(staff_id: int) -> BaseResponse:
    """Disable an account (its sessions end at once)."""
    if not ActionForm().validate_on_submit():
        return redirect(url_for("backoffice.staff_list"))
    session = db_session()
    begin_write(session)
    staff = _account_or_404(staff_id)
    refused = _refuse_self(staff)
    if refused:
        return refused
    try:
        staff_service.disable_staff(session, staff, actor_id=g.staff.id, now=clock.utcnow())
    except staff_service.StaffError as refusal:
        flash(str(refusal), "error")
        return redirect(url_for("backoffice.staff_list"))
    session.commit()
    flash(_("Disabled %(email)s. Every session of the account has ended.", email=staff.email))
    return redirect(url_for("backoffice.staff_list"))


@bp.post("/admin/staff/<int:staff_id>/enable")
@requires(Permission.STAFF_MANAGE)
def staff_enable(staff_id: int) -> BaseResponse:
    """Enable an account again (lifts a lockout too)."""
    if not ActionForm().validate_on_submit():
        return redirect(url_for("backoffice.staff_list"))
    session = db_session()
    begin_write(session)
    staff = _account_or_404(staff_id)
    staff_service.enable_staff(session, staff, actor_id=g.staff.id, now=clock.utcnow())
    session.commit()
    flash(_("Enabled %(email)s.", email=staff.email), "success")
    return redirect(url_for("backoffice.staff_list"))


@bp.post("/admin/staff/<int:staff_id>/reset")
@requires(Permission.STAFF_MANAGE)
def staff_reset(staff_id: int) -> BaseResponse | tuple[str, int]:
    """Reset an account: new temporary password (shown once), two-factor set up again."""
    if not ActionForm().validate_on_submit():
        return redirect(url_for("backoffice.staff_list"))
    session = db_session()
    begin_write(session)
    staff = _account_or_404(staff_id)
    refused = _refuse_self(staff)
    if refused:
        return refused
    password = staff_service.reset_staff(session, staff, actor_id=g.staff.id, now=clock.utcnow())
    session.commit()
    html = render_template(
        "backoffice/admin/temporary_password.html",
        account=staff,
        password=password,
        heading=_("Account reset"),
    )
    return html, 200


@bp.post("/admin/staff/<int:staff_id>/role")
@requires(Permission.STAFF_MANAGE)
def staff_role(staff_id: int) -> BaseResponse:
    """Give an account another role (its sessions end)."""
    form = RoleForm()
    if not form.validate_on_submit():
        flash(_("Choose a role."), "error")
        return redirect(url_for("backoffice.staff_list"))
    session = db_session()
    begin_write(session)
    staff = _account_or_404(staff_id)
    refused = _refuse_self(staff)
    if refused:
        return refused
    try:
        staff_service.change_role(
            session, staff, StaffRole(form.role.data), actor_id=g.staff.id, now=clock.utcnow()
        )
    except staff_service.StaffError as refusal:
        flash(str(refusal), "error")
        return redirect(url_for("backoffice.staff_list"))
    session.commit()
    flash(
        _(
            "%(email)s is now %(role)s. Their sessions have ended.",
            email=staff.email,
            role=staff.role.value,
        ),
        "success",
    )
    return redirect(url_for("backoffice.staff_list"))


# --- audit trail -------------------------------------------------------------------------------


def _audit_query(form: AuditFilterForm) -> Select[AuditEntry]:
    query = select(AuditEntry)
    if form.action.data:
        query = query.where(AuditEntry.action == form.action.data.strip())
    if form.actor.data:
        if form.actor.data == "none":
            query = query.where(AuditEntry.actor_id.is_(None))
        elif form.actor.data.isdigit():
            query = query.where(AuditEntry.actor_id == int(form.actor.data))
    if form.object_type.data:
        query = query.where(AuditEntry.object_type == form.object_type.data.strip())
    if form.object_id.data:
        query = query.where(AuditEntry.object_id == form.object_id.data)
    if form.date_from.data:
        start = dt.datetime.combine(form.date_from.data, dt.time(), dt.UTC)
        query = query.where(AuditEntry.at >= start)
    if form.date_to.data:
        end = dt.datetime.combine(form.date_to.data + dt.timedelta(days=1), dt.time(), dt.UTC)
        query = query.where(AuditEntry.at < end)
    return query


def _filter_form() -> AuditFilterForm:
    form = AuditFilterForm(request.args)
    accounts = staff_service.list_staff(db_session())
    form.actor.choices = [
        SelectChoice("", _("Anyone")),
        SelectChoice("none", _("No staff member (public or system)")),
        *[SelectChoice(str(s.id), s.email) for s in accounts],
    ]
    return form


@bp.get("/admin/audit")
@requires(Permission.AUDIT_READ)
def audit_log() -> tuple[str, int]:
    """The audit trail, newest first, filtered and paginated (read-only)."""
    form = _filter_form()
    valid = form.validate()
    for field in (form.date_from, form.date_to):
        if field.errors:
            field.raw_data = []  # a date input may only show a valid date (or nothing)
    session = db_session()
    query = _audit_query(form) if valid else select(AuditEntry).where(AuditEntry.id < 0)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE)
    page = min(max(1, request.args.get("page", 1, type=int) or 1), pages)
    entries = session.scalars(
        query.order_by(AuditEntry.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    ).all()
    emails = {s.id: s.email for s in staff_service.list_staff(session)}
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    html = render_template(
        "backoffice/admin/audit.html",
        form=form,
        entries=entries,
        emails=emails,
        total=total,
        page=page,
        pages=pages,
        args=args,
    )
    return html, 200 if valid else 400


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv_rows(entries: Iterator[AuditEntry], emails: dict[int, str]) -> Iterator[str]:
    import json

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(
        [
            "id",
            "at",
            "actor_id",
            "actor",
            "action",
            "object_type",
            "object_id",
            "before",
            "after",
            "detail",
        ]
    )
    for entry in entries:
        writer.writerow(
            [
                entry.id,
                entry.at.isoformat(),
                entry.actor_id if entry.actor_id is not None else "",
                _cell(emails.get(entry.actor_id, "") if entry.actor_id is not None else ""),
                _cell(entry.action),
                _cell(entry.object_type),
                entry.object_id if entry.object_id is not None else "",
                _cell(json.dumps(entry.before, sort_keys=True) if entry.before is not None else ""),
                _cell(json.dumps(entry.after, sort_keys=True) if entry.after is not None else ""),
                _cell(entry.detail),
            ]
        )
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _stream(
    make_session: sessionmaker[Session], query: Select[AuditEntry], emails: dict[int, str]
) -> Iterator[str]:
    with make_session() as session:
        yield from _csv_rows(iter(session.scalars(query)), emails)


@bp.get("/admin/audit.csv")
@requires(Permission.AUDIT_READ)
def audit_export() -> Response | tuple[str, int]:
    """The filtered audit trail as CSV (oldest first). The export itself is audited."""
    form = _filter_form()
    if not form.validate():
        return audit_log()
    session = db_session()
    emails = {s.id: s.email for s in staff_service.list_staff(session)}
    session.commit()  # end the read so the export's own audit entry can be written
    begin_write(session)
    filters = {k: v for k, v in sorted(request.args.items()) if v and k != "page"}
    audit.record(
        session,
        actor_id=g.staff.id,
        action=audit.AUDIT_EXPORT,
        object_type="audit_log",
        detail="filters=" + ",".join(f"{k}:{v}" for k, v in filters.items())[:500]
        if filters
        else "filters=none",
        now=clock.utcnow(),
    )
    session.commit()
    # Streamed in batches (a server-side cursor on PostgreSQL): memory stays flat however long
    # the trail is. The rows are read by a session of the stream's own, which outlives the
    # request's (closed at teardown, before the body is sent).
    query = _audit_query(form).order_by(AuditEntry.id).execution_options(yield_per=1000)
    stamp = clock.utcnow().strftime("%Y%m%dT%H%M%SZ")
    response = Response(_stream(factory(), query, emails), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response
