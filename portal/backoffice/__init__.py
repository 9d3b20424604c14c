"""The guarded staff area (``/staff``): every endpoint here requires a signed-in staff member.

One ``before_request`` guard (``portal.backoffice.guard.guard_request``) covers every route of
this blueprint: sign-in with two factors, a live session, and the permissions the view declared
with ``requires(...)`` (a view without it is refused). See guard.py.
"""

from flask import Blueprint

from portal.backoffice.guard import can_open, guard_request, staff_can
from portal.backoffice.navigation import staff_nav_items

bp = Blueprint("backoffice", __name__, url_prefix="/staff", template_folder="templates")
bp.before_request(guard_request)
bp.add_app_template_global(staff_can, "staff_can")
bp.add_app_template_global(can_open, "can_open")
bp.add_app_template_global(staff_nav_items, "staff_nav_items")

from portal.backoffice import views  # noqa: E402,F401  (registers the routes on bp)

__all__ = ["bp"]
