"""The staff home page: what this staff member may do, as links."""

from __future__ import annotations

from flask import render_template

from portal.backoffice import bp
from portal.backoffice.guard import requires
from portal.backoffice.navigation import NAV_ITEMS


@bp.route("/")
@requires()
def home() -> str:
    """Links to every staff page the signed-in member's role may open."""
    return render_template("backoffice/home.html", items=NAV_ITEMS[1:])
