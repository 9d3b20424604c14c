"""The case queue (filters, search, sort, pages) and the commissioner's closed-case views.

Thin views over ``portal.services.queue``: the filter form is a GET form, so the queue works
without JavaScript and every filtered page has its own address.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, g, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import ColumnElement
from wtforms.fields.choices import SelectChoice

from portal import clock
from portal.backoffice import bp
from portal.backoffice.case_forms import AppealDecisionForm
from portal.backoffice.guard import requires
from portal.backoffice.labels import label
from portal.backoffice.queue_forms import QueueFilterForm, status_choices
from portal.request_db import db_session
from portal.services import appeals, calls
from portal.services import queue as queue_service
from portal.services.permissions import Permission, has_permission
from portal.services.queue import QueueFilters, SortKey, StatusGroup
from portal.vocabulary import AllegationCategory, Channel

bp.add_app_template_filter(label, "label")

#: Sortable columns of the queue table, in display order: (sort key, column heading).
SORTABLE = (SortKey.REFERENCE, SortKey.RECEIVED, SortKey.STATE, SortKey.CHANNEL, SortKey.DISTRICT)


def _filter_form() -> QueueFilterForm:
    form = QueueFilterForm(request.args)
    form.status.choices = status_choices()
    form.district.choices = [
        SelectChoice("", _("Any")),
        *(SelectChoice(code, name) for code, name in current_app.config["DISTRICT_CHOICES"]),
    ]
    return form


def _deadline_condition(value: str | None) -> ColumnElement[bool] | None:
    """The SQL condition for the deadline filter (overdue / due soon), from the clocks service."""
    if not value:
        return None
    from portal.services import clocks

    levels = clocks.ServiceLevels.from_config(current_app.config)
    now = clock.utcnow()
    if value == "overdue":
        return clocks.overdue_condition(levels, now)
    return clocks.due_soon_condition(levels, now)


def _filters(form: QueueFilterForm) -> QueueFilters:
    """The service's filters from a validated form (invalid values are ignored)."""
    status = form.status.data or StatusGroup.OPEN.value
    try:
        queue_service.status_states(status)
    except ValueError:
        status = StatusGroup.OPEN.value
    sort = form.sort.data if form.sort.data in {k.value for k in SortKey} else SortKey.RECEIVED
    return QueueFilters(
        status=status,
        assigned_to_id=g.staff.id if form.mine.data else None,
        channel=Channel(form.channel.data) if form.channel.data in set(Channel) else None,
        district=form.district.data or None,
        category=AllegationCategory(form.category.data)
        if form.category.data in set(AllegationCategory)
        else None,
        reference=(form.q.data or "").strip() or None,
        referral_due_on=clock.utcnow().date() if form.followup.data else None,
        sort=SortKey(sort),
        descending=form.dir.data == "desc",
        page=request.args.get("page", 1, type=int) or 1,
    )


def _sort_links(filters: QueueFilters, args: dict[str, Any]) -> list[dict[str, Any]]:
    """Each sortable column: its key, its aria-sort state and the link that sorts by it."""
    links = []
    for key in SORTABLE:
        active = filters.sort is key
        descending = not filters.descending if active else False
        links.append(
            {
                "key": key.value,
                "aria_sort": ("descending" if filters.descending else "ascending")
                if active
                else None,
                "url": url_for(
                    "backoffice.case_queue",
                    **(args | {"sort": key.value, "dir": "desc" if descending else "asc"}),
                ),
            }
        )
    return links


@bp.get("/cases")
@requires(Permission.CASE_QUEUE)
def case_queue() -> tuple[str, int]:
    """The case queue: filters, reference search, sortable columns, one page at a time."""
    form = _filter_form()
    valid = form.validate()
    filters = _filters(form) if valid else QueueFilters()
    deadline = form.deadline.data if valid else None
    page = queue_service.case_queue(
        db_session(), filters, deadline_condition=_deadline_condition(deadline)
    )
    args = {k: v for k, v in request.args.items() if v and k != "page"}
    unsorted = {k: v for k, v in args.items() if k not in {"sort", "dir"}}
    html = render_template(
        "backoffice/cases/queue.html",
        form=form,
        result=page,
        filters=filters,
        args=args,
        sort_links=_sort_links(filters, unsorted),
        districts=dict(current_app.config["DISTRICT_CHOICES"]),
    )
    return html, 200 if valid else 400


# --- commissioners: closed cases without complainant identity --------------------------------


@bp.get("/closed")
@requires(Permission.CASE_VIEW_ANONYMIZED)
def closed_cases() -> str:
    """Closed cases without complainant identity (no names, contacts, narrative, reference)."""
    page = queue_service.closed_case_summaries(
        db_session(), page=request.args.get("page", 1, type=int) or 1
    )
    return render_template(
        "backoffice/cases/closed_list.html",
        result=page,
        districts=dict(current_app.config["DISTRICT_CHOICES"]),
    )


@bp.get("/closed/<int:complaint_id>")
@requires(Permission.CASE_VIEW_ANONYMIZED)
def closed_case(complaint_id: int) -> str:
    """One closed case without complainant identity, with its allegations and findings."""
    session = db_session()
    summary = queue_service.closed_case_summary(session, complaint_id)
    if summary is None:
        abort(404)
    appeal = appeals.open_appeal(session, complaint_id)
    may_decide = has_permission(g.staff.role, Permission.APPEAL_DECIDE)
    return render_template(
        "backoffice/cases/closed_case.html",
        case=summary,
        districts=dict(current_app.config["DISTRICT_CHOICES"]),
        appeal=appeal if may_decide else None,
        appeal_form=AppealDecisionForm(prefix="appeal") if appeal and may_decide else None,
        calls=calls.call_log(session, complaint_id),
    )
