"""A resident files a complaint in Chromium with the keyboard only, in Spanish, with an
attachment, and reads the receipt; the form (empty and with errors) and the receipt pass axe-core
(WCAG 2.1 A/AA) and the Nu HTML checker, and work 320 px wide."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Complaint
from tests.browser import assert_accessible, choose_file_by_keyboard, vnu_errors
from tests.conftest import LiveServer
from tests.portal.intake_support import PNG

pytestmark = pytest.mark.e2e


def focused_id(page: Any) -> str:
    return str(page.evaluate("document.activeElement ? document.activeElement.id : ''"))


def tab_to(page: Any, element_id: str, limit: int = 250) -> None:
    """Press Tab until the element with ``element_id`` has focus (fail after ``limit`` presses)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused_id(page) == element_id:
            return
    raise AssertionError(f"#{element_id} is not reachable with the Tab key")


def tab_to_link(page: Any, text: str, limit: int = 40) -> None:
    """Press Tab until a link with exactly ``text`` has focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == text:
            return
    raise AssertionError(f"no link {text!r} reachable with the Tab key")


def save(page: Any, folder: Path, name: str) -> Path:
    path = folder / f"{name}.html"
    path.write_text(page.content(), encoding="utf-8")
    return path


def assert_fits(page: Any, width: int, label: str) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{label}: horizontal scroll at {width} px ({scroll} px wide)"


def test_keyboard_only_spanish_filing_with_an_attachment(
    live_server: LiveServer, db: Session, page: Any, tmp_path: Path
) -> None:
    evidence = tmp_path / "foto de la calle.png"
    evidence.write_bytes(PNG)
    pages: list[Path] = []

    page.goto(live_server.url + "/complaint")
    assert_accessible(page, "empty form (English)")
    pages.append(save(page, tmp_path, "form-en"))

    # Switch to Spanish with the language switcher, by keyboard.
    tab_to_link(page, "Español")
    page.keyboard.press("Enter")
    page.wait_for_function("document.documentElement.lang === 'es'")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Presentar una queja sobre la conducta policial"

    # Send it empty first: the error summary takes focus and links to the problems.
    tab_to(page, "submit")
    page.keyboard.press("Enter")
    page.wait_for_selector("#error-summary")
    page.wait_for_load_state()
    # The summary takes the focus (script, after the page is parsed): wait for it, fail if not.
    page.wait_for_function(
        "document.activeElement && document.activeElement.id === 'error-summary'"
    )
    summary = page.locator("#error-summary").inner_text()
    assert "Cuéntenos lo que pasó." in summary
    assert "Para enviar su queja, acepte el aviso de privacidad." in summary
    assert_accessible(page, "form with errors (Spanish)")
    pages.append(save(page, tmp_path, "form-errors-es"))

    # Follow the summary's first link to the narrative, by keyboard.
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert focused_id(page) == "narrative"
    page.keyboard.type("El agente me empujó contra la pared y me insultó.")
    tab_to(page, "categories-0")
    page.keyboard.press("Space")
    tab_to(page, "evidence")
    choose_file_by_keyboard(page, evidence)
    tab_to(page, "name")
    page.keyboard.type("Lucía Pérez")
    page.keyboard.press("Tab")
    assert focused_id(page) == "email"
    page.keyboard.type("lucia@example.org")
    tab_to(page, "consent")
    page.keyboard.press("Space")
    tab_to(page, "submit")
    page.keyboard.press("Enter")

    page.wait_for_url(re.compile(r"/complaint/receipt$"))
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Su queja se ha enviado"
    main = page.locator("main").inner_text()
    reference = re.search(r"LNT-[0-9A-Z]{4}-[0-9A-Z]{4}", main)
    code = re.search(
        r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b",
        main.replace(reference.group(0), "") if reference else main,
    )
    assert reference and code
    assert "Anote o imprima su código de acceso ahora." in main
    assert "foto de la calle.png" in main
    assert hashlib.sha256(PNG).hexdigest() in main
    assert page.locator(".print-button").is_visible()  # the print button, enabled by script
    assert_accessible(page, "receipt (Spanish)")
    pages.append(save(page, tmp_path, "receipt-es"))

    complaint = db.scalars(select(Complaint)).one()
    assert complaint.reference == reference.group(0)
    assert complaint.reported_categories == ["force"]
    assert complaint.preferred_language == "es"
    assert complaint.complainants[0].name == "Lucía Pérez"
    assert [a.original_name for a in complaint.attachments] == ["foto de la calle.png"]

    errors = vnu_errors(pages)
    assert not errors, "\n".join(
        f"{e.get('url', '')}:{e.get('lastLine', '')}: {e.get('message', '')}" for e in errors
    )


def test_the_form_and_receipt_fit_320_px(live_server: LiveServer, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 320, "height": 640}, locale="es-ES")
    narrow = context.new_page()
    narrow.set_default_timeout(10_000)
    try:
        narrow.goto(live_server.url + "/complaint")
        assert_fits(narrow, 320, "empty form")
        narrow.locator("#add_officer").click()
        narrow.wait_for_selector("#officer-2")
        narrow.wait_for_load_state()
        # The new row's first field is the fragment of the form's address: the browser moves
        # the focus there (no script needed).
        assert narrow.evaluate("window.location.hash") == "#officers-1-name"
        assert focused_id(narrow) == "officers-1-name"
        assert_fits(narrow, 320, "form with two officers")
        narrow.locator("#submit").click()
        narrow.wait_for_selector("#error-summary")
        assert_fits(narrow, 320, "form with errors")
        narrow.fill("#narrative", "Un agente me habló de forma grosera. " * 5)
        narrow.set_input_files(
            "#evidence", files=[{"name": "x" * 80 + ".png", "mimeType": "image/png", "buffer": PNG}]
        )
        narrow.check("#consent")
        narrow.locator("#submit").click()
        narrow.wait_for_url(re.compile(r"/complaint/receipt$"))
        assert_fits(narrow, 320, "receipt with a long file name and the sha256")
    finally:
        context.close()
