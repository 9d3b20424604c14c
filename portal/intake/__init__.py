"""The resident's complaint form, receipt and printable receipt (``/complaint``)."""

from flask import Blueprint

bp = Blueprint("intake", __name__, url_prefix="/complaint", template_folder="templates")

from portal.intake import views  # noqa: E402,F401  (registers the routes on bp)

__all__ = ["bp"]
