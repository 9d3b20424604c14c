"""The commission report in the back office: commissioners and supervisors download the newest
release's report (HTML or PDF, English or Spanish); every download is audited."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from pypdf import PdfReader
from sqlalchemy.orm import Session

from portal.models import Staff
from portal.vocabulary import StaffRole
from tests.portal.backoffice_support import audit_entries
from tests.publisher.report_support import write_report_release

StaffClient = Callable[..., tuple[Any, Staff]]
PAGE = "/staff/reports/commission"
DOWNLOAD = "/staff/reports/commission/download"


@pytest.fixture
def app_config(tmp_path: Path) -> dict[str, Any]:
    """Two releases in the app's releases folder (1.1.0 is the newest)."""
    releases = tmp_path / "releases"
    write_report_release(releases, "1.0.0")
    write_report_release(releases, "1.1.0")
    return {"RELEASES_FOLDER": str(releases)}


@pytest.mark.parametrize("role", [StaffRole.COMMISSIONER, StaffRole.SUPERVISOR])
def test_commission_report_downloads_as_pdf_and_html(
    db: Session, staff_client: StaffClient, role: StaffRole
) -> None:
    client, staff = staff_client(role)
    page = client.get(PAGE).get_data(as_text=True)
    assert "(1.1.0)" in page  # the newest release
    # The periods are the release's quarters (2025-Q3 to 2026-Q3) and years, newest first.
    assert (
        page.index('value="2026-Q3"') < page.index('value="2025-Q3"') < page.index('value="2026"')
    )
    response = client.get(f"{DOWNLOAD}?period=2026-Q3&language=en&format=pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert 'filename="commission-report-2026-Q3-en.pdf"' in response.headers["Content-Disposition"]
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    assert "Commission report, 2026-Q3" in text and "1.1.0" in text
    response = client.get(f"{DOWNLOAD}?period=2026&language=es&format=html")
    assert response.status_code == 200
    assert "Informe para la comisión, 2026" in response.get_data(as_text=True)
    entries = audit_entries(db, "report.export")
    assert [(e.actor_id, e.detail) for e in entries] == [
        (staff.id, "commission 2026-Q3 en pdf release 1.1.0"),
        (staff.id, "commission 2026 es html release 1.1.0"),
    ]


def test_a_period_outside_the_release_comes_back_with_a_message(
    db: Session, staff_client: StaffClient
) -> None:
    client, _ = staff_client(StaffRole.COMMISSIONER)
    response = client.get(f"{DOWNLOAD}?period=2019-Q1&language=es&format=html")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Not a valid choice" in page or "not a valid choice" in page.lower()
    assert 'selected value="es"' in page  # the other answers are kept
    assert audit_entries(db, "report.export") == []


@pytest.mark.parametrize("role", [StaffRole.INTAKE, StaffRole.INVESTIGATOR, StaffRole.ADMIN])
def test_other_roles_are_refused(staff_client: StaffClient, role: StaffRole) -> None:
    client, _ = staff_client(role)
    assert client.get(PAGE).status_code == 403
    assert client.get(f"{DOWNLOAD}?period=2026-Q3&language=en&format=pdf").status_code == 403


def test_without_a_release_the_page_says_so(
    app: Flask, tmp_path: Path, staff_client: StaffClient
) -> None:
    app.config["RELEASES_FOLDER"] = str(tmp_path / "nothing-here")
    client, _ = staff_client(StaffRole.COMMISSIONER)
    page = client.get(PAGE).get_data(as_text=True)
    assert "No data release has been published yet" in page
    assert client.get(f"{DOWNLOAD}?period=2026-Q3").status_code == 404
