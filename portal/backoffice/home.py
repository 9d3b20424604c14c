"""The staff home page: the desk (``portal.backoffice.desk``) for staff who work cases, and
links to every page this staff member may open."""

from __future__ import annotations

from flask import render_template

from portal.backoffice import bp
from portal.backoffice.desk import desk_context
from portal.backoffice.guard import requires
from portal.backoffice.navigation import NAV_ITEMS


@bp.route("/")
@requires()
def home() -> str:
    """The desk (new events, my cases, team workload, reviews waiting) and the staff links."""
    return render_template("backoffice/home.html", items=NAV_ITEMS[1:], **desk_context())
