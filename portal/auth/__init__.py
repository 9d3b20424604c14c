"""Staff sign-in: password, TOTP two-factor, enrolment, recovery codes, logout (``/staff/auth``)."""

from flask import Blueprint, Flask
from flask.blueprints import BlueprintSetupState

bp = Blueprint("auth", __name__, url_prefix="/staff/auth", template_folder="templates")


@bp.record_once
def _install_session_interface(state: BlueprintSetupState) -> None:
    """Staff sessions need the cookie's Secure flag on HTTPS (see ``session.SessionInterface``)."""
    from portal.auth.session import SessionInterface

    app = state.app
    assert isinstance(app, Flask)
    app.session_interface = SessionInterface()


from portal.auth import views  # noqa: E402,F401  (registers the routes on bp)

__all__ = ["bp"]
