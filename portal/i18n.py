"""Language plumbing: translations cached once per request, and the templates' helpers.

- ``RequestCachedDomain`` / ``LanternBabel``: Flask-Babel resolves its request context, the
  locale and ``str(locale)`` again for every string it translates (``gettext`` →
  ``get_domain`` → ``get_translations`` → ``get_locale``); a page translates dozens. The domain
  keeps the request's ``Translations`` on Flask-Babel's own per-request namespace, keyed by the
  locale object, so ``force_locale`` and ``refresh`` still take effect. Every ``gettext`` — in
  Python, in templates, lazy strings — goes through it.
- ``template_gettext``: the templates' ``_`` and ``gettext`` in one call (Jinja2's newstyle
  callables go through three ``Context.call`` hops per string), with the same contract: the
  translation is markup-safe and ``%(name)s`` variables are escaped into it.
- ``current_locale`` and ``language_choices`` for every template (``lang`` and the switcher).
- ``format_date``: the ``dateformat`` filter, memoized (a date, a locale, a format → always the
  same words).
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from babel import Locale
from babel.dates import format_date as babel_format_date
from flask import Flask, g
from flask_babel import Babel, Domain, get_locale, get_translations, to_user_timezone
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

#: Each language named in itself, so a reader finds their own language in the switcher.
LANGUAGE_NAMES = {"en": "English", "es": "Español"}

_CACHE_ATTRIBUTE = "lantern_translations"


class RequestCachedDomain(Domain):  # type: ignore[misc]
    """A Flask-Babel domain that resolves the request's translations once per locale."""

    def get_translations(self) -> Any:
        """The current request's ``Translations`` (Flask-Babel's, looked up once per locale)."""
        ctx = g.get("_flask_babel") if g else None
        if ctx is not None:
            cached = getattr(ctx, _CACHE_ATTRIBUTE, None)
            if (
                cached is not None
                and cached[0] is self
                and cached[1] is getattr(ctx, "babel_locale", None)
            ):
                return cached[2]
        translations = super().get_translations()
        ctx = g.get("_flask_babel") if g else None
        locale = getattr(ctx, "babel_locale", None) if ctx is not None else None
        if locale is not None:
            setattr(ctx, _CACHE_ATTRIBUTE, (self, locale, translations))
        return translations


class LanternBabel(Babel):  # type: ignore[misc]
    """Flask-Babel with ``RequestCachedDomain`` as its default domain."""

    @functools.cached_property
    def domain_instance(self) -> Domain:
        """The default message domain (cached per request)."""
        return RequestCachedDomain(domain=self.domain)


def current_locale() -> str:
    """The language code of the current request (``lang`` attribute of every page)."""
    locale = get_locale()
    return str(locale.language) if locale is not None else "en"


def current_translations() -> Any:
    """The request's ``Translations``: what ``RequestCachedDomain`` cached for this request's
    locale and domain, else Flask-Babel's lookup (which fills that cache).

    Never cached anywhere longer-lived than the request: Jinja2 keeps the module of an imported
    macro file across renders, so a translation cached in a template context would leak one
    reader's language into the next reader's page.
    """
    ctx = g.get("_flask_babel") if g else None
    if ctx is not None:
        cached = getattr(ctx, _CACHE_ATTRIBUTE, None)
        if (
            cached is not None
            and cached[0] is getattr(ctx, "babel_domain", None)
            and cached[1] is getattr(ctx, "babel_locale", None)
        ):
            return cached[2]
    return get_translations()


@pass_context
def template_gettext(context: Context, string: str, **variables: Any) -> str:
    """``_("…", name=value)`` in a template: translated, markup-safe, variables escaped in."""
    translations = current_translations()
    translated = translations.ugettext(string)
    if context.eval_ctx.autoescape:
        translated = Markup(translated)  # noqa: S704  (our own catalog, as newstyle gettext)
    if variables or "%" in translated:
        # A format string, as with Jinja2's newstyle gettext ("100%%" means "100%").
        translated = translated % variables
    return translated  # type: ignore[no-any-return]


@functools.lru_cache(maxsize=4096)
def _format_day(day: dt.date, locale: Locale, format: str) -> str:
    return babel_format_date(day, format=format, locale=locale)


def format_date(value: dt.date | dt.datetime, format: str = "medium") -> str:
    """A date in the request's language (``dateformat`` filter); a datetime is shown on its date
    in the office's time zone, as Flask-Babel's filter does."""
    if isinstance(value, dt.datetime):
        value = to_user_timezone(value).date()
    locale = get_locale() or Locale("en")
    return _format_day(value, locale, format)


def init_i18n(app: Flask) -> None:
    """Install the fast template ``_``/``gettext``, the memoized ``dateformat`` filter and the
    ``current_locale`` / ``language_choices`` helpers on ``app``."""
    app.jinja_env.globals.update(_=template_gettext, gettext=template_gettext)
    app.jinja_env.filters["dateformat"] = format_date
    choices = [(code, LANGUAGE_NAMES.get(code, code)) for code in app.config["LANGUAGE_CODES"]]

    def language_choices() -> list[tuple[str, str]]:
        return choices

    @app.context_processor
    def _i18n_helpers() -> dict[str, object]:
        return {"current_locale": current_locale, "language_choices": language_choices}
