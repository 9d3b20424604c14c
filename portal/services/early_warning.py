"""Officer early warning (internal): rules the office sets, the officers they flag, the cases behind
each flag, the trend and a peer comparison; and matching imported officers to the roster.

Flags are computed when a supervisor looks (nothing is stored, so nothing can leak into a
release), and every look is audited. The rules live in a TOML file (``early_warning.default.toml``
beside this package, or ``LANTERN_EARLY_WARNING_RULES``); see ``parse_rules`` for what it may say.
Dates are the day the office received the complaint (UTC).

Matching: an officer brought in by ``lantern import`` (``source`` other than the roster's) may be
someone already on the roster under another id. ``match_candidates`` suggests pairs by badge
(the same badge once case, spaces, punctuation and leading zeros are ignored) or by name (the
same last name and first name or initial); a supervisor confirms (the imported officer's
complaints move to the roster officer) or rejects (never suggested again).
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
import tomllib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from portal.models import (
    Allegation,
    Complaint,
    InvolvedOfficer,
    Officer,
    OfficerMatch,
    Staff,
)
from portal.services.caserules import CaseworkError, record, require, start_write
from portal.services.permissions import Permission
from portal.services.search import reindex_complaint
from portal.vocabulary import AllegationCategory, Finding

DEFAULT_RULES = Path(__file__).resolve().parent.parent / "early_warning.default.toml"
#: The ``source`` of officers imported by ``lantern officers import`` (its default ``--source``).
ROSTER_SOURCE = "roster"
KINDS = ("count", "repeat")
TREND_QUARTERS = 8

VIEW_FLAGS = "early_warning.view"
VIEW_OFFICER = "early_warning.view_officer"
MATCH_CONFIRMED = "officer.match_confirmed"
MATCH_REJECTED = "officer.match_rejected"


class RulesError(ValueError):
    """The rules file is wrong; ``str(error)`` names the rule and the key."""


@dataclass(frozen=True)
class Rule:
    """One early-warning rule (see the module docstring and the default file)."""

    id: str
    name: str
    kind: str
    months: int
    threshold: int = 2
    categories: frozenset[AllegationCategory] = frozenset()
    findings: frozenset[Finding] = frozenset()
    lookback_months: int = 24


_RULE_KEYS = {"id", "name", "kind", "months", "threshold", "categories", "findings"}
_RULE_KEYS |= {"lookback_months"}


def _positive(entry: Mapping[str, Any], key: str, where: str, default: int | None = None) -> int:
    value = entry.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise RulesError(f"{where}: `{key}` must be a whole number of 1 or more (got {value!r})")
    return value


def _codes(entry: Mapping[str, Any], key: str, where: str, vocabulary: Any) -> frozenset[Any]:
    values = entry.get(key, [])
    if not isinstance(values, list):
        raise RulesError(f"{where}: `{key}` must be a list")
    allowed = {v.value: v for v in vocabulary}
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise RulesError(
            f"{where}: `{key}` has {unknown[0]!r}, which is not one of {', '.join(allowed)}"
        )
    return frozenset(allowed[v] for v in values)


def parse_rules(text: str, source: str = "rules") -> tuple[Rule, ...]:
    """The rules of a TOML text (``[[rule]]`` tables).

    Raises ``RulesError`` naming the rule and key for: bad TOML, no rule, an unknown key, a
    missing or duplicate id, an unknown kind, a period or threshold that is not a whole number of
    1 or more, a category or finding that is not in the vocabulary, or a repeat rule without a
    finding to repeat.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RulesError(f"{source}: not valid TOML ({error})") from None
    unknown_top = set(data) - {"rule"}
    if unknown_top:
        raise RulesError(f"{source}: unknown section {sorted(unknown_top)[0]!r} (only [[rule]])")
    entries = data.get("rule", [])
    if not isinstance(entries, list) or not entries:
        raise RulesError(f"{source}: no [[rule]] is defined")
    rules: list[Rule] = []
    for number, entry in enumerate(entries, start=1):
        where = f"{source}, rule {number}"
        if not isinstance(entry, dict):
            raise RulesError(f"{where}: must be a table")
        rule_id = entry.get("id")
        if not isinstance(rule_id, str) or not re.fullmatch(r"[a-z0-9_]{1,64}", rule_id):
            raise RulesError(f"{where}: `id` must be lower-case letters, digits and _")
        where = f"{source}, rule {rule_id!r}"
        extra = set(entry) - _RULE_KEYS
        if extra:
            raise RulesError(f"{where}: unknown key `{sorted(extra)[0]}`")
        if any(r.id == rule_id for r in rules):
            raise RulesError(f"{where}: the id is used twice")
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            raise RulesError(f"{where}: `name` must say in words what the rule flags")
        kind = entry.get("kind")
        if kind not in KINDS:
            raise RulesError(f"{where}: `kind` must be one of {', '.join(KINDS)} (got {kind!r})")
        rule = Rule(
            id=rule_id,
            name=name.strip(),
            kind=kind,
            months=_positive(entry, "months", where),
            threshold=_positive(entry, "threshold", where, 2),
            categories=_codes(entry, "categories", where, AllegationCategory),
            findings=_codes(entry, "findings", where, Finding),
            lookback_months=_positive(entry, "lookback_months", where, 24),
        )
        if kind == "repeat" and not rule.findings:
            raise RulesError(f'{where}: a repeat rule needs `findings` (e.g. ["sustained"])')
        if kind == "count" and rule.threshold < 2 and not rule.findings:
            # One allegation of any kind would flag every officer ever named.
            raise RulesError(f"{where}: `threshold` must be 2 or more for a count of allegations")
        rules.append(rule)
    return tuple(rules)


