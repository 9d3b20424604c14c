"""The vocabulary an office offers: configurable subsets of allegation categories and discipline.

DESIGN.md's vocabulary is the superset every release and statistic understands; an office may
offer fewer values (``LANTERN_ALLEGATION_CATEGORIES``, ``LANTERN_DISCIPLINE_OUTCOMES``: comma-
separated vocabulary values, empty for all). Values already stored stay valid and keep showing.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from portal.config import ConfigError


def parse_subset(spec: str, vocabulary: type[StrEnum], setting: str) -> list[str]:
    """The values of ``vocabulary`` that ``spec`` names, in vocabulary order (all when empty).

    Raises ``ConfigError`` naming ``setting`` and every value that is not in the vocabulary.
    """
    wanted = [item.strip() for item in spec.split(",") if item.strip()]
    known = [member.value for member in vocabulary]
    unknown = [item for item in wanted if item not in known]
    if unknown:
        raise ConfigError(
            f"LANTERN_{setting}: not in the vocabulary: {', '.join(unknown)}"
            f" (allowed: {', '.join(known)})"
        )
    return [value for value in known if value in wanted] if wanted else known


def restrict_choices(field: Any, allowed: Sequence[str]) -> None:
    """Keep only the ``allowed`` choices (and the blank one) of a WTForms select/checkbox field,
    so an office's subset is both what is shown and what validates."""
    keep = {"", *allowed}
    field.choices = [choice for choice in field.choices if _value(choice) in keep]


def _value(choice: Any) -> Any:
    """The value of a choice given as a ``SelectChoice``, a tuple or a bare value."""
    if hasattr(choice, "value"):
        return choice.value
    return choice[0] if isinstance(choice, tuple) else choice
