"""The anonymization policy: a typed, validated view of a TOML file, printed in every release.

``load_policy()`` reads the shipped default (``policy.default.toml``, next to this module);
``load_policy(path)`` reads a user's file over the defaults, so a file may set only what it
changes. Every error names the offending key. ``Policy.to_toml()`` writes the policy as applied,
deterministically (same policy → same bytes), and ``parse_policy(p.to_toml()) == p``.

Generalization hierarchies: every quasi-identifier has levels, level 0 being the stored value.
``period`` has the fixed levels month → quarter → year computed from a date; the other attributes
have mapped levels (``groups``: stored value → group, ``other``: the group of unlisted values).
A level must be a coarsening of the one below it (values grouped together stay together).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import polars as pl
import tomli_w

from publisher import quasi

#: The token that replaces a value removed by local suppression (never an empty cell).
WITHHELD = "withheld"
#: The value given to a missing quasi-identifier before generalization.
UNKNOWN = "unknown"

#: Attributes the publisher knows how to generalize (one hierarchy each; a published column
#: names its attribute in its schema, see ``publisher.quasi``).
KNOWN_ATTRIBUTES: tuple[str, ...] = (
    "age_band",
    "gender",
    "race",
    "district",
    "period",
    "channel",
    "days_to_close",
)
#: Fixed levels of the ``period`` hierarchy, finest first.
PERIOD_LEVELS: tuple[str, ...] = ("month", "quarter", "year")

OfficerNames = Literal[False, "sustained_only", "all"]
_OFFICER_NAME_CHOICES: tuple[OfficerNames, ...] = (False, "sustained_only", "all")


class PolicyError(ValueError):
    """A policy file that cannot be applied; the message names the key and what is wrong."""


@dataclass(frozen=True)
class Level:
    """One level of a mapped hierarchy: stored value → group (``other`` for unlisted values)."""

    name: str
    groups: Mapping[str, str] = field(default_factory=dict)
    other: str | None = None

    def group_of(self, value: str) -> str:
        """The group ``value`` falls in at this level."""
        if value in self.groups:
            return self.groups[value]
        return value if self.other is None else self.other


@dataclass(frozen=True)
class Hierarchy:
    """Generalization levels of one quasi-identifier, with the search bounds and weight.

    ``levels[0]`` is the stored value (identity). ``min_level``/``max_level`` are indexes into
    ``levels``; the search only tries levels between them (inclusive). ``weight`` scales the
    information lost per level: loss = weight × level / (len(levels) - 1).
    """

    attribute: str
    levels: tuple[Level, ...]
    min_level: int
    max_level: int
    weight: float

    @property
    def is_period(self) -> bool:
        """True for the date hierarchy (month → quarter → year), computed rather than mapped."""
        return self.attribute == "period"

    @property
    def level_names(self) -> tuple[str, ...]:
        """Names of every level, finest first."""
        return tuple(level.name for level in self.levels)

    def index_of(self, name: str) -> int:
        """Index of level ``name``; raises ``KeyError`` for an unknown name."""
        try:
            return self.level_names.index(name)
        except ValueError:
            raise KeyError(f"{self.attribute} has no level {name!r}") from None

    def loss(self, level: int) -> float:
        """Weighted information loss of publishing this attribute at ``level`` (0 = none)."""
        top = len(self.levels) - 1
        return 0.0 if top == 0 else self.weight * level / top

    def generalize(self, expr: pl.Expr, level: int | str) -> pl.Expr:
        """Polars expression giving ``expr`` at ``level`` (a name or an index).

        For ``period``, ``expr`` must be a Date or Datetime; the result is ``YYYY-MM``,
        ``YYYY-Qn`` or ``YYYY`` (null stays null). For mapped attributes ``expr`` is a string
        and nulls stay null (fill them with ``UNKNOWN`` first).
        """
        index = self.index_of(level) if isinstance(level, str) else level
        if self.is_period:
            return period_expr(expr, PERIOD_LEVELS[index])
        if index == 0:
            return expr.cast(pl.Utf8)
        chosen = self.levels[index]
        mapped = expr.cast(pl.Utf8).replace_strict(
            dict(chosen.groups), default=expr if chosen.other is None else pl.lit(chosen.other)
        )
        return mapped.cast(pl.Utf8)


def period_expr(date: pl.Expr, level: str) -> pl.Expr:
    """``date`` (Date or Datetime) as a ``YYYY-MM`` / ``YYYY-Qn`` / ``YYYY`` string at ``level``."""
    if level == "month":
        return date.dt.strftime("%Y-%m")
    if level == "quarter":
        return pl.concat_str(
            [date.dt.year().cast(pl.Utf8), pl.lit("-Q"), date.dt.quarter().cast(pl.Utf8)]
        )
    if level == "year":
        return date.dt.year().cast(pl.Utf8)
    raise KeyError(f"unknown period level {level!r}")


@dataclass(frozen=True)
class Policy:
    """The anonymization policy as applied to a release (see ``policy.default.toml``)."""

    licence: str
    licence_url: str
    attribution: str
    k: int
    suppression_limit: float
    threshold: int
    publish_officer_names: OfficerNames
    #: Published columns (``table.column``) k is measured over: every column an attacker can
    #: line up with a complainant (``publisher.quasi.complainant_join``), in that order.
    quasi_identifiers: tuple[str, ...]
    hierarchies: Mapping[str, Hierarchy]
    dropped_fields: tuple[str, ...]

    @property
    def attributes(self) -> tuple[str, ...]:
        """The hierarchies the quasi-identifiers use, in order of first use (the search's
        units: ``received_period`` and ``closed_period`` share ``period``)."""
        known = quasi.by_name()
        out: list[str] = []
        for name in self.quasi_identifiers:
            attribute = known[name].attribute
            if attribute not in out:
                out.append(attribute)
        return tuple(out)

    def columns_of(self, attribute: str) -> tuple[str, ...]:
        """The quasi-identifier columns (``table.column``) generalized by ``attribute``."""
        known = quasi.by_name()
        return tuple(n for n in self.quasi_identifiers if known[n].attribute == attribute)

    def hierarchy(self, attribute: str) -> Hierarchy:
        """The hierarchy of ``attribute``; raises ``KeyError`` if the policy has none."""
        return self.hierarchies[attribute]

    def to_dict(self) -> dict[str, Any]:
        """The policy as plain TOML-ready data, in a fixed key order."""
        generalization: dict[str, Any] = {}
        for name in sorted(self.hierarchies):
            h = self.hierarchies[name]
            entry: dict[str, Any] = {}
            if not h.is_period:
                entry["base"] = h.levels[0].name
            entry["weight"] = float(h.weight)
            entry["min"] = h.levels[h.min_level].name
            entry["max"] = h.levels[h.max_level].name
            if not h.is_period:
                levels = []
                for level in h.levels[1:]:
                    item: dict[str, Any] = {"name": level.name}
                    if level.groups:
                        item["groups"] = dict(sorted(level.groups.items()))
                    if level.other is not None:
                        item["other"] = level.other
                    levels.append(item)
                entry["levels"] = levels
            generalization[name] = entry
        return {
            "release": {
                "licence": self.licence,
                "licence_url": self.licence_url,
                "attribution": self.attribution,
            },
            "k_anonymity": {
                "k": self.k,
                "suppression_limit": float(self.suppression_limit),
                "quasi_identifiers": list(self.quasi_identifiers),
            },
            "aggregates": {"threshold": self.threshold},
            "officers": {"publish_officer_names": self.publish_officer_names},
            "dropped": {"fields": list(self.dropped_fields)},
            "generalization": generalization,
        }

    def to_toml(self) -> str:
        """The policy as applied, as TOML text: deterministic; ``parse_policy`` reads it back."""
        header = (
            "# Anonymization policy applied to this release (Lantern publisher).\n"
            "# See the release's disclosure-report.md for what it did to the data.\n\n"
        )
        return header + tomli_w.dumps(self.to_dict())


def default_policy_text() -> str:
    """The text of the shipped default policy file (with its comments)."""
    return resources.files("publisher").joinpath("policy.default.toml").read_text("utf-8")


def load_policy(path: Path | None = None) -> Policy:
    """Load the default policy, overlaid with the TOML file at ``path`` if given.

    Raises ``PolicyError`` naming the key for an invalid value or an unknown key, and for a file
    that is not valid TOML (naming the file).
    """
    if path is None:
        return parse_policy(default_policy_text())
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"cannot read policy file {path}: {exc.strerror}") from None
    return parse_policy(text, source=str(path))


def parse_policy(text: str, source: str = "policy") -> Policy:
    """Parse policy TOML ``text`` over the defaults; raises ``PolicyError`` naming the key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{source} is not valid TOML: {exc}") from None
    defaults = tomllib.loads(default_policy_text())
    # The list of quasi-identifiers is derived from the published schemas; a file may repeat it
    # (every release's policy.toml does) but never shorten it.
    table = data.get("k_anonymity")
    listed = table.pop("quasi_identifiers", None) if isinstance(table, dict) else None
    merged = _overlay(defaults, data)
    return _build(merged, listed)


