"""Plain-text email templates rendered in the recipient's language, outside any request.

Emails are written when a change is saved (often from the command line or a background
drainer), so they cannot use Flask-Babel's request locale: each area passes its own template
folder and catalog, and gets a Jinja2 environment with that catalog's translations installed.
"""

from __future__ import annotations

import functools
from pathlib import Path

import jinja2
from babel.support import NullTranslations, Translations


@functools.lru_cache(maxsize=32)
def _translations(catalog: str, language: str) -> NullTranslations:
    if language == "en":
        return NullTranslations()
    return Translations.load(catalog, [language], domain="messages")


@functools.lru_cache(maxsize=32)
def _environment(templates: str, catalog: str, language: str) -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates),
        extensions=["jinja2.ext.i18n"],
        autoescape=False,  # plain text email  # noqa: S701
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.install_gettext_translations(  # type: ignore[attr-defined]
        _translations(catalog, language), newstyle=True
    )
    return environment


def mail_environment(templates: Path, catalog: Path, language: str) -> jinja2.Environment:
    """A cached Jinja2 environment for the plain-text templates in ``templates`` with the
    ``catalog`` folder's translations for ``language`` (none for English)."""
    return _environment(str(templates), str(catalog), language)


def catalog_translations(catalog: Path, language: str) -> NullTranslations:
    """The cached translations of ``catalog`` for ``language`` (none for English), for other
    templates rendered outside a request (e.g. printed letters)."""
    return _translations(str(catalog), language)