def load_rules(path: Path | str | None = None) -> tuple[Rule, ...]:
    """The rules of ``path`` (default: the shipped defaults); ``RulesError`` when unreadable."""
    file = Path(path) if path else DEFAULT_RULES
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as error:
        raise RulesError(f"cannot read the early-warning rules {file}: {error.strerror}") from None
    return parse_rules(text, str(file))


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months earlier (the month's last day when shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def quarter_of(day: dt.date) -> str:
    """``2026-Q3``."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


@dataclass(frozen=True)
class OfficerSummary:
    """Who an officer is on the roster (personal data: back office only)."""

    id: int
    name: str
    badge: str | None
    unit: str | None
    rank: str | None
    source: str | None


@dataclass(frozen=True)
class CaseRef:
    """One allegation behind a flag."""

    complaint_id: int
    reference: str
    received_on: dt.date
    category: AllegationCategory
    finding: Finding | None


@dataclass(frozen=True)
class Flag:
    """A rule an officer meets: the count, the cases, and the median of their unit's officers."""

    rule: Rule
    count: int
    cases: tuple[CaseRef, ...]
    unit_median: float
    unit_officers: int


@dataclass(frozen=True)
class FlaggedOfficer:
    """An officer with the flags they raise."""

    officer: OfficerSummary
    flags: tuple[Flag, ...]


@dataclass(frozen=True)
class TrendRow:
    """Allegations against the officer in one quarter, and the median of the unit's officers."""

    quarter: str
    count: int
    unit_median: float


@dataclass(frozen=True)
class OfficerDetail:
    """One officer's flags, all their allegations in the trend window and the trend."""

    officer: OfficerSummary
    flags: tuple[Flag, ...]
    trend: tuple[TrendRow, ...]
    cases: tuple[CaseRef, ...]


def _summary(officer: Officer) -> OfficerSummary:
    name = " ".join(p for p in (officer.first_name, officer.last_name) if p) or "—"
    return OfficerSummary(
        officer.id, name, officer.badge_number, officer.unit, officer.rank, officer.source
    )


def _merged_ids(session: Session) -> set[int]:
    """Imported officers confirmed to be a roster officer (no identity of their own any more)."""
    return set(
        session.scalars(
            select(OfficerMatch.officer_id).where(OfficerMatch.decision == "confirmed")
        ).all()
    )


def _allegations(
    session: Session, since: dt.date, officer_ids: Iterable[int] | None = None
) -> dict[int, list[CaseRef]]:
    """Every allegation against an identified officer received on or after ``since``, by officer
    (one query), oldest first."""
    start = dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC)
    query = (
        select(
            InvolvedOfficer.officer_id,
            Complaint.id,
            Complaint.reference,
            Complaint.received_at,
            Allegation.category,
            Allegation.finding,
        )
        .join(InvolvedOfficer, Allegation.involved_officer_id == InvolvedOfficer.id)
        .join(Complaint, Allegation.complaint_id == Complaint.id)
        .where(InvolvedOfficer.officer_id.is_not(None), Complaint.received_at >= start)
        .order_by(Complaint.received_at, Allegation.id)
    )
    if officer_ids is not None:
        query = query.where(InvolvedOfficer.officer_id.in_(list(officer_ids)))
    found: dict[int, list[CaseRef]] = defaultdict(list)
    for officer_id, complaint_id, reference, received_at, category, finding in session.execute(
        query
    ):
        found[int(officer_id or 0)].append(
            CaseRef(
                complaint_id,
                reference,
                received_at.astimezone(dt.UTC).date(),
                category,
                finding,
            )
        )
    return found


