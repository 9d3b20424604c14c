"""Template helpers for language: the current locale and the language switcher's choices."""

from __future__ import annotations

from typing import Any

from flask import Flask, g
from flask_babel import get_locale, get_translations

#: Each language named in itself, so a reader finds their own language in the switcher.
LANGUAGE_NAMES = {"en": "English", "es": "Español"}


def current_locale() -> str:
    """The language code of the current request (``lang`` attribute of every page)."""
    locale = get_locale()
    return str(locale.language) if locale is not None else "en"


def request_translations() -> Any:
    """The current request's ``Translations``, resolved once per locale per request.

    Flask-Babel resolves context, domain and locale again for every string (about a sixth of a
    translated page's time); this keeps the result on Flask-Babel's own per-request namespace,
    keyed by the locale object, so ``force_locale`` and ``refresh`` still take effect.
    """
    ctx = g.get("_flask_babel")
    if ctx is not None:
        cached = getattr(ctx, "lantern_translations", None)
        if cached is not None and cached[0] is getattr(ctx, "babel_locale", None):
            return cached[1]
    translations = get_translations()
    ctx = g.get("_flask_babel")
    if ctx is not None and getattr(ctx, "babel_locale", None) is not None:
        ctx.lantern_translations = (ctx.babel_locale, translations)
    return translations


def init_i18n(app: Flask) -> None:
    """Expose ``current_locale`` and ``language_choices`` to every template; templates look up
    translations once per request (``request_translations``)."""
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        pgettext=lambda c, s: request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )

    @app.context_processor
    def _i18n_helpers() -> dict[str, object]:
        def language_choices() -> list[tuple[str, str]]:
            return [(c, LANGUAGE_NAMES.get(c, c)) for c in app.config["LANGUAGE_CODES"]]

        return {"current_locale": current_locale, "language_choices": language_choices}