def _overlay(base: dict[str, Any], top: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``top`` over ``base``; tables merge key by key except a hierarchy, which is replaced whole.

    Unknown keys (not in ``base``) are an error, except new hierarchies under generalization.
    """
    out = dict(base)
    for key, value in top.items():
        name = f"{prefix}{key}"
        if key not in base and prefix != "generalization.":
            raise PolicyError(f"policy key {name!r}: unknown key")
        if (
            isinstance(value, dict)
            and isinstance(base.get(key), dict)
            and prefix != "generalization."
        ):
            out[key] = _overlay(base[key], value, f"{name}.")
        else:
            out[key] = value
    return out


def _get(table: dict[str, Any], key: str, kind: type | tuple[type, ...], name: str) -> Any:
    """``table[key]`` checked to be of ``kind`` (bool is never accepted as a number)."""
    if key not in table:
        raise PolicyError(f"policy key {name!r}: missing")
    value = table[key]
    if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise PolicyError(f"policy key {name!r}: expected {_kind_name(kind)}, got {value!r}")
    if not isinstance(value, kind):
        raise PolicyError(f"policy key {name!r}: expected {_kind_name(kind)}, got {value!r}")
    return value


def _kind_name(kind: type | tuple[type, ...]) -> str:
    """Readable name of an expected type."""
    names = {str: "a string", int: "an integer", float: "a number", list: "a list", dict: "a table"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _check_keys(table: dict[str, Any], allowed: set[str], name: str) -> None:
    """Raise for a key of ``table`` that is not in ``allowed``."""
    for key in sorted(set(table) - allowed):
        raise PolicyError(f"policy key '{name}.{key}': unknown key")


def _quasi_identifiers(listed: object) -> tuple[str, ...]:
    """The quasi-identifier columns: the derived list, checked against the file's if it has one.

    Raises ``PolicyError`` for a list that is not a list of known column names, or that leaves
    out a column an attacker can line up with a complainant (naming it and its kind).
    """
    key = "k_anonymity.quasi_identifiers"
    derived = quasi.complainant_join()
    if listed is None:
        return tuple(q.name for q in derived)
    if not isinstance(listed, list) or not all(isinstance(n, str) for n in listed):
        raise PolicyError(f"policy key {key!r}: expected a list of column names")
    if len(set(listed)) != len(listed):
        raise PolicyError(f"policy key {key!r}: must be a list without repeats")
    allowed = {q.name for q in derived}
    for name in listed:
        if name not in allowed:
            raise PolicyError(
                f"policy key {key!r}: {name!r} is not a published column that can be joined to"
                f" a complainant (known: {', '.join(q.name for q in derived)})"
            )
    missing = [q for q in derived if q.name not in listed]
    if missing:
        raise PolicyError(
            f"policy key {key!r}: leaves out "
            + ", ".join(f"{q.name} ({q.kind})" for q in missing)
            + ": every published column an attacker can line up with a complainant must count"
            " (remove the key to use the list derived from the published schemas)"
        )
    return tuple(q.name for q in derived)


def _build(data: dict[str, Any], listed: object = None) -> Policy:
    """Validate merged policy data and build the ``Policy``."""
    release = _get(data, "release", dict, "release")
    kanon = _get(data, "k_anonymity", dict, "k_anonymity")
    k = _get(kanon, "k", int, "k_anonymity.k")
    if k < 2:
        raise PolicyError(f"policy key 'k_anonymity.k': must be at least 2, got {k}")
    limit = float(_get(kanon, "suppression_limit", (int, float), "k_anonymity.suppression_limit"))
    if not 0.0 <= limit <= 1.0:
        raise PolicyError(
            f"policy key 'k_anonymity.suppression_limit': must be between 0 and 1, got {limit}"
        )
    qis = _quasi_identifiers(listed)
    threshold = _get(_get(data, "aggregates", dict, "aggregates"), "threshold", int,
                     "aggregates.threshold")  # fmt: skip
    if threshold < 2:
        raise PolicyError(f"policy key 'aggregates.threshold': must be at least 2, got {threshold}")
    raw_names = _get(data, "officers", dict, "officers").get("publish_officer_names")
    names = next((c for c in _OFFICER_NAME_CHOICES if c is raw_names or c == raw_names), None)
    if names is None or (isinstance(raw_names, int) and raw_names is not False):
        raise PolicyError(
            "policy key 'officers.publish_officer_names': must be false, \"sustained_only\" or"
            f' "all", got {raw_names!r}'
        )
    dropped = _get(_get(data, "dropped", dict, "dropped"), "fields", list, "dropped.fields")
    if not all(isinstance(item, str) for item in dropped):
        raise PolicyError("policy key 'dropped.fields': must be a list of strings")
    generalization = _get(data, "generalization", dict, "generalization")
    hierarchies: dict[str, Hierarchy] = {}
    for attribute in sorted(generalization):
        if attribute not in KNOWN_ATTRIBUTES:
            raise PolicyError(f"policy key 'generalization.{attribute}': unknown attribute")
        table = _get(generalization, attribute, dict, f"generalization.{attribute}")
        hierarchies[attribute] = _hierarchy(attribute, table)
    known = quasi.by_name()
    for qi in qis:
        if known[qi].attribute not in hierarchies:
            raise PolicyError(
                f"policy key 'generalization.{known[qi].attribute}': missing (it generalizes"
                f" the quasi-identifier {qi})"
            )
    return Policy(
        licence=_get(release, "licence", str, "release.licence"),
        licence_url=_get(release, "licence_url", str, "release.licence_url"),
        attribution=_get(release, "attribution", str, "release.attribution"),
        k=k,
        suppression_limit=limit,
        threshold=threshold,
        publish_officer_names=names,
        quasi_identifiers=tuple(qis),
        hierarchies=hierarchies,
        dropped_fields=tuple(dropped),
    )


def _hierarchy(attribute: str, table: dict[str, Any]) -> Hierarchy:
    """Validate one ``[generalization.<attribute>]`` table."""
    name = f"generalization.{attribute}"
    weight = float(_get(table, "weight", (int, float), f"{name}.weight"))
    if weight <= 0:
        raise PolicyError(f"policy key '{name}.weight': must be positive, got {weight}")
    levels: list[Level]
    if attribute == "period":
        _check_keys(table, {"weight", "min", "max"}, name)
        levels = [Level(level) for level in PERIOD_LEVELS]
    else:
        _check_keys(table, {"base", "weight", "min", "max", "levels"}, name)
        levels = [Level(_get(table, "base", str, f"{name}.base"))]
        raw_levels = table.get("levels", [])
        if not isinstance(raw_levels, list):
            raise PolicyError(f"policy key '{name}.levels': expected a list of tables")
        for i, raw in enumerate(raw_levels):
            where = f"{name}.levels[{i}]"
            if not isinstance(raw, dict):
                raise PolicyError(f"policy key '{where}': expected a table")
            _check_keys(raw, {"name", "groups", "other"}, where)
            groups = raw.get("groups", {})
            if not isinstance(groups, dict) or not all(
                isinstance(v, str) and v for v in groups.values()
            ):
                raise PolicyError(f"policy key '{where}.groups': must map values to non-empty text")
            other = raw.get("other")
            if other is not None and (not isinstance(other, str) or not other):
                raise PolicyError(f"policy key '{where}.other': must be non-empty text")
            levels.append(Level(_get(raw, "name", str, f"{where}.name"), dict(groups), other))
        _check_coarsening(name, levels)
    level_names = [level.name for level in levels]
    if len(set(level_names)) != len(level_names):
        raise PolicyError(f"policy key '{name}.levels': level names must be unique")
    bounds = []
    for key in ("min", "max"):
        value = _get(table, key, str, f"{name}.{key}")
        if value not in level_names:
            raise PolicyError(
                f"policy key '{name}.{key}': unknown level {value!r}"
                f" (levels: {', '.join(level_names)})"
            )
        bounds.append(level_names.index(value))
    if bounds[0] > bounds[1]:
        raise PolicyError(f"policy key '{name}.min': is coarser than '{name}.max'")
    return Hierarchy(attribute, tuple(levels), bounds[0], bounds[1], weight)


def _check_coarsening(name: str, levels: list[Level]) -> None:
    """Each level must keep together the values the level below groups together."""
    values = sorted(
        {v for level in levels for v in level.groups}
        | {g for level in levels for g in level.groups.values()}
    )
    for i in range(1, len(levels) - 1):
        below, above = levels[i], levels[i + 1]
        seen: dict[str, str] = {}
        for value in values:
            group_below, group_above = below.group_of(value), above.group_of(value)
            if seen.setdefault(group_below, group_above) != group_above:
                raise PolicyError(
                    f"policy key '{name}.levels[{i}]': level {above.name!r} splits the group"
                    f" {group_below!r} of level {below.name!r}"
                )
