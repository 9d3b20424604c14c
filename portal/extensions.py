"""Flask extensions, created unbound here and bound to an app in ``create_app``."""

from __future__ import annotations

import logging

from flask import Flask, g, request, session
from flask_limiter import Limiter
from flask_wtf import CSRFProtect

from portal.i18n import LanternBabel

csrf = CSRFProtect()
babel = LanternBabel()


def client_address() -> str:
    """The client's address for rate limiting (``X-Forwarded-For`` only when a proxy is trusted,
    which ``create_app`` arranges with ProxyFix)."""
    return request.remote_addr or "unknown"


limiter = Limiter(key_func=client_address, default_limits=[], headers_enabled=True)


def select_locale() -> str:
    """The language for this request: the one the resident chose, else the browser's."""
    from flask import current_app

    languages: list[str] = current_app.config["LANGUAGE_CODES"]
    chosen = getattr(g, "lang_override", None) or session.get("lang")
    if chosen in languages:
        return str(chosen)
    return request.accept_languages.best_match(languages) or languages[0]


class RedactRateLimitKey(logging.Filter):
    """Flask-Limiter logs the limit's key (a client address, or a reference number for
    per-reference limits) when a limit is hit; keep the event, drop the key."""

    def filter(self, record: logging.LogRecord) -> bool:
        if "exceeded" in str(record.msg) and isinstance(record.args, tuple) and record.args:
            args = list(record.args)
            if len(args) >= 2:
                args[1] = "[redacted]"
            record.args = tuple(args)
        return True


def init_extensions(app: Flask) -> None:
    """Bind every extension to ``app``."""
    import portal.ratelimit  # noqa: F401  (registers the lantern-memory:// storage)

    limiter_log = logging.getLogger("flask-limiter")
    if not any(isinstance(f, RedactRateLimitKey) for f in limiter_log.filters):
        limiter_log.addFilter(RedactRateLimitKey())
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    drop_limiter_middleware(app)


def drop_limiter_middleware(app: Flask) -> None:
    """Remove Flask-Limiter's ``before_request`` pass when nothing needs it.

    Every Lantern limit is a route's own (``@limiter.limit`` on the lookup, submission and
    sign-in views), and Flask-Limiter checks those in the decorator. Its ``before_request`` pass
    exists for default and application-wide limits, which Lantern does not set; on every request
    it only worked out that there was nothing to check, at about 15 % of a plain request's time
    (``/healthz`` in process). Kept when either kind of limit is configured.
    """
    if app.config.get("RATELIMIT_DEFAULT") or app.config.get("RATELIMIT_APPLICATION"):
        return
    hooks = app.before_request_funcs.get(None, [])
    hook = limiter._check_request_limit
    if hook in hooks:
        hooks.remove(hook)