def _earliest(rules: Sequence[Rule], today: dt.date) -> dt.date:
    starts = [months_before(today, TREND_QUARTERS * 3)]
    for rule in rules:
        months = rule.months if rule.kind == "count" else rule.lookback_months + rule.months
        starts.append(months_before(today, months))
    return min(starts)


def _counted(rule: Rule, cases: Sequence[CaseRef], today: dt.date) -> tuple[CaseRef, ...]:
    """The allegations a count rule counts: in its window, of its categories and findings."""
    start = months_before(today, rule.months)
    return tuple(
        c
        for c in cases
        if c.received_on >= start
        and (not rule.categories or c.category in rule.categories)
        and (not rule.findings or c.finding in rule.findings)
    )


def _matching(rule: Rule, cases: Sequence[CaseRef], today: dt.date) -> tuple[CaseRef, ...]:
    """The officer's allegations that make up ``rule`` (empty when the rule is not met)."""
    if rule.kind == "count":
        hits = _counted(rule, cases, today)
        return hits if len(hits) >= rule.threshold else ()
    qualifying = [
        c
        for c in cases
        if c.finding in rule.findings and (not rule.categories or c.category in rule.categories)
    ]
    lookback = months_before(today, rule.lookback_months)
    behind: set[CaseRef] = set()
    for later in qualifying:
        if later.received_on < lookback:
            continue
        earlier_start = months_before(later.received_on, rule.months)
        for earlier in qualifying:
            if earlier is later or not (earlier_start <= earlier.received_on <= later.received_on):
                continue
            if earlier.complaint_id == later.complaint_id:
                continue  # two findings of one complaint are one event, not a repeat
            behind.update((earlier, later))
    return tuple(c for c in qualifying if c in behind)


def _peer_value(rule: Rule, cases: Sequence[CaseRef], today: dt.date) -> int:
    """The measure the unit's median is taken of: the rule's count without its threshold."""
    if rule.kind == "count":
        return len(_counted(rule, cases, today))
    lookback = months_before(today, rule.lookback_months)
    return sum(1 for c in cases if c.finding in rule.findings and c.received_on >= lookback)


class _Units:
    """The officers of each unit (roster officers and unmerged imported ones), for medians."""

    def __init__(self, officers: Sequence[Officer]) -> None:
        self.members: dict[str | None, list[int]] = defaultdict(list)
        for officer in officers:
            self.members[_unit_key(officer.unit)].append(officer.id)

    def median(self, unit: str | None, values: Mapping[int, int]) -> tuple[float, int]:
        members = self.members.get(_unit_key(unit), [])
        if not members:
            return 0.0, 0
        return float(statistics.median(values.get(m, 0) for m in members)), len(members)


def _unit_key(unit: str | None) -> str | None:
    return " ".join(unit.split()).casefold() if unit and unit.strip() else None


def _flags_of(
    officer: Officer,
    rules: Sequence[Rule],
    by_officer: Mapping[int, Sequence[CaseRef]],
    units: _Units,
    today: dt.date,
    peers: dict[str, dict[int, int]],
) -> tuple[Flag, ...]:
    flags = []
    for rule in rules:
        hits = _matching(rule, by_officer.get(officer.id, ()), today)
        if not hits:
            continue
        if rule.id not in peers:
            peers[rule.id] = {oid: _peer_value(rule, c, today) for oid, c in by_officer.items()}
        median, members = units.median(officer.unit, peers[rule.id])
        flags.append(Flag(rule, len(hits), hits, median, members))
    return tuple(flags)


def _audited_view(
    session: Session,
    actor: Staff,
    action: str,
    now: dt.datetime,
    *,
    officer_id: int | None = None,
    detail: str | None = None,
) -> None:
    """Audit a look at flags: on the officer looked at, or on the list (object id 0)."""
    start_write(session)
    object_type = "officer" if officer_id is not None else "early_warning"
    record(session, actor, action, object_type, officer_id or 0, now, detail=detail)


