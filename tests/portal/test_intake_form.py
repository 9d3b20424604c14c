"""The complaint form through the Flask test client: filing, receipt, answers kept, uploads,
escaping, Unicode, duplicates, rate limit, nothing personal in the logs."""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.models import Attachment, Complaint, OutboxMessage, StatusEvent
from portal.services.identifiers import access_code_matches, parse_reference
from portal.services.status import lookup
from portal.vocabulary import PublicStatus
from tests.portal.intake_support import (
    CHOICE_ANSWERS,
    EXE,
    PDF,
    PNG,
    TEXT_ANSWERS,
    answers,
    checked_values,
    field_value,
    kept_tokens,
    selected_value,
    with_files,
)

REFERENCE = re.compile(r"LNT-[0-9A-Z]{4}-[0-9A-Z]{4}")
CODE = re.compile(r'<p class="secret">([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})</p>')


def post(client: FlaskClient, data: dict[str, Any]) -> Any:
    return client.post("/complaint", data=data, content_type="multipart/form-data")


def complaints(db: Session) -> list[Complaint]:
    db.rollback()  # end the read transaction: SQLite would keep showing its old snapshot
    return list(db.scalars(select(Complaint)).all())


def test_the_empty_form(client: FlaskClient) -> None:
    page = client.get("/complaint").text
    assert re.search(r'name="idempotency_key" type="hidden" value="[A-Za-z0-9_-]{32}"', page)
    assert 'enctype="multipart/form-data"' in page
    for legend in ["What happened", "When it happened", "Where it happened", "Officers involved"]:
        assert f"<legend><h2>{legend}</h2></legend>" in page
    assert '<option value="D05">District 5</option>' in page
    assert 'name="officers-0-name"' in page and 'name="officers-1-name"' not in page
    assert 'autocomplete="email"' in page and 'type="email"' in page
    assert 'inputmode="tel"' in page and 'type="tel"' in page
    # A hint per conduct category, tied to its checkbox.
    assert 'aria-describedby="categories-0-hint"' in page
    assert 'id="categories-0-hint">The officer hit, pushed' in page
    # Every form on the page renders a fresh token: two visits, two tokens.
    again = client.get("/complaint").text
    token = re.compile(r'name="idempotency_key" type="hidden" value="([^"]+)"')
    assert token.search(page).group(1) != token.search(again).group(1)  # type: ignore[union-attr]


def test_the_form_in_spanish(client: FlaskClient) -> None:
    page = client.get("/complaint", headers={"Accept-Language": "es"}).text
    assert '<html lang="es">' in page
    assert "Presentar una queja sobre la conducta policial" in page
    assert "Enviar mi queja" in page and "(opcional)" in page
    assert '<option selected value="es">Español</option>' in page
    errors = client.post(
        "/complaint",
        data=answers(consent=None, narrative=""),
        headers={"Accept-Language": "es"},
    )
    assert "Cuéntenos lo que pasó." in errors.text
    assert "Para enviar su queja, acepte el aviso de privacidad." in errors.text


def test_full_submission_with_two_files(client: FlaskClient, db: Session, app: Flask) -> None:
    response = post(client, with_files(answers(), (PNG, "photo.png"), (PDF, "letter.pdf")))
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/complaint/receipt")

    (complaint,) = complaints(db)
    assert complaint.narrative == TEXT_ANSWERS["narrative"]
    assert complaint.district == "D03" and complaint.reported_categories == [
        "discourtesy",
        "force",
    ]
    assert complaint.incident_date.isoformat() == "2026-02-27"  # type: ignore[union-attr]
    assert complaint.incident_date_is_approximate
    assert [o.badge_given for o in complaint.officers] == ["4411", None]
    assert complaint.officers[1].is_unknown
    (person,) = complaint.complainants
    assert (person.name, person.on_behalf_of, person.email) == (
        "Ana Ruiz",
        "Luis Ruiz",
        "ana.ruiz@example.org",
    )
    assert (person.language, person.interpreter_language, person.race) == (
        "es",
        "Mixteco",
        "latino",
    )
    assert [e.public_status for e in complaint.status_events] == [PublicStatus.RECEIVED]

    receipt = client.get("/complaint/receipt")
    assert receipt.status_code == 200
    assert receipt.headers["Cache-Control"] == "no-store"
    page = receipt.text
    assert complaint.reference in page
    code = CODE.search(page)
    assert code, "the access code is on the first receipt"
    assert access_code_matches(
        code.group(1), complaint.access_code_hash, app.config["ACCESS_CODE_KEY"]
    )
    for content, name in [(PNG, "photo.png"), (PDF, "letter.pdf")]:
        assert name in page
        assert hashlib.sha256(content).hexdigest() in page

    # The reference and code on the receipt open the complaint's public status: received.
    view = lookup(
        db,
        complaint.reference,
        code.group(1),
        key=app.config["ACCESS_CODE_KEY"],
        now=complaint.received_at,
    )
    assert view is not None and view.status is PublicStatus.RECEIVED
    assert [step.status for step in view.timeline] == [PublicStatus.RECEIVED]

    # Shown once: the same browser reloading the receipt no longer sees the code.
    reloaded = client.get("/complaint/receipt").text
    assert complaint.reference in reloaded
    assert code.group(1) not in reloaded
    assert "was shown once" in reloaded


