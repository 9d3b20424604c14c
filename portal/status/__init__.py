"""Status lookup by reference and access code; adding information; withdrawing (``/status``)."""

from flask import Blueprint

bp = Blueprint("status", __name__, url_prefix="/status", template_folder="templates")

from portal.status import views  # noqa: E402,F401  (registers the routes on bp)

__all__ = ["bp"]
