"""Template helpers for language: the current locale and the language switcher's choices."""

from __future__ import annotations

from flask import Flask
from flask_babel import get_locale

#: Each language named in itself, so a reader finds their own language in the switcher.
LANGUAGE_NAMES = {"en": "English", "es": "Español"}


def current_locale() -> str:
    """The language code of the current request (``lang`` attribute of every page)."""
    locale = get_locale()
    return str(locale.language) if locale is not None else "en"


def init_i18n(app: Flask) -> None:
    """Expose ``current_locale`` and ``language_choices`` to every template."""

    @app.context_processor
    def _i18n_helpers() -> dict[str, object]:
        def language_choices() -> list[tuple[str, str]]:
            return [(c, LANGUAGE_NAMES.get(c, c)) for c in app.config["LANGUAGE_CODES"]]

        return {"current_locale": current_locale, "language_choices": language_choices}
