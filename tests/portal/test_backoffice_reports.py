"""The trend report page and CSV (management), and the aggregate report (commissioners) where
small counts are never shown."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from portal.models import Staff
from portal.vocabulary import AllegationCategory, Channel, StaffRole
from tests.portal.backoffice_support import audit_entries
from tests.portal.casework_support import make_complaint

StaffClient = Callable[..., tuple[Any, Staff]]
MARCH = dt.datetime(2025, 3, 10, 12, tzinfo=dt.UTC)
PERIOD = "start=2025-03-01&end=2025-04-01"


def _cases(db: Session) -> None:
    for _ in range(6):
        make_complaint(db, now=MARCH, channel=Channel.ONLINE, district="D01")
    for _ in range(2):
        make_complaint(
            db,
            now=MARCH,
            channel=Channel.PHONE,
            district="D02",
            categories=(AllegationCategory.FORCE,),
        )
    make_complaint(db, now=MARCH - dt.timedelta(days=60))  # outside the period
    db.commit()


def _row(page: str, caption: str, item: str) -> str:
    """The value cell of ``item`` in the table captioned ``caption``."""
    table = re.search(rf">{re.escape(caption)}</caption>(.*?)</table>", page, re.S)
    assert table, caption
    cell = re.search(rf"<th scope=\"row\">{re.escape(item)}</th><td>(.*?)</td>", table.group(1))
    assert cell, (caption, item)
    return cell.group(1)


def test_trend_report_counts_the_period(db: Session, staff_client: StaffClient) -> None:
    _cases(db)
    client, _ = staff_client(StaffRole.SUPERVISOR)
    response = client.get(f"/staff/reports?{PERIOD}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert _row(page, "Summary", "Complaints received") == "8"
    assert _row(page, "Complaints by month received", "2025-03") == "8"
    assert _row(page, "Complaints by channel", "Online") == "6"
    assert _row(page, "Complaints by channel", "Phone") == "2"
    assert _row(page, "Complaints by district", "D02") == "2"
    assert _row(page, "Allegations by category", "Force") == "2"


def test_trend_report_csv_is_a_download_and_audited(db: Session, staff_client: StaffClient):
    _cases(db)
    client, supervisor = staff_client(StaffRole.SUPERVISOR)
    response = client.get(f"/staff/reports/trend.csv?{PERIOD}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["section", "key", "value"]
    assert ["summary", "complaints", "8"] in rows
    assert ["channel", "phone", "2"] in rows
    (entry,) = audit_entries(db, "report.export")
    assert entry.actor_id == supervisor.id and entry.detail == "trend 2025-03-01..2025-04-01"


def test_commissioner_gets_only_the_aggregate_report(db: Session, staff_client: StaffClient):
    _cases(db)
    client, _ = staff_client(StaffRole.COMMISSIONER)
    assert client.get(f"/staff/reports?{PERIOD}").status_code == 403
    assert client.get(f"/staff/reports/trend.csv?{PERIOD}").status_code == 403
    page = client.get(f"/staff/reports/aggregate?{PERIOD}").get_data(as_text=True)
    assert _row(page, "Complaints by channel", "Online") == "6"
    assert _row(page, "Complaints by channel", "Phone") == "&lt;5"  # 2 is a small count
    rows = list(
        csv.reader(
            io.StringIO(client.get(f"/staff/reports/aggregate.csv?{PERIOD}").get_data(as_text=True))
        )
    )
    assert ["channel", "phone", "<5"] in rows and ["channel", "online", "6"] in rows
    for row in rows:
        assert row[2] not in {"1", "2", "3", "4"}, row


def test_reports_refused_to_intake_and_investigator(staff_client: StaffClient) -> None:
    for role in (StaffRole.INTAKE, StaffRole.INVESTIGATOR):
        client, _ = staff_client(role)
        assert client.get("/staff/reports").status_code == 403
        assert client.get("/staff/reports/aggregate").status_code == 403


def test_default_period_is_the_last_twelve_months(db: Session, staff_client: StaffClient):
    make_complaint(db, now=dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
    make_complaint(db, now=dt.datetime.now(dt.UTC) - dt.timedelta(days=500))
    db.commit()
    client, _ = staff_client(StaffRole.ADMIN)
    page = client.get("/staff/reports").get_data(as_text=True)
    assert _row(page, "Summary", "Complaints received") == "1"
