"""The commission report in Debian Chromium: the back-office page (axe WCAG 2.1 AA, a report
downloaded with the keyboard alone) and the report page itself (axe, English and Spanish)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy.orm import Session

from portal.vocabulary import StaffRole
from publisher.report_render import write_report
from tests.browser import assert_accessible, assert_valid_html
from tests.conftest import start_live_server, stop_live_server
from tests.portal.staff_support import browser_sign_in, create_staff, sign_in_session
from tests.publisher.report_support import write_report_release

pytestmark = pytest.mark.e2e


def test_the_report_page_passes_axe_in_both_languages(tmp_path: Path, page: Any) -> None:
    release = write_report_release(tmp_path / "releases")
    for language in ("en", "es"):
        (html,) = write_report(release, "2026-Q3", tmp_path, formats=["html"], language=language)
        page.goto(html.as_uri())
        assert_accessible(page, html.name)


def test_a_commissioner_downloads_the_report_by_keyboard(
    database_url: str, db: Session, tmp_path: Path, browser: Any
) -> None:
    releases = tmp_path / "releases"
    write_report_release(releases, "1.0.0")
    create_staff(db, StaffRole.COMMISSIONER, email="cam@oversight.example", name="Cam")
    server = start_live_server(
        database_url, tmp_path / "live", extra_env={"LANTERN_RELEASES_FOLDER": str(releases)}
    )
    try:
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, locale="en-US", accept_downloads=True
        )
        page = context.new_page()
        page.set_default_timeout(15_000)
        browser_sign_in(page, server.url, "cam@oversight.example")
        page.goto(server.url + "/staff/reports/commission")
        assert_accessible(page, "commission report page")
        page.get_by_label("Period").focus()
        page.keyboard.press("ArrowDown")  # 2026-Q3 is first; one down is 2026-Q2
        button = page.get_by_role("button", name="Download the report")
        for _ in range(20):
            page.keyboard.press("Tab")
            if button.evaluate("b => b === document.activeElement"):
                break
        else:
            pytest.fail("the download button cannot be reached with Tab")
        # Printing the PDF takes a few seconds (far more on a busy shared machine).
        with page.expect_download(timeout=120_000) as download:
            page.keyboard.press("Enter")
        assert download.value.suggested_filename == "commission-report-2026-Q2-en.pdf"
        path = tmp_path / "downloaded.pdf"
        download.value.save_as(path)
        assert "Commission report, 2026-Q2" in PdfReader(path).pages[0].extract_text()
        context.close()
    finally:
        stop_live_server(server)


def test_the_back_office_page_is_valid_html(app: Any, db: Session, tmp_path: Path) -> None:
    releases = tmp_path / "releases"
    write_report_release(releases, "1.0.0")
    app.config["RELEASES_FOLDER"] = str(releases)
    client = app.test_client()
    sign_in_session(client, create_staff(db, StaffRole.SUPERVISOR))
    pages = {
        "commission": client.get("/staff/reports/commission").get_data(as_text=True),
        "commission_error": client.get(
            "/staff/reports/commission/download?period=1999&language=en&format=pdf"
        ).get_data(as_text=True),
    }
    assert "There is a problem" in pages["commission_error"]
    assert_valid_html(pages, tmp_path)
