"""Status lookup by reference and access code; adding information; withdrawing (``/status``)."""

from flask import Blueprint

bp = Blueprint("status", __name__, url_prefix="/status", template_folder="templates")

# Importing the view modules registers their routes on bp.
from portal.status import (  # noqa: E402
    code_guard,  # noqa: F401  (a replaced access code ends status sessions)
    contact,  # noqa: F401  (correcting contact details)
    views,  # noqa: F401
)

__all__ = ["bp"]