def test_the_receipt_is_only_for_the_browser_that_filed(
    client: FlaskClient, app: Flask, db: Session
) -> None:
    post(client, answers())
    (complaint,) = complaints(db)
    stranger = app.test_client()
    response = stranger.get("/complaint/receipt")
    assert response.status_code == 404
    assert complaint.reference not in response.text


def test_anonymous_submission(client: FlaskClient, db: Session) -> None:
    data = {
        "idempotency_key": "anonymous-key-000001",
        "narrative": "An officer kicked a man who was lying on the ground.",
        "is_anonymous": "y",
        "role": "witness",
        "contact_method": "none",
        "language": "en",
        "consent": "y",
        "district": "",
        "age_band": "",
        "gender": "",
        "race": "",
    }
    response = post(client, data)
    assert response.status_code == 303
    (complaint,) = complaints(db)
    (person,) = complaint.complainants
    assert person.is_anonymous and person.name is None and person.email is None
    assert complaint.officers == []
    page = client.get("/complaint/receipt").text
    assert complaint.reference in page and CODE.search(page)
    assert "Anonymous" in page


def test_a_failed_submission_keeps_every_answer_and_the_files(
    client: FlaskClient, db: Session
) -> None:
    data = with_files(
        answers(consent=None, email="not-an-email"), (PNG, "photo.png"), (PDF, "letter.pdf")
    )
    response = post(client, data)
    assert response.status_code == 200
    page = response.text
    assert complaints(db) == []

    for name, value in TEXT_ANSWERS.items():
        expected = "not-an-email" if name == "email" else value
        assert field_value(page, name) == expected, name
    assert field_value(page, "incident_date") == "2026-02-27"
    assert field_value(page, "incident_time") == "21:15"
    for name in ["date_is_approximate", "officers-1-unknown", "interpreter_needed"]:
        assert checked_values(page, name) == {"y"}, name
    assert checked_values(page, "categories") == {"force", "discourtesy"}
    assert checked_values(page, "role") == {"on_behalf"}
    assert checked_values(page, "contact_method") == {"email"}
    assert checked_values(page, "consent") == set()
    for name in ["district", "language", "age_band", "gender", "race"]:
        assert selected_value(page, name) == CHOICE_ANSWERS[name], name

    # The error summary at the top links to each problem; inline errors are tied to the fields.
    summary = page[
        page.index('id="error-summary"') : page.index("</div>", page.index('id="error-summary"'))
    ]
    assert 'role="alert"' in page[page.index('<div class="error-summary"') :][:200]
    assert 'href="#email"' in summary and 'href="#consent"' in summary
    assert summary.index('href="#email"') < summary.index('href="#consent"')  # form order
    assert re.search(r'<input[^>]*aria-describedby="[^"]*email-error"[^>]*name="email"', page)
    assert 'id="email-error"' in page and 'aria-invalid="true"' in page

    # The files are kept: listed by name, carried as tokens; no need to choose them again.
    tokens = kept_tokens(page)
    assert len(tokens) == 2
    assert "photo.png" in page and "letter.pdf" in page
    assert "You do not need to choose these files again" in page

    fixed = answers(email="ana.ruiz@example.org") | {"kept_file": tokens}
    assert post(client, fixed).status_code == 303
    (complaint,) = complaints(db)
    assert sorted(a.original_name for a in complaint.attachments) == ["letter.pdf", "photo.png"]
    assert {a.sha256 for a in complaint.attachments} == {
        hashlib.sha256(PNG).hexdigest(),
        hashlib.sha256(PDF).hexdigest(),
    }


