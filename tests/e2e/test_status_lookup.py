"""A resident looks up a complaint and reads its status in Chromium with the keyboard only; the
lookup page (empty and with errors), the status page and the withdraw confirmation pass axe-core
(WCAG 2.1 A/AA) and the Nu HTML checker, and fit 320 px."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.browser import assert_accessible, vnu_errors
from tests.conftest import LiveServer
from tests.portal.status_support import make_complaint

pytestmark = pytest.mark.e2e


def focused_id(page: Any) -> str:
    return str(page.evaluate("document.activeElement ? document.activeElement.id : ''"))


def tab_to(page: Any, element_id: str, limit: int = 60) -> None:
    """Press Tab until the element with ``element_id`` has focus (fail after ``limit``)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused_id(page) == element_id:
            return
    raise AssertionError(f"#{element_id} is not reachable with the Tab key")


def save(page: Any, folder: Path, name: str) -> Path:
    path = folder / f"{name}.html"
    path.write_text(page.content(), encoding="utf-8")
    return path


def fits(page: Any, width: int) -> bool:
    page.set_viewport_size({"width": width, "height": 800})
    return bool(page.evaluate("document.documentElement.scrollWidth") <= width)


def test_keyboard_only_lookup_and_status_page(
    live_server: LiveServer, db: Session, page: Any, tmp_path: Path
) -> None:
    filed = make_complaint(db)
    saved: list[Path] = []

    page.goto(live_server.url + "/status")
    assert_accessible(page, "empty lookup page")
    saved.append(save(page, tmp_path, "lookup"))
    assert fits(page, 320)

    # A wrong code first: the error is announced and linked, the reference is kept.
    tab_to(page, "reference")
    page.keyboard.type(filed.reference.lower())
    page.keyboard.press("Tab")
    assert focused_id(page) == "access_code"
    page.keyboard.type("AAAA-AAAA-AAAA")
    page.keyboard.press("Enter")
    page.wait_for_selector("#error-summary")
    assert "We could not find a complaint" in page.inner_text("#error-summary")
    assert page.input_value("#access_code") == ""
    assert_accessible(page, "lookup page with an error")
    saved.append(save(page, tmp_path, "lookup-error"))

    # Now the right code, typed loosely (no dashes, small letters).
    tab_to(page, "access_code")
    page.keyboard.type(filed.code.replace("-", "").lower())
    page.keyboard.press("Enter")
    page.wait_for_selector("ol.timeline")
    assert page.url == live_server.url + "/status"  # nothing in the address
    assert page.inner_text("h1") == "Your complaint"
    assert page.inner_text("#current-status") == "Received"
    assert "What happens next" in page.inner_text("main")
    assert_accessible(page, "status page")
    saved.append(save(page, tmp_path, "status"))
    assert fits(page, 320)
    page.set_viewport_size({"width": 390, "height": 844})

    # Adding information has its own page; back to the status with the keyboard.
    for _ in range(60):
        page.keyboard.press("Tab")
        text = page.evaluate("document.activeElement.textContent.trim()")
        if text == "Add information or evidence":
            break
    else:
        raise AssertionError("the add-information link is not reachable with the Tab key")
    page.keyboard.press("Enter")
    page.wait_for_selector("#text")
    assert_accessible(page, "add information page")
    saved.append(save(page, tmp_path, "add"))
    tab_to(page, "text")
    page.keyboard.type("The car had a dent on the left door.")
    page.keyboard.press("Tab")  # the file input
    page.keyboard.press("Tab")  # the button
    page.keyboard.press("Enter")
    page.wait_for_selector("ol.timeline")
    assert "The car had a dent on the left door." in page.inner_text("ol.timeline")
    page.keyboard.press("Tab")  # from the top of the page again

    # The withdraw confirmation is reachable by keyboard too (and withdraws nothing yet).
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Withdraw my complaint":
            break
    else:
        raise AssertionError("the withdraw link is not reachable with the Tab key")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Are you sure you want to withdraw your complaint?")
    assert_accessible(page, "withdraw confirmation")
    saved.append(save(page, tmp_path, "withdraw"))

    errors = vnu_errors(saved)
    assert not errors, errors


def test_closed_complaint_pages_are_accessible(
    live_server: LiveServer, db: Session, page: Any, tmp_path: Path
) -> None:
    import datetime as dt

    from portal.vocabulary import CaseState
    from tests.portal.status_support import move_to

    filed = make_complaint(db, received_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=3))
    move_to(db, filed, CaseState.CLOSED, dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
    page.goto(live_server.url + "/status")
    page.fill("#reference", filed.reference)
    page.fill("#access_code", filed.code)
    page.keyboard.press("Enter")
    page.wait_for_selector("ol.timeline")
    assert page.inner_text("#current-status") == "Closed"
    saved = [save(page, tmp_path, "closed")]
    assert_accessible(page, "closed status page")
    for path, name in (("/status/review", "review"), ("/status/survey", "survey")):
        page.goto(live_server.url + path)
        assert_accessible(page, name)
        saved.append(save(page, tmp_path, name))
    page.goto(live_server.url + "/status/review")
    page.click("button[type=submit]")  # empty: the error summary and the inline error
    page.wait_for_selector("#error-summary")
    assert_accessible(page, "review with an error")
    saved.append(save(page, tmp_path, "review-error"))
    errors = vnu_errors(saved)
    assert not errors, errors