def flagged_officers(
    session: Session, rules: Sequence[Rule], *, actor: Staff, now: dt.datetime
) -> list[FlaggedOfficer]:
    """Every officer the rules flag, most flags first, with the cases behind each flag.

    Requires ``officer.early_warning``; the look is audited (``early_warning.view``, with the
    number of officers flagged; no names). The caller commits.
    """
    require(actor, Permission.OFFICER_EARLY_WARNING)
    today = now.astimezone(dt.UTC).date()
    merged = _merged_ids(session)
    officers = [o for o in session.scalars(select(Officer)).all() if o.id not in merged]
    by_officer = _allegations(session, _earliest(rules, today))
    units = _Units(officers)
    peers: dict[str, dict[int, int]] = {}
    result = []
    for officer in officers:
        if officer.id not in by_officer:
            continue
        flags = _flags_of(officer, rules, by_officer, units, today, peers)
        if flags:
            result.append(FlaggedOfficer(_summary(officer), flags))
    result.sort(key=lambda f: (-len(f.flags), -sum(x.count for x in f.flags), f.officer.name))
    _audited_view(session, actor, VIEW_FLAGS, now, detail=f"{len(result)} officers flagged")
    return result


def officer_detail(
    session: Session, rules: Sequence[Rule], officer_id: int, *, actor: Staff, now: dt.datetime
) -> OfficerDetail:
    """One officer's flags, trend by quarter (with the unit's median) and allegations.

    Requires ``officer.early_warning``; audited (``early_warning.view_officer`` on the officer).
    ``CaseworkError`` when there is no such officer. The caller commits.
    """
    require(actor, Permission.OFFICER_EARLY_WARNING)
    officer = session.get(Officer, officer_id)
    if officer is None:
        raise CaseworkError("There is no such officer.")
    today = now.astimezone(dt.UTC).date()
    merged = _merged_ids(session)
    unit_key = _unit_key(officer.unit)
    officers = [o for o in session.scalars(select(Officer)).all() if o.id not in merged]
    colleagues = [o for o in officers if _unit_key(o.unit) == unit_key]
    by_officer = _allegations(session, _earliest(rules, today), [o.id for o in colleagues])
    units = _Units(officers)
    flags = _flags_of(officer, rules, by_officer, units, today, {})
    quarters: list[str] = []
    day = today
    for _ in range(TREND_QUARTERS):
        quarters.insert(0, quarter_of(day))
        day = months_before(day, 3)
    per: dict[int, dict[str, int]] = {
        oid: _count_by_quarter(cases) for oid, cases in by_officer.items()
    }
    mine = per.get(officer.id, {})
    trend = tuple(
        TrendRow(
            q,
            mine.get(q, 0),
            float(statistics.median(per.get(c.id, {}).get(q, 0) for c in colleagues)),
        )
        for q in quarters
    )
    start = months_before(today, TREND_QUARTERS * 3)
    cases = tuple(
        sorted(
            (c for c in by_officer.get(officer.id, ()) if c.received_on >= start),
            key=lambda c: c.received_on,
            reverse=True,
        )
    )
    _audited_view(session, actor, VIEW_OFFICER, now, officer_id=officer.id)
    return OfficerDetail(_summary(officer), flags, trend, cases)


