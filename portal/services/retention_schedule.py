"""The office's records schedule: a TOML file of rules, each with two periods in whole years.

``retention.default.toml`` beside this package is shipped; ``LANTERN_RETENTION_SCHEDULE`` names
the office's own. Each closed case falls under the first rule it matches; ``parse_schedule``
says what a file may hold and refuses anything else with a message naming the rule and key.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from portal.vocabulary import CaseState, Finding

DEFAULT_SCHEDULE = Path(__file__).resolve().parent.parent / "retention.default.toml"

#: States a case can be disposed of in (closed for good: not open, not awaiting an appeal).
DISPOSABLE_STATES = frozenset(
    {CaseState.CLOSED, CaseState.DECLINED, CaseState.WITHDRAWN, CaseState.APPEAL_DECIDED}
)
PERSONAL_DATA = "personal_data"
EVIDENCE = "evidence"


class ScheduleError(ValueError):
    """The schedule file is wrong; ``str(error)`` names the rule and the key."""


@dataclass(frozen=True)
class RetentionRule:
    """One rule of the schedule (see the module docstring and the default file)."""

    id: str
    name: str
    personal_data_years: int
    evidence_years: int
    findings: frozenset[Finding] = frozenset()
    states: frozenset[CaseState] = frozenset()

    def years(self, kind: str) -> int:
        """The period for ``kind`` (``personal_data`` or ``evidence``)."""
        return self.personal_data_years if kind == PERSONAL_DATA else self.evidence_years

    def matches(self, state: CaseState, findings: Iterable[Finding | None]) -> bool:
        """Whether a case in ``state`` with these final findings falls under this rule's test."""
        if self.states and state not in self.states:
            return False
        return not self.findings or any(f in self.findings for f in findings)


@dataclass(frozen=True)
class Schedule:
    """The office's records schedule: rules in order, and the notice window of the page."""

    rules: tuple[RetentionRule, ...]
    notice_days: int = 90
    source: str = "schedule"

    def rule_for(self, state: CaseState, findings: Iterable[Finding | None]) -> RetentionRule:
        """The first rule a case matches (the last rule matches every case)."""
        found = list(findings)
        return next(r for r in self.rules if r.matches(state, found))


_RULE_KEYS = {"id", "name", "personal_data_years", "evidence_years", "findings", "states"}
_TOP_KEYS = {"rule", "notice_days"}


def _years(entry: Mapping[str, Any], key: str, where: str) -> int:
    if key not in entry:
        raise ScheduleError(f"{where}: `{key}` is missing (a whole number of years, 1 or more)")
    value = entry[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < 1 or value > 200:
        raise ScheduleError(
            f"{where}: `{key}` must be a whole number of years from 1 to 200 (got {value!r})"
        )
    return value


def _values(
    entry: Mapping[str, Any], key: str, where: str, allowed: Iterable[Any]
) -> frozenset[Any]:
    values = entry.get(key, [])
    by_value = {member.value: member for member in allowed}
    if not isinstance(values, list):
        raise ScheduleError(f"{where}: `{key}` must be a list")
    for value in values:
        if value not in by_value:
            raise ScheduleError(
                f"{where}: `{key}` has {value!r}, which is not one of {', '.join(by_value)}"
            )
    return frozenset(by_value[v] for v in values)


def parse_schedule(text: str, source: str = "schedule") -> Schedule:
    """The schedule of a TOML text.

    Raises ``ScheduleError`` naming the rule and key for: bad TOML, an unknown key, no rule, a
    missing or duplicate id, a missing name, a period that is missing, negative, zero or not a
    whole number, a finding or state not in the vocabulary (states: the closed ones only), a
    last rule that does not match every case, or a rule after it that could never apply.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ScheduleError(f"{source}: not valid TOML ({error})") from None
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise ScheduleError(f"{source}: unknown key `{sorted(unknown)[0]}`")
    notice = data.get("notice_days", 90)
    if isinstance(notice, bool) or not isinstance(notice, int) or not 0 <= notice <= 3660:
        raise ScheduleError(f"{source}: `notice_days` must be a whole number from 0 to 3660")
    entries = data.get("rule", [])
    if not isinstance(entries, list) or not entries:
        raise ScheduleError(f"{source}: no [[rule]] is defined")
    rules: list[RetentionRule] = []
    for number, entry in enumerate(entries, start=1):
        where = f"{source}, rule {number}"
        if not isinstance(entry, dict):
            raise ScheduleError(f"{where}: must be a table")
        rule_id = entry.get("id")
        if not isinstance(rule_id, str) or not re.fullmatch(r"[a-z0-9_]{1,64}", rule_id):
            raise ScheduleError(f"{where}: `id` must be lower-case letters, digits and _")
        where = f"{source}, rule {rule_id!r}"
        extra = set(entry) - _RULE_KEYS
        if extra:
            raise ScheduleError(f"{where}: unknown key `{sorted(extra)[0]}`")
        if any(r.id == rule_id for r in rules):
            raise ScheduleError(f"{where}: the id is used twice")
        if rules and not rules[-1].findings and not rules[-1].states:
            raise ScheduleError(
                f"{where}: rule {rules[-1].id!r} before it matches every case, so this one "
                "would never apply"
            )
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ScheduleError(f"{where}: `name` must say in words which cases it covers")
        rules.append(
            RetentionRule(
                id=rule_id,
                name=name.strip(),
                personal_data_years=_years(entry, "personal_data_years", where),
                evidence_years=_years(entry, "evidence_years", where),
                findings=_values(entry, "findings", where, Finding),
                states=_values(entry, "states", where, sorted(DISPOSABLE_STATES)),
            )
        )
    last = rules[-1]
    if last.findings or last.states:
        raise ScheduleError(
            f"{source}, rule {last.id!r}: the last rule must match every closed case "
            "(no `findings`, no `states`)"
        )
    return Schedule(rules=tuple(rules), notice_days=notice, source=source)


def load_schedule(path: Path | str | None = None) -> Schedule:
    """The schedule in ``path`` (default: the shipped one); ``ScheduleError`` when unreadable."""
    file = Path(path) if path else DEFAULT_SCHEDULE
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as error:
        raise ScheduleError(f"cannot read the records schedule {file}: {error.strerror}") from None
    return parse_schedule(text, str(file))


def years_before(moment: dt.datetime, years: int) -> dt.datetime:
    """The same instant ``years`` calendar years earlier (29 February becomes the 28th)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)


def years_after(moment: dt.datetime, years: int) -> dt.datetime:
    """The same instant ``years`` calendar years later (29 February becomes the 28th)."""
    return years_before(moment, -years)
