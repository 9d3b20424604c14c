"""The trend report and its commissioner variant on a small hand-built data set whose figures are
worked out by hand (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import datetime as dt
import io

from sqlalchemy.orm import Session

from portal.models import Agency, Referral, SurveyResponse
from portal.services import reports
from portal.vocabulary import AllegationCategory, Channel, Finding
from portal.workflow import Action, transition
from tests.portal.casework_support import make_complaint

DAY = dt.timedelta(days=1)
MARCH = dt.datetime(2025, 3, 3, 10, tzinfo=dt.UTC)
APRIL = dt.datetime(2025, 4, 1, 10, tzinfo=dt.UTC)


def _data(db: Session) -> None:
    """Seven complaints:

    - March, D01, online ×3: one closed after investigation (force sustained, bias unfounded;
      screened after 2 days, findings 10 days later, closed 14 days after receipt), one referred
      (screened after 4 days; referral outcome recorded), one still received (overdue by April);
    - March, D02, phone ×1: closed after early resolution on day 6 (discourtesy → mediated),
      with a survey (ease 4, informed 2, fair 5, would recommend);
    - April, D01, letter ×2 (one with no district), received, not yet overdue on 2 April;
    - February ×1: outside the period.
    """
    c1 = make_complaint(
        db, now=MARCH, categories=(AllegationCategory.FORCE, AllegationCategory.BIAS)
    )
    transition(c1, Action.START_SCREENING, actor_id=None, now=MARCH)
    transition(c1, Action.SCREEN_INVESTIGATE, actor_id=None, now=MARCH + 2 * DAY)
    for allegation, finding in zip(
        c1.allegations, (Finding.SUSTAINED, Finding.UNFOUNDED), strict=True
    ):
        allegation.recommended_finding = allegation.finding = finding
    transition(c1, Action.SUBMIT_FINDINGS, actor_id=None, now=MARCH + 12 * DAY)
    transition(c1, Action.CLOSE, actor_id=None, now=MARCH + 14 * DAY)

    c2 = make_complaint(db, now=MARCH)
    transition(c2, Action.START_SCREENING, actor_id=None, now=MARCH)
    transition(c2, Action.SCREEN_REFER, actor_id=None, now=MARCH + 4 * DAY)
    agency = Agency(name="State Police Internal Affairs", is_active=True)
    db.add(agency)
    db.flush()
    db.add(
        Referral(
            complaint_id=c2.id,
            agency_id=agency.id,
            referred_at=MARCH + 4 * DAY,
            outcome="Investigating",
            outcome_at=MARCH + 20 * DAY,
        )
    )

    make_complaint(db, now=MARCH)

    c4 = make_complaint(
        db,
        now=MARCH,
        channel=Channel.PHONE,
        district="D02",
        categories=(AllegationCategory.DISCOURTESY,),
    )
    transition(c4, Action.START_SCREENING, actor_id=None, now=MARCH)
    transition(c4, Action.SCREEN_EARLY_RESOLUTION, actor_id=None, now=MARCH + DAY)
    transition(c4, Action.CLOSE, actor_id=None, now=MARCH + 6 * DAY)
    db.add(
        SurveyResponse(
            complaint_id=c4.id,
            submitted_at=MARCH + 7 * DAY,
            ease=4,
            kept_informed=2,
            treated_fairly=5,
            would_recommend=True,
        )
    )

    make_complaint(db, now=APRIL, channel=Channel.LETTER)
    make_complaint(db, now=APRIL, channel=Channel.LETTER, district=None)
    make_complaint(db, now=MARCH - 30 * DAY)
    db.commit()


def test_trend_report_figures(db: Session) -> None:
    _data(db)
    report = reports.trend_report(
        db, start=dt.date(2025, 3, 1), end=dt.date(2025, 5, 1), now=APRIL + DAY
    )
    assert report.total == 6
    assert report.by_month == [("2025-03", 4), ("2025-04", 2)]
    assert dict(report.by_district) == {"D01": 4, "D02": 1, "unknown": 1}
    assert dict(report.by_channel) == {"online": 3, "phone": 1, "letter": 2}
    assert dict(report.by_category) == {"force": 1, "bias": 1, "discourtesy": 1}
    assert dict(report.by_finding) == {"sustained": 1, "unfounded": 1, "mediated": 1}
    # Open: the referred one, the received March one, the two April ones. Overdue on 2 April:
    # the March received one (acknowledge/screen), the referred one is within its update clock.
    assert report.open_cases == 4
    assert report.overdue_open == 1
    assert dict(report.median_days) == {
        "received_to_screened": 2.0,  # days 2, 4, 1 → median 2
        "screened_to_findings": 10.0,
        "received_to_closed": 10.0,  # days 14 and 6 → 10
    }
    assert report.referral_outcomes == [("State Police Internal Affairs: outcome_recorded", 1)]
    assert dict(report.satisfaction) == {
        "responses": 1,
        "average_ease": 4.0,
        "average_kept_informed": 2.0,
        "average_treated_fairly": 5.0,
        "would_recommend_percent": 100.0,
    }
    rows = list(csv.reader(io.StringIO(reports.report_csv(report))))
    assert rows[0] == ["section", "key", "value"]
    assert ["month", "2025-03", "4"] in rows
    assert ["satisfaction", "average_ease", "4.0"] in rows


def test_commissioner_report_hides_small_cells(db: Session) -> None:
    _data(db)
    report = reports.commissioner_report(
        db, start=dt.date(2025, 3, 1), end=dt.date(2025, 5, 1), now=APRIL + DAY, threshold=3
    )
    assert report.total == 6
    assert report.by_month == [("2025-03", 4), ("2025-04", "<3")]
    assert dict(report.by_district) == {"D01": 4, "D02": "<3", "unknown": "<3"}
    assert dict(report.median_days) == {
        "received_to_screened": 2.0,  # rests on 3 cases
        "screened_to_findings": None,
        "received_to_closed": None,
    }
    assert report.referral_outcomes == [("outcome_recorded", "<3")]  # no agency names
    assert dict(report.satisfaction)["average_ease"] is None
    text = reports.report_csv(report)
    assert "State Police" not in text
    assert "period,suppressed_below,3" in text
