"""Security headers on every response and secure cookie settings."""

from __future__ import annotations

from flask import Flask, Response, request

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)


# The static statistics site is built by MkDocs: its theme needs inline styles/scripts.
SITE_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)
_COMMON = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)
_PORTAL_HEADERS = (("Content-Security-Policy", CSP), *_COMMON)
_SITE_HEADERS = (("Content-Security-Policy", SITE_CSP), *_COMMON)
_HSTS = ("Strict-Transport-Security", "max-age=63072000; includeSubDomains")


def add_security_headers(response: Response) -> Response:
    """Strict headers for every response (CSP with no inline script, no framing, no sniffing).

    A header a view set itself is kept (the names present are collected once: each
    ``Headers.setdefault`` would scan the whole list again).
    """
    headers = response.headers
    present = {name.lower() for name, _value in headers.items()}
    path = request.path
    wanted: tuple[tuple[str, str], ...] = (
        _SITE_HEADERS if path.startswith("/data/") else _PORTAL_HEADERS
    )
    if request.is_secure:
        wanted = (*wanted, _HSTS)
    for name, value in wanted:
        if name.lower() not in present:
            headers.add(name, value)
    if request.method == "POST" or path.startswith(("/status", "/staff")):
        # Pages that show a complaint must not be kept by the browser or any cache.
        headers["Cache-Control"] = "no-store"
    return response


def init_security(app: Flask) -> None:
    """Install the header hook and secure cookie settings on ``app``."""
    app.after_request(add_security_headers)
    # Flask-WTF's "SSL strict" check rejects every HTTPS form post without a same-origin Referer,
    # and our Referrer-Policy: no-referrer means browsers send none (and an Origin of "null"):
    # in production every form failed with 400. The CSRF token and the SameSite=Lax session
    # cookie protect the forms; the Referer check would only add a leak of the page's URL.
    app.config.setdefault("WTF_CSRF_SSL_STRICT", False)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=app.config.get("ENV") == "production",
        SESSION_COOKIE_NAME="lantern_session",
    )
