"""Error pages in plain language. They never echo what was submitted."""

from __future__ import annotations

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

_TEMPLATES = {
    400: "errors/400.html",
    403: "errors/403.html",
    404: "errors/404.html",
    413: "errors/413.html",
    429: "errors/429.html",
    500: "errors/500.html",
}


def _render(code: int) -> tuple[str, int]:
    return render_template(_TEMPLATES.get(code, "errors/500.html"), code=code), code


def init_errors(app: Flask) -> None:
    """Register the error handlers on ``app``."""

    @app.errorhandler(CSRFError)
    def csrf_error(_error: CSRFError) -> tuple[str, int]:
        return render_template("errors/csrf.html"), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str, int] | HTTPException:
        if error.code in _TEMPLATES:
            return _render(error.code)
        return error

    @app.errorhandler(500)
    def server_error(_error: Exception) -> tuple[str, int]:
        return _render(500)
