"""The statistics site's languages: translated text, value labels and number formatting.

The site is built once per language in ``LANGUAGES`` (English at the root, every other language in
a folder of its code). Its words come from the gettext catalog of the ``site`` domain in
``publisher/translations/<lang>/LC_MESSAGES/site.po`` (``make catalogs`` extracts them from the
templates, ``publisher/site*.py`` and the Table Schemas' field descriptions; ``make translations``
and the wheel build compile them). English is the source text, so English needs no catalog.

Codes in the data (``force``, ``not_sustained``, ``walk_in``…) are shown through ``VALUE_LABELS``;
a code without a label (a category an import brought in) is shown humanized in every language.
"""

from __future__ import annotations

import gettext as gettext_module
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from babel.numbers import format_decimal, format_percent
from babel.support import Translations

#: Languages the site is built in; the first is the root of the site.
LANGUAGES: tuple[str, ...] = ("en", "es")
#: Each language's name in itself, for the language switch.
LANGUAGE_NAMES: dict[str, str] = {"en": "English", "es": "Español"}
CATALOGS = Path(__file__).resolve().parent / "translations"
DOMAIN = "site"


def N_(message: str) -> str:
    """Mark ``message`` for extraction; it is translated where it is shown."""
    return message


#: Labels of the codes the releases publish (vocabulary values and policy groups).
VALUE_LABELS: dict[str, str] = {
    # allegation categories
    "force": N_("Force"),
    "abuse_of_authority": N_("Abuse of authority"),
    "discourtesy": N_("Discourtesy"),
    "offensive_language": N_("Offensive language"),
    "bias": N_("Bias"),
    "improper_search_or_seizure": N_("Improper search or seizure"),
    "failure_to_provide_service": N_("Failure to provide service"),
    "untruthfulness": N_("Untruthfulness"),
    "sexual_misconduct": N_("Sexual misconduct"),
    # findings
    "sustained": N_("Sustained"),
    "not_sustained": N_("Not sustained"),
    "exonerated": N_("Exonerated"),
    "unfounded": N_("Unfounded"),
    "policy_failure": N_("Policy failure"),
    "officer_unidentified": N_("Officer unidentified"),
    "withdrawn": N_("Withdrawn"),
    "complainant_unavailable": N_("Complainant unavailable"),
    "mediated": N_("Mediated"),
    "referred": N_("Referred"),
    # discipline
    "none": N_("None"),
    "training": N_("Training"),
    "counseling": N_("Counseling"),
    "written_reprimand": N_("Written reprimand"),
    "suspension": N_("Suspension"),
    "demotion": N_("Demotion"),
    "termination": N_("Termination"),
    "resigned_before_discipline": N_("Resigned before discipline"),
    "pending": N_("Pending"),
    # channels
    "online": N_("Online"),
    "phone": N_("Phone"),
    "email": N_("Email"),
    "letter": N_("Letter"),
    "walk_in": N_("Walk-in"),
    "referral": N_("Referral"),
    "internal": N_("Internal"),
    # gender
    "woman": N_("Woman"),
    "man": N_("Man"),
    "non_binary": N_("Non-binary"),
    # race or ethnicity
    "black": N_("Black"),
    "white": N_("White"),
    "latino": N_("Latino"),
    "asian": N_("Asian"),
    "native_american": N_("Native American"),
    "middle_eastern": N_("Middle Eastern"),
    "pacific_islander": N_("Pacific Islander"),
    "multiracial": N_("Multiracial"),
    # age bands and their policy groups
    "under_18": N_("Under 18"),
    "18_24": N_("18 to 24"),
    "25_34": N_("25 to 34"),
    "35_44": N_("35 to 44"),
    "45_54": N_("45 to 54"),
    "55_64": N_("55 to 64"),
    "65_plus": N_("65 and over"),
    "under_25": N_("Under 25"),
    "25_44": N_("25 to 44"),
    "45_64": N_("45 to 64"),
    "all": N_("All ages"),
    # attributes
    "age_band": N_("Age band"),
    "gender": N_("Gender"),
    "race": N_("Race or ethnicity"),
    "district": N_("District"),
    "period": N_("Received and closed periods"),
    "channel": N_("Channel"),
    "days_to_close": N_("Days to close"),
    # channel groups of the default policy
    "remote": N_("Remote (online, phone, email or letter)"),
    "in_person": N_("In person"),
    "referral_or_internal": N_("Referral or internal"),
    # shared
    "other": N_("Other"),
    "unknown": N_("Unknown"),
    "prefer_not_to_say": N_("Prefer not to say"),
    "withheld": N_("Withheld"),
    # areas of the default policy
    "north": N_("North"),
    "central": N_("Central"),
    "south": N_("South"),
}


def humanize(code: str) -> str:
    """``use_of_force`` -> ``Use of force``: the label of a code nobody wrote one for."""
    return code.replace("_", " ").capitalize() if code else code


@dataclass(frozen=True)
class SiteLanguage:
    """One language of the site: its code, its translations and its number formats."""

    code: str
    translations: gettext_module.NullTranslations

    @property
    def name(self) -> str:
        """The language's name in itself (``Español``)."""
        return LANGUAGE_NAMES.get(self.code, self.code)

    def gettext(self, message: str) -> str:
        """``message`` in this language (the English text when the catalog lacks it)."""
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """The singular or plural form of a message for ``n`` in this language."""
        return self.translations.ngettext(singular, plural, n)

    def label(self, code: str) -> str:
        """The label of a data code in this language (humanized when it has none)."""
        label = VALUE_LABELS.get(code)
        return self.gettext(label) if label else humanize(code)

    def number(self, value: float, decimals: int = 0) -> str:
        """``value`` with this language's digit grouping (1,234 / 1234 / 12.345)."""
        pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
        return format_decimal(value, format=pattern, locale=self.code)

    def percent(self, share: float, *, signed: bool = False) -> str:
        """``share`` (0.25) as a whole percentage in this language (25% / 25 %)."""
        text = format_percent(abs(share) if signed else share, format="#,##0%", locale=self.code)
        if not signed:
            return text
        return ("+" if share >= 0 else "-") + text


def load_language(code: str) -> SiteLanguage:
    """The site language ``code``: English as written, any other from its compiled catalog.

    Raises ``LookupError`` for a language the site is not built in, and ``FileNotFoundError``
    when its catalog was not compiled (run ``make translations``).
    """
    if code not in LANGUAGES:
        raise LookupError(f"the site is not available in {code!r}")
    if code == LANGUAGES[0]:
        return SiteLanguage(code, gettext_module.NullTranslations())
    compiled = CATALOGS / code / "LC_MESSAGES" / f"{DOMAIN}.mo"
    if not compiled.is_file():
        raise FileNotFoundError(
            f"the {code} catalog of the statistics site is not compiled ({compiled}): "
            "run `make translations`"
        )
    return SiteLanguage(code, Translations.load(str(CATALOGS), [code], DOMAIN))


def extract_schema_descriptions(
    fileobj: IO[bytes], keywords: object, comment_tags: object, options: object
) -> Iterator[tuple[int, str, str, list[str]]]:
    """Babel extractor: the field descriptions of a Table Schema (the data dictionary's text).

    Registered in ``publisher/babel.cfg``; yields Babel's ``(lineno, funcname, message,
    comments)`` for each field's ``description``, with the field's name as a translator comment.
    """
    schema = json.load(fileobj)
    for field in schema.get("fields", []):
        description = field.get("description")
        if description:
            yield 0, "gettext", description, [f"column {field.get('name', '')}"]