@pytest.mark.parametrize(
    "address", ["ana@example", "ana @example.org", "a@example.org,b@example.org", "Ana <a@b.org>"]
)
def test_an_email_that_is_not_one_plain_address_is_refused(
    client: FlaskClient, db: Session, address: str
) -> None:
    page = post(client, answers(email=address)).text
    assert complaints(db) == []
    assert "Enter an email address like name@example.com." in page
    assert field_value(page, "email") == address


def test_a_forged_kept_file_token_is_ignored(client: FlaskClient, db: Session) -> None:
    response = post(client, answers() | {"kept_file": ["forged.token"]})
    assert response.status_code == 303
    (complaint,) = complaints(db)
    assert complaint.attachments == []


def test_wrong_type_is_refused_naming_the_file_and_the_rest_kept(
    client: FlaskClient, db: Session
) -> None:
    data = with_files(answers(), (EXE, "statement.pdf"), (PNG, "scan.pdf"))
    page = post(client, data).text
    assert complaints(db) == []
    assert "&#34;statement.pdf&#34; is not a type of file we accept" in page or (
        "&quot;statement.pdf&quot; is not a type of file we accept" in page
    )
    assert 'href="#evidence"' in page
    assert field_value(page, "narrative") == TEXT_ANSWERS["narrative"]
    tokens = kept_tokens(page)
    assert len(tokens) == 1  # the PNG called .pdf was accepted and kept
    assert post(client, answers() | {"kept_file": tokens}).status_code == 303
    (complaint,) = complaints(db)
    (attachment,) = complaint.attachments
    assert (attachment.original_name, attachment.content_type) == ("scan.pdf", "image/png")


@pytest.mark.parametrize(
    "app_config", [{"UPLOAD_MAX_FILE_BYTES": 1000, "UPLOAD_MAX_TOTAL_BYTES": 1500}]
)
def test_oversized_files_are_refused_naming_the_file(client: FlaskClient, db: Session) -> None:
    big = PNG + bytes(1000)
    medium = PNG + bytes(500)  # 812 bytes: fits alone, not with a second one
    page = post(
        client, with_files(answers(), (big, "video.mp4"), (medium, "a.png"), (medium, "b.png"))
    ).text
    assert complaints(db) == []
    assert "video.mp4" in page and "is too large. One file can be at most" in page
    assert "b.png" in page and "all your files together can be at most" in page
    assert len(kept_tokens(page)) == 1
    assert field_value(page, "name") == "Ana Ruiz"


def test_html_in_every_text_field_is_escaped(client: FlaskClient, db: Session) -> None:
    # Short markup (the badge number allows 32 characters), a script where there is room.
    hostile = {name: f"<b>x{i}</b>" for i, name in enumerate(TEXT_ANSWERS)}
    hostile["narrative"] = '<script>alert("narrative")</script>' + hostile["narrative"]
    hostile["email"] = "x@example.org"  # must stay a valid address
    hostile["phone"] = "555 0100"
    evil_name = "<img src=x onerror=alert(1)>.png"
    # First a failed submission (the form is re-rendered), then the receipt.
    page = post(client, with_files(answers(consent=None, **hostile), (PNG, evil_name))).text
    assert "<script>" not in page and "<b>" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in page
    assert post(client, answers(**hostile) | {"kept_file": kept_tokens(page)}).status_code == 303
    receipt = client.get("/complaint/receipt").text
    assert "<script>" not in receipt and "<b>" not in receipt and "<img src=x" not in receipt
    assert "&lt;script&gt;" in receipt
    for name, value in hostile.items():
        if name not in ("email", "phone"):
            marker = value[value.index("<b>") :]
            assert marker.replace("<", "&lt;").replace(">", "&gt;") in receipt, name
    assert "&lt;img src=x onerror=alert(1)&gt;.png" in receipt
    (complaint,) = complaints(db)
    assert complaint.narrative == hostile["narrative"]  # stored as typed, escaped only on output


def test_arabic_chinese_and_emoji_round_trip(client: FlaskClient, db: Session) -> None:
    texts = {
        "narrative": "ضربني الشرطي 警察打了我 😡👮",
        "name": "فاطمة 王芳 🌸",
        "location": "شارع الملك 北京路 📍",
        "witnesses": "جاري 邻居 👀",
    }
    post(client, with_files(answers(**texts), ("ملاحظات 笔记 📝".encode(), "ملاحظة 笔记 📝.txt")))
    (complaint,) = complaints(db)
    assert complaint.narrative == texts["narrative"]
    assert complaint.complainants[0].name == texts["name"]
    assert complaint.incident_location == texts["location"]
    (attachment,) = complaint.attachments
    assert (attachment.original_name, attachment.content_type) == (
        "ملاحظة 笔记 📝.txt",
        "text/plain",
    )
    receipt = client.get("/complaint/receipt").text
    for text in [*texts.values(), "ملاحظة 笔记 📝.txt"]:
        assert text in receipt


