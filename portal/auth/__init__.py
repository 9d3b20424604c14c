"""Staff sign-in: password, TOTP two-factor, enrolment, recovery codes, logout (``/staff/auth``)."""

from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/staff/auth", template_folder="templates")

from portal.auth import views  # noqa: E402,F401  (registers the routes on bp)

__all__ = ["bp"]
