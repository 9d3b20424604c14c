"""The base of every Lantern form: Flask-WTF, with WTForms' own messages cached per language.

Flask-WTF translates WTForms' built-in messages ("Not a valid choice.", ...) by loading and
parsing WTForms' catalog again on every request that needs one (``flask_wtf.i18n``), about 3 %
of a complaint submission. ``LanternForm`` keeps one parsed catalog per language instead.
Lantern's own messages are passed to the validators, translated by Flask-Babel.
"""

from __future__ import annotations

import functools
from typing import Any

from babel import support
from flask import current_app
from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms.i18n import messages_path


@functools.lru_cache(maxsize=16)
def _wtforms_catalog(language: str) -> support.NullTranslations:
    return support.Translations.load(messages_path(), [language], domain="wtforms")


class _WTFormsMessages:
    """WTForms' messages in the request's language (the ``translations`` WTForms asks for)."""

    @staticmethod
    def _catalog() -> support.NullTranslations:
        locale = get_locale()
        return _wtforms_catalog(str(locale) if locale is not None else "en")

    def gettext(self, string: str) -> str:
        """``string`` translated."""
        return str(self._catalog().ugettext(string))

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """The form of ``singular``/``plural`` for ``n``, translated."""
        return str(self._catalog().ungettext(singular, plural, n))


_MESSAGES = _WTFormsMessages()


class LanternForm(FlaskForm):  # type: ignore[misc]
    """A Flask-WTF form (CSRF token included) whose WTForms messages are cached per language."""

    class Meta:
        def get_translations(self, form: Any) -> Any:
            """WTForms' translations: cached per language (unless ``WTF_I18N_ENABLED`` is off)."""
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return super().get_translations(form)  # type: ignore[misc]
            return _MESSAGES