def test_a_repeated_post_files_one_complaint(client: FlaskClient, app: Flask, db: Session) -> None:
    data = answers(key="double-click-key-0001")
    assert post(client, with_files(data, (PNG, "a.png"))).status_code == 303
    first_receipt = client.get("/complaint/receipt").text
    code = CODE.search(first_receipt)
    assert code
    # The browser sends the same form again (double click, back and resubmit, reload).
    assert post(client, with_files(data, (PNG, "a.png"))).status_code == 303
    again = client.get("/complaint/receipt").text
    (complaint,) = complaints(db)
    assert complaint.reference in again and code.group(1) not in again
    assert int(db.scalar(select(func.count()).select_from(StatusEvent)) or 0) == 1
    assert int(db.scalar(select(func.count()).select_from(Attachment)) or 0) == 1
    # A second request that left before the first answer came back has no receipt in its
    # session: it gets the reference, never the code.
    other = app.test_client()
    assert post(other, with_files(data, (PNG, "a.png"))).status_code == 303
    replay = other.get("/complaint/receipt").text
    assert complaint.reference in replay
    assert CODE.search(replay) is None
    assert "You sent the same form more than once" in replay
    assert len(complaints(db)) == 1
    uploads = list(Path(app.config["UPLOAD_FOLDER"]).iterdir())
    assert len(uploads) == 1  # the duplicates of the file were removed again


def test_add_another_officer_keeps_the_answers(client: FlaskClient, db: Session) -> None:
    data = answers(consent=None) | {"add_officer": "Add another officer"}
    data.pop("submit")
    page = post(client, data).text
    assert complaints(db) == []
    assert 'id="error-summary"' not in page  # adding a row is not an error
    assert 'name="officers-2-name"' in page
    assert field_value(page, "officers-0-name") == "Sgt. Smith"
    assert field_value(page, "narrative") == TEXT_ANSWERS["narrative"]


def test_receipt_email_without_the_code_unless_asked(client: FlaskClient, db: Session) -> None:
    post(client, with_files(answers(), (PNG, "photo.png")))
    page = client.get("/complaint/receipt").text
    code = CODE.search(page).group(1)  # type: ignore[union-attr]
    db.rollback()
    (message,) = db.scalars(select(OutboxMessage)).all()
    (complaint,) = complaints(db)
    assert message.to_address == "ana.ruiz@example.org" and message.language == "es"
    assert complaint.reference in message.body_text
    assert hashlib.sha256(PNG).hexdigest() in message.body_text
    assert code not in message.body_text

    post(client, answers(key="second-filing-key-01", email_code="y", language="en"))
    page = client.get("/complaint/receipt").text
    second_code = CODE.search(page).group(1)  # type: ignore[union-attr]
    db.rollback()
    messages = db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert second_code in messages[-1].body_text


@pytest.mark.parametrize("app_config", [{"SUBMIT_RATE_LIMIT": "2 per minute"}])
def test_submission_is_rate_limited(client: FlaskClient, db: Session) -> None:
    for n in range(2):
        assert post(client, answers(key=f"rate-limit-key-{n:04d}")).status_code == 303
    refused = post(client, answers(key="rate-limit-key-0009"))
    assert refused.status_code == 429
    assert "Too many attempts" in refused.text
    assert len(complaints(db)) == 2


def test_no_personal_data_in_the_logs(
    client: FlaskClient, db: Session, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    post(client, with_files(answers(consent=None), (EXE, "Ana Ruiz private.pdf")))
    post(client, with_files(answers(), (PNG, "Ana Ruiz medical.png")))
    client.get("/complaint/receipt")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for value in [*TEXT_ANSWERS.values(), "Ana Ruiz private.pdf", "Ana Ruiz medical.png"]:
        assert value not in logged
    (complaint,) = complaints(db)
    assert complaint.reference not in logged


def test_reference_on_the_receipt_is_well_formed(client: FlaskClient) -> None:
    post(client, answers())
    page = client.get("/complaint/receipt").text
    reference = REFERENCE.search(page)
    assert reference and parse_reference(reference.group(0)) == reference.group(0)
