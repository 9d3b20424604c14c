"""The real portal with parts of the status lookup switched off: where its time goes.

``bench/portal.py`` serves these next to the real portal and the bare lookup, with the same
gunicorn settings and the same wrk load, so each removed part's cost shows in the same run as
the 80 % target it is measured against. Nothing here is reachable from Lantern itself: the parts
are switched off only inside the benchmark's own gunicorn workers.

``create_stripped_app("page,limiter")`` builds the portal (``create_app``, configured from the
``LANTERN_*`` environment as usual) without:

- ``page``: the status page's template. A successful lookup answers the bare reference as
  text; everything before it (session, CSRF check, rate-limit check, keyed hash, the lookup
  query, the session write, security headers) still runs.
- ``limiter``: Flask-Limiter (``RATELIMIT_ENABLED=False``).
- ``csrf``: Flask-WTF's CSRF check of every POST (``WTF_CSRF_CHECK_DEFAULT=False``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

    from portal.services.status import PublicView

PARTS = ("page", "limiter", "csrf")


def _reference_only(view: PublicView) -> str:
    return view.reference


def create_stripped_app(strip: str) -> Flask:
    """The portal without the comma-separated ``strip`` parts (see the module docstring).

    Raises ``ValueError`` for a part not in ``PARTS``.
    """
    from portal import create_app
    from portal.status import views

    parts = {part.strip() for part in strip.split(",") if part.strip()}
    unknown = parts - set(PARTS)
    if unknown:
        raise ValueError(f"cannot strip {sorted(unknown)}: choose from {', '.join(PARTS)}")
    config: dict[str, Any] = {}
    if "limiter" in parts:
        config["RATELIMIT_ENABLED"] = False
    if "csrf" in parts:
        config["WTF_CSRF_CHECK_DEFAULT"] = False
    app = create_app(config)
    if "page" in parts:
        # This gunicorn worker only ever serves the stripped variant.
        views._render_status = _reference_only
    return app
