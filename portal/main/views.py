"""Views of the main blueprint."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
)
from werkzeug.wrappers import Response as BaseResponse

bp = Blueprint("main", __name__)


@bp.get("/")
def home() -> str:
    """The landing page: file a complaint, or check one."""
    return render_template("main/home.html")


@bp.get("/privacy")
def privacy() -> str:
    """The privacy notice in plain words: what is stored, who sees it, what is published."""
    return render_template("main/privacy.html")


@bp.get("/language/<code>")
def set_language(code: str) -> BaseResponse:
    """Remember the chosen language and go back to the page the resident was on."""
    if code not in current_app.config["LANGUAGE_CODES"]:
        abort(404)
    session["lang"] = code
    target = request.args.get("next", "/")
    parts = urlsplit(target)
    # Only local paths: never an open redirect.
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        target = "/"
    return redirect(target)


@bp.get("/healthz")
def healthz() -> Response:
    """Liveness probe for load balancers (no database access, no personal data)."""
    return Response("ok\n", mimetype="text/plain")


@bp.get("/data/", defaults={"path": "index.html"})
@bp.get("/data/<path:path>")
def site(path: str) -> BaseResponse:
    """Serve the statically built statistics site (``lantern site build``) under /data/."""
    root = Path(current_app.config["SITE_FOLDER"])
    if not root.is_dir():
        abort(404)
    if path.endswith("/") or (root / path).is_dir():
        path = path.rstrip("/") + "/index.html"
    return send_from_directory(root, path, max_age=300)


@bp.app_context_processor
def _endpoints() -> dict[str, object]:
    # Lets shared templates link to an area only when that area's blueprint is registered.
    return {"view_functions": current_app.view_functions}
