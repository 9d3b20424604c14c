"""Officer early warning: the rules, the flags with their cases, trend and peer median, the audit
of every look, the supervisors-only pages, and matching imported officers to the roster."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Allegation, InvolvedOfficer, Officer, OfficerMatch, Staff
from portal.services import early_warning
from portal.services.caserules import CaseworkError
from portal.services.early_warning import RulesError, load_rules, months_before, parse_rules
from portal.vocabulary import AllegationCategory, CaseState, Finding, StaffRole
from tests.portal.backoffice_support import audit_entries
from tests.portal.casework_support import make_complaint
from tests.portal.staff_support import create_staff

StaffClient = Callable[..., tuple[Any, Staff]]
NOW = dt.datetime(2026, 9, 15, 12, 0, tzinfo=dt.UTC)
RULES = load_rules()  # the shipped defaults: 3 in 12 months, 2 force in 6, sustained repeat


def _officer(
    db: Session,
    last: str,
    *,
    badge: str | None,
    unit: str | None = "North Patrol",
    first: str = "Pat",
    source: str = "roster",
) -> Officer:
    officer = Officer(
        first_name=first,
        last_name=last,
        badge_number=badge,
        unit=unit,
        source=source,
        source_id=f"{source}-{last}-{badge}",
    )
    db.add(officer)
    db.flush()
    return officer


def _allege(
    db: Session,
    officer: Officer,
    received: dt.datetime,
    category: AllegationCategory = AllegationCategory.DISCOURTESY,
    finding: Finding | None = None,
) -> int:
    """One complaint received at ``received`` with one allegation against ``officer``."""
    complaint = make_complaint(db, now=received, state=CaseState.INVESTIGATION)
    involved = InvolvedOfficer(officer_id=officer.id, is_unknown=False)
    complaint.officers.append(involved)
    complaint.allegations.append(
        Allegation(category=category, involved_officer=involved, finding=finding)
    )
    db.flush()
    return complaint.id


def _days_ago(days: int) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


@pytest.fixture
def supervisor(db: Session) -> Staff:
    return create_staff(db, StaffRole.SUPERVISOR)


def test_months_before_keeps_the_day_or_the_month_end() -> None:
    assert months_before(dt.date(2026, 9, 15), 12) == dt.date(2025, 9, 15)
    assert months_before(dt.date(2026, 3, 31), 1) == dt.date(2026, 2, 28)
    assert months_before(dt.date(2026, 1, 10), 6) == dt.date(2025, 7, 10)


def test_count_rule_flags_three_allegations_in_twelve_months_with_their_cases(
    db: Session, supervisor: Staff
) -> None:
    flagged_one = _officer(db, "Rivera", badge="101")
    quiet = _officer(db, "Chen", badge="102")
    cases = [_allege(db, flagged_one, _days_ago(d)) for d in (10, 100, 300)]
    _allege(db, flagged_one, _days_ago(400))  # outside the 12 months: does not count
    _allege(db, quiet, _days_ago(10))
    _allege(db, quiet, _days_ago(20))  # two: under the threshold of three
    db.commit()

    result = early_warning.flagged_officers(db, RULES, actor=supervisor, now=NOW)
    db.commit()
    assert [f.officer.id for f in result] == [flagged_one.id]
    (flag,) = result[0].flags
    assert flag.rule.id == "allegations_12_months" and flag.count == 3
    assert sorted(c.complaint_id for c in flag.cases) == sorted(cases)
    # The unit North Patrol has two officers with 3 and 2 allegations in the window: median 2.5.
    assert (flag.unit_median, flag.unit_officers) == (2.5, 2)


def test_force_rule_counts_only_force_in_six_months(db: Session, supervisor: Staff) -> None:
    officer = _officer(db, "Okafor", badge="201")
    _allege(db, officer, _days_ago(30), AllegationCategory.FORCE)
    _allege(db, officer, _days_ago(150), AllegationCategory.FORCE)
    _allege(db, officer, _days_ago(250), AllegationCategory.FORCE)  # more than 6 months ago
    db.commit()
    (flagged,) = early_warning.flagged_officers(db, RULES, actor=supervisor, now=NOW)
    by_rule = {f.rule.id: f for f in flagged.flags}
    assert by_rule["force_6_months"].count == 2
    assert by_rule["allegations_12_months"].count == 3  # every category counts there


def test_repeat_rule_needs_two_sustained_complaints_within_a_year(
    db: Session, supervisor: Staff
) -> None:
    repeat = _officer(db, "Novak", badge="301")
    apart = _officer(db, "Silva", badge="302")
    _allege(db, repeat, _days_ago(40), finding=Finding.SUSTAINED)
    _allege(db, repeat, _days_ago(300), finding=Finding.SUSTAINED)
    _allege(db, apart, _days_ago(40), finding=Finding.SUSTAINED)
    _allege(db, apart, _days_ago(500), finding=Finding.SUSTAINED)  # 460 days apart
    db.commit()
    result = early_warning.flagged_officers(db, RULES, actor=supervisor, now=NOW)
    flags = {f.officer.id: [x.rule.id for x in f.flags] for f in result}
    assert flags == {repeat.id: ["sustained_repeat"]}


def test_every_look_is_audited_without_names(db: Session, supervisor: Staff) -> None:
    officer = _officer(db, "Rivera", badge="101")
    for days in (5, 6, 7):
        _allege(db, officer, _days_ago(days))
    db.commit()
    early_warning.flagged_officers(db, RULES, actor=supervisor, now=NOW)
    detail = early_warning.officer_detail(db, RULES, officer.id, actor=supervisor, now=NOW)
    db.commit()
    (listing,) = audit_entries(db, early_warning.VIEW_FLAGS)
    assert listing.actor_id == supervisor.id and listing.detail == "1 officers flagged"
    (look,) = audit_entries(db, early_warning.VIEW_OFFICER)
    assert (look.object_type, look.object_id) == ("officer", officer.id)
    assert "Rivera" not in str(listing.detail) + str(look.detail)
    # The trend: 8 quarters, the last one (2026-Q3) holding the three allegations.
    assert [r.quarter for r in detail.trend][-1] == "2026-Q3" and len(detail.trend) == 8
    assert detail.trend[-1].count == 3


def test_only_supervisors_see_flags(db: Session) -> None:
    for role in (StaffRole.INTAKE, StaffRole.INVESTIGATOR, StaffRole.ADMIN, StaffRole.COMMISSIONER):
        staff = create_staff(db, role)
        with pytest.raises(CaseworkError):
            early_warning.flagged_officers(db, RULES, actor=staff, now=NOW)
        db.rollback()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no [[rule]]"),
        ('[[rule]]\nid = "a"\nname = "x"\nkind = "count"\nmonths = -1', "`months` must be"),
        ('[[rule]]\nid = "a"\nname = "x"\nkind = "sometimes"\nmonths = 1', "`kind` must be"),
        (
            '[[rule]]\nid = "a"\nname = "x"\nkind = "count"\nmonths = 1\ncategories = ["rude"]',
            "'rude', which is not one of",
        ),
        ('[[rule]]\nid = "a"\nname = "x"\nkind = "repeat"\nmonths = 12', "needs `findings`"),
        (
            '[[rule]]\nid = "a"\nname = "x"\nkind = "count"\nmonths = 1\nthreshhold = 3',
            "unknown key `threshhold`",
        ),
        (
            '[[rule]]\nid = "a"\nname = "x"\nkind = "count"\nmonths = 1\n'
            '[[rule]]\nid = "a"\nname = "y"\nkind = "count"\nmonths = 2',
            "used twice",
        ),
    ],
)
def test_a_wrong_rules_file_is_refused_with_the_rule_and_key(text: str, message: str) -> None:
    with pytest.raises(RulesError, match=message.replace("[", r"\[").replace("`", "`")):
        parse_rules(text, "rules.toml")


def test_the_app_refuses_to_start_with_a_wrong_rules_file(tmp_path: Any) -> None:
    from portal import create_app

    bad = tmp_path / "rules.toml"
    bad.write_text('[[rule]]\nid = "a"\nname = "x"\nkind = "count"\nmonths = 0\n')
    with pytest.raises(RulesError, match="`months` must be"):
        create_app(
            {"TESTING": True},
            environ={
                "LANTERN_INSTANCE_PATH": str(tmp_path / "instance"),
                "LANTERN_EARLY_WARNING_RULES": str(bad),
            },
        )


def test_pages_show_flags_cases_and_trend_to_supervisors_only(
    db: Session, staff_client: StaffClient
) -> None:
    officer = _officer(db, "Rivera", badge="101")
    cases = [_allege(db, officer, _days_ago(d)) for d in (5, 50, 90)]
    db.commit()
    client, _ = staff_client(StaffRole.SUPERVISOR)
    listing = client.get("/staff/early-warning").get_data(as_text=True)
    assert "Pat Rivera" in listing and "3 or more allegations in 12 months" in listing
    assert "1 officer flagged" in listing
    page = client.get(f"/staff/early-warning/officers/{officer.id}").get_data(as_text=True)
    for complaint_id in cases:
        assert f'href="/staff/cases/{complaint_id}"' in page
    assert "2026-Q3" in page and "Unit median" in page
    assert client.get("/staff/early-warning/officers/999999").status_code == 404
    for role in (StaffRole.INVESTIGATOR, StaffRole.ADMIN, StaffRole.COMMISSIONER):
        other, _ = staff_client(role)
        assert other.get("/staff/early-warning").status_code == 403
        assert other.get("/staff/officers/matches").status_code == 403


def test_suggested_matches_by_badge_and_by_name(db: Session, supervisor: Staff) -> None:
    roster = _officer(db, "Rivera", badge="00123")
    namesake = _officer(db, "Chen", badge="555", first="Li")
    by_badge = _officer(db, "Rivera", badge="123", source="ppd-history", first="P.")
    by_name = _officer(db, "Chen", badge=None, source="ppd-history", first="L")
    stranger = _officer(db, "Chen", badge="777", source="ppd-history", first="Li")  # other badge
    _officer(db, "Adams", badge=None, source="ppd-history")  # nobody on the roster
    db.commit()
    pairs = {
        (m.officer.id, m.roster.id, m.rule)
        for m in early_warning.match_candidates(db, actor=supervisor)
    }
    assert pairs == {(by_badge.id, roster.id, "badge"), (by_name.id, namesake.id, "name")}
    assert stranger.id not in {p[0] for p in pairs}


def test_confirming_a_match_moves_the_complaints_and_rejecting_hides_the_pair(
    db: Session, staff_client: StaffClient
) -> None:
    roster = _officer(db, "Rivera", badge="123")
    history = _officer(db, "Rivera", badge="0123", source="ppd-history")
    other_roster = _officer(db, "Chen", badge="9", first="Li")
    other_history = _officer(db, "Chen", badge=None, source="ppd-history", first="Li")
    moved = [_allege(db, history, _days_ago(d)) for d in (10, 20)]
    _allege(db, roster, _days_ago(30))
    db.commit()
    client, supervisor = staff_client(StaffRole.SUPERVISOR)
    page = client.get("/staff/officers/matches").get_data(as_text=True)
    assert "2 suggested matches" in page and "same badge" in page and "same name" in page

    confirm = {"officer_id": history.id, "roster_officer_id": roster.id, "decision": "confirm"}
    done = client.post("/staff/officers/matches", data=confirm, follow_redirects=True)
    assert "2 complaint involvements moved" in done.get_data(as_text=True)
    reject = {
        "officer_id": other_history.id,
        "roster_officer_id": other_roster.id,
        "decision": "reject",
    }
    client.post("/staff/officers/matches", data=reject)
    db.rollback()
    owners = db.scalars(
        select(InvolvedOfficer.officer_id).where(InvolvedOfficer.complaint_id.in_(moved))
    ).all()
    assert set(owners) == {roster.id}
    assert early_warning.match_candidates(db, actor=supervisor) == []
    decisions = {m.officer_id: m.decision for m in db.scalars(select(OfficerMatch))}
    assert decisions == {history.id: "confirmed", other_history.id: "rejected"}
    assert [e.object_id for e in audit_entries(db, early_warning.MATCH_CONFIRMED)] == [history.id]
    assert [e.object_id for e in audit_entries(db, early_warning.MATCH_REJECTED)] == [
        other_history.id
    ]
    # One identity now: the roster officer has all three allegations and is flagged.
    flagged = early_warning.flagged_officers(db, RULES, actor=supervisor, now=NOW)
    assert [(f.officer.id, f.flags[0].count) for f in flagged] == [(roster.id, 3)]
    # Deciding the same pair again is refused and changes nothing.
    again = client.post("/staff/officers/matches", data=confirm, follow_redirects=True)
    assert "not suggested any more" in again.get_data(as_text=True)
    db.rollback()
    assert (
        db.scalar(select(OfficerMatch.id).where(OfficerMatch.decision == "confirmed")) is not None
    )
    assert len(db.scalars(select(OfficerMatch)).all()) == 2