def _count_by_quarter(cases: Iterable[CaseRef]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for case in cases:
        counts[quarter_of(case.received_on)] += 1
    return counts


# --- matching imported officers to the roster -----------------------------------------------


@dataclass(frozen=True)
class MatchCandidate:
    """A suggested pair: an imported officer who may be the roster officer."""

    officer: OfficerSummary
    roster: OfficerSummary
    rule: str
    involvements: int


def normalize_badge(badge: str | None) -> str:
    """A badge as compared: letters and digits only, upper case, no leading zeros."""
    text = re.sub(r"[^0-9A-Za-z]", "", badge or "").upper()
    return text.lstrip("0") or ("0" if text else "")


def _name_key(name: str | None) -> str:
    return re.sub(r"[^a-z]", "", (name or "").casefold())


def _rule_for(imported: Officer, roster: Officer) -> str | None:
    """Why ``imported`` may be ``roster`` (badge first), or None."""
    badge = normalize_badge(imported.badge_number)
    if badge and badge == normalize_badge(roster.badge_number):
        return "badge"
    last = _name_key(imported.last_name)
    if not last or last != _name_key(roster.last_name):
        return None
    first, other = _name_key(imported.first_name), _name_key(roster.first_name)
    initial_only = min(len(first), len(other)) == 1
    if first and other and (first == other or (initial_only and first[0] == other[0])):
        if badge and normalize_badge(roster.badge_number):
            return None  # two different badges: two people who share a name
        return "name"
    return None


def _decided_pairs(session: Session) -> set[tuple[int, int]]:
    return {
        (a, b)
        for a, b in session.execute(select(OfficerMatch.officer_id, OfficerMatch.roster_officer_id))
    }


def match_candidates(session: Session, *, actor: Staff) -> list[MatchCandidate]:
    """Imported officers (``source`` not the roster's) who may be a roster officer, by badge or
    by name, without a decision yet; pairs of an already merged officer are left out.

    Requires ``officer.match``. Reading it is not audited (no case data; the decisions are).
    """
    require(actor, Permission.OFFICER_MATCH)
    officers = session.scalars(select(Officer).order_by(Officer.id)).all()
    merged = _merged_ids(session)
    decided = _decided_pairs(session)
    roster = [o for o in officers if o.source == ROSTER_SOURCE]
    by_badge: dict[str, list[Officer]] = defaultdict(list)
    by_last: dict[str, list[Officer]] = defaultdict(list)
    for officer in roster:
        if normalize_badge(officer.badge_number):
            by_badge[normalize_badge(officer.badge_number)].append(officer)
        if _name_key(officer.last_name):
            by_last[_name_key(officer.last_name)].append(officer)
    involvements = dict(
        session.execute(
            select(InvolvedOfficer.officer_id, func.count())
            .where(InvolvedOfficer.officer_id.is_not(None))
            .group_by(InvolvedOfficer.officer_id)
        ).all()
    )
    found: list[MatchCandidate] = []
    for imported in officers:
        if imported.source in (None, ROSTER_SOURCE) or imported.id in merged:
            continue
        seen: set[int] = set()
        possible = [
            *by_badge.get(normalize_badge(imported.badge_number), []),
            *by_last.get(_name_key(imported.last_name), []),
        ]
        for candidate in possible:
            if candidate.id in seen or (imported.id, candidate.id) in decided:
                continue
            seen.add(candidate.id)
            rule = _rule_for(imported, candidate)
            if rule:
                found.append(
                    MatchCandidate(
                        _summary(imported),
                        _summary(candidate),
                        rule,
                        int(involvements.get(imported.id, 0)),
                    )
                )
    found.sort(key=lambda m: (m.rule != "badge", m.officer.name, m.roster.name))
    return found


def decide_match(
    session: Session,
    officer_id: int,
    roster_officer_id: int,
    *,
    confirm: bool,
    actor: Staff,
    now: dt.datetime,
) -> OfficerMatch:
    """Confirm (``confirm=True``) or reject a suggested pair; audited either way.

    On confirmation every complaint involvement of the imported officer moves to the roster
    officer, so the person has one identity from then on (early warning, reports, releases).
    ``CaseworkError`` when the pair is not (or no longer) suggested. The caller commits.
    """
    require(actor, Permission.OFFICER_MATCH)
    start_write(session)
    imported = session.get(Officer, officer_id)
    roster = session.get(Officer, roster_officer_id)
    if imported is None or roster is None:
        raise CaseworkError("There is no such officer.")
    rule = _rule_for(imported, roster)
    if (
        rule is None
        or roster.source != ROSTER_SOURCE
        or imported.source in (None, ROSTER_SOURCE)
        or imported.id in _merged_ids(session)
        or (imported.id, roster.id) in _decided_pairs(session)
    ):
        raise CaseworkError("This pair is not suggested any more; the list was refreshed.")
    moved = 0
    if confirm:
        touched = list(
            session.scalars(
                select(InvolvedOfficer.complaint_id)
                .where(InvolvedOfficer.officer_id == imported.id)
                .distinct()
            )
        )
        result: Any = session.execute(
            update(InvolvedOfficer)
            .where(InvolvedOfficer.officer_id == imported.id)
            .values(officer_id=roster.id)
        )
        moved = int(result.rowcount)
        for complaint_id in touched:  # the roster officer's name is searchable now
            reindex_complaint(session, complaint_id, now=now)
    match = OfficerMatch(
        officer_id=imported.id,
        roster_officer_id=roster.id,
        rule=rule,
        decision="confirmed" if confirm else "rejected",
        decided_by_id=actor.id,
        decided_at=now,
        moved_involvements=moved,
    )
    session.add(match)
    record(
        session,
        actor,
        MATCH_CONFIRMED if confirm else MATCH_REJECTED,
        "officer",
        imported.id,
        now,
        after={"roster_officer_id": roster.id, "rule": rule, "moved_involvements": moved},
    )
    session.flush()
    return match
