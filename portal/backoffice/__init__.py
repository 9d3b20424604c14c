"""The guarded staff area (``/staff``): every endpoint here requires a signed-in staff member."""

from flask import Blueprint

bp = Blueprint("backoffice", __name__, url_prefix="/staff", template_folder="templates")

from portal.backoffice import views  # noqa: E402,F401  (registers the routes on bp)

__all__ = ["bp"]
