"""The staff side of reaching complainants: the "Letters to print" page (download one letter or
the selection as one PDF, mark printed, mark mailed, each audited, refused to other roles) and the
case page's contact section (who gets what, the messages sent, phone calls recorded with every
answer kept on an error). On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import html
import io
import re
from collections.abc import Callable
from typing import Any

import pypdf
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Activity, Complaint, OutboxMessage, Staff
from portal.services import calls, casework, clocks, investigation, outbox
from portal.services.notify import MailSettings
from portal.vocabulary import (
    ActivityKind,
    CallDirection,
    CallOutcome,
    CallParty,
    CaseState,
    ContactMethod,
    OutboxStatus,
    ScreeningOutcome,
    StaffRole,
)
from tests.portal.backoffice_support import audit_entries
from tests.portal.casework_support import make_complaint
from tests.portal.staff_support import create_staff

StaffClient = Callable[..., tuple[Any, Staff]]
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
ADDRESS = "12 Calle Mayor, Apt 3\nSpringfield, IL 62701"


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"SMS_URL": "file:", "OFFICE_ADDRESS": "200 Main Street;Springfield, IL 62701"}


def _text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _closed_with_letter(db: Session, supervisor: Staff, language: str = "en") -> Complaint:
    complaint = make_complaint(db, state=CaseState.EARLY_RESOLUTION, language=language)
    complaint.complainants[0].postal_address = ADDRESS
    db.commit()
    investigation.close(db, complaint.id, actor=supervisor, now=NOW - dt.timedelta(hours=1))
    db.commit()
    return complaint


def _letters(db: Session) -> list[OutboxMessage]:
    db.rollback()
    db.expire_all()
    return list(db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def _pages(pdf: bytes) -> int:
    return len(pypdf.PdfReader(io.BytesIO(pdf)).pages)


def test_letters_page_downloads_and_marks_printed_then_mailed(
    db: Session, staff_client: StaffClient
) -> None:
    supervisor = create_staff(db, StaffRole.SUPERVISOR)
    first = _closed_with_letter(db, supervisor)
    second = _closed_with_letter(db, supervisor, language="es")
    one, two = _letters(db)
    client, clerk = staff_client(StaffRole.INTAKE)

    page = client.get("/staff/letters").get_data(as_text=True)
    assert 'href="/staff/letters" aria-current="page">Letters to print</a>' in page  # navigation
    text = _text(page)
    assert "2 letters to print" in text and first.reference in text and second.reference in text
    assert "Ana" not in text and "Calle Mayor" not in text  # the list shows no name or address

    single = client.get(f"/staff/letters/{one.id}.pdf")
    assert single.status_code == 200 and single.mimetype == "application/pdf"
    assert single.headers["Content-Disposition"] == f'attachment; filename="letter-{one.id}.pdf"'
    assert single.headers["Cache-Control"] == "no-store"
    assert _pages(single.data) == 1
    both = client.post("/staff/letters", data={"letter": [one.id, two.id], "action": "download"})
    assert both.mimetype == "application/pdf" and _pages(both.data) == 2
    downloads = audit_entries(db, "letter.download")
    assert [(e.actor_id, e.object_id, e.detail) for e in downloads] == [
        (clerk.id, first.id, f"outbox={one.id}"),
        (clerk.id, first.id, f"outbox={one.id}"),
        (clerk.id, second.id, f"outbox={two.id}"),
    ]

    done = client.post(
        "/staff/letters", data={"letter": [one.id], "action": "printed"}, follow_redirects=True
    )
    text = _text(done.get_data(as_text=True))
    assert "Marked printed: 1 letters." in text
    assert "1 letter to print" in text and "1 printed letter" in text
    client.post("/staff/letters", data={"letter": [one.id, two.id], "action": "mailed"})
    assert [(r.status, r.sent_at is not None) for r in _letters(db)] == [
        (OutboxStatus.SENT, True)
    ] * 2
    text = _text(client.get("/staff/letters").get_data(as_text=True))
    assert "No letters are waiting to be printed." in text
    assert "No printed letters are waiting to be mailed." in text
    assert len(audit_entries(db, "letter.printed")) == 1
    assert len(audit_entries(db, "letter.mailed")) == 2
    # A mailed letter can still be downloaded again (a lost envelope).
    assert client.get(f"/staff/letters/{one.id}.pdf").status_code == 200

    # The post brings one back: it becomes undelivered, on the list and on its case.
    assert "2 mailed letters" in text
    back = client.post(
        "/staff/letters", data={"letter": [two.id], "action": "returned"}, follow_redirects=True
    )
    assert "Marked returned by the post: 1 letters." in _text(back.get_data(as_text=True))
    db.rollback()
    assert [(m.id, m.last_error) for m in outbox.undelivered(db)] == [(two.id, "ReturnedByPost")]
    [returned] = audit_entries(db, "letter.returned")
    assert (returned.object_id, returned.after) == (second.id, {"status": "failed"})
    supervisor_client, _ = staff_client(StaffRole.SUPERVISOR)
    case_text = _text(supervisor_client.get(f"/staff/cases/{second.id}").get_data(as_text=True))
    assert f"Failed: returned by the post (mailed {NOW:%Y-%m-%d})" in case_text
    again = client.post("/staff/letters", data={"letter": [two.id], "action": "returned"})
    assert again.status_code == 400
    assert "Only a mailed letter can come back from the post." in _text(
        again.get_data(as_text=True)
    )


def test_letters_page_explains_a_refusal_and_keeps_the_selection(
    db: Session, staff_client: StaffClient
) -> None:
    supervisor = create_staff(db, StaffRole.SUPERVISOR)
    _closed_with_letter(db, supervisor)
    _closed_with_letter(db, supervisor)
    one, two = _letters(db)
    client, _ = staff_client(StaffRole.SUPERVISOR)
    nothing = client.post("/staff/letters", data={"action": "printed"})
    assert nothing.status_code == 400
    assert "Choose at least one letter." in _text(nothing.get_data(as_text=True))
    client.post("/staff/letters", data={"letter": [one.id], "action": "mailed"})
    again = client.post("/staff/letters", data={"letter": [one.id, two.id], "action": "printed"})
    page = again.get_data(as_text=True)
    assert again.status_code == 400
    assert "already marked printed or mailed" in _text(page)
    assert re.search(rf'id="letter-{two.id}" checked', page)
    assert _letters(db)[1].status is OutboxStatus.PENDING  # nothing changed
    assert client.get("/staff/letters/999999.pdf").status_code == 404


@pytest.mark.parametrize("role", [StaffRole.INVESTIGATOR, StaffRole.ADMIN, StaffRole.COMMISSIONER])
def test_letters_page_is_refused_to_other_roles(
    db: Session, staff_client: StaffClient, role: StaffRole
) -> None:
    supervisor = create_staff(db, StaffRole.SUPERVISOR)
    _closed_with_letter(db, supervisor)
    [letter] = _letters(db)
    client, _ = staff_client(role)
    assert client.get("/staff/letters").status_code == 403
    assert client.get(f"/staff/letters/{letter.id}.pdf").status_code == 403
    refused = client.post("/staff/letters", data={"letter": [letter.id], "action": "mailed"})
    assert refused.status_code == 403
    assert _letters(db)[0].status is OutboxStatus.PENDING
    assert audit_entries(db, "letter.download") == []


def test_case_page_shows_how_messages_reach_the_complainant(
    db: Session, staff_client: StaffClient
) -> None:
    complaint = make_complaint(db, name="Ana Pérez")
    person = complaint.complainants[0]
    person.postal_address, person.phone = ADDRESS, "555 010 0199"
    other = make_complaint(db, name="Luis Ortega")
    other.complainants[0].phone = "555 010 0123"
    db.commit()
    supervisor = create_staff(db, StaffRole.SUPERVISOR)
    casework.screen(
        db,
        complaint.id,
        ScreeningOutcome.INVESTIGATE,
        actor=supervisor,
        now=NOW,
        settings=MailSettings(sms_enabled=True),
    )
    db.commit()
    client, _ = staff_client(StaffRole.INTAKE)
    text = _text(client.get(f"/staff/cases/{complaint.id}").get_data(as_text=True))
    assert "Ana Pérez: Letter, SMS" in text
    assert "Letter (en)" in text and "SMS (en)" in text
    assert text.count("Your complaint " + complaint.reference + ": Being investigated") == 2
    # SMS on, but without a phone reachable by SMS... here it is: Luis gets SMS only.
    assert "Luis Ortega: SMS" in _text(
        client.get(f"/staff/cases/{other.id}").get_data(as_text=True)
    )
    other.complainants[0].phone = None
    db.commit()
    text = _text(client.get(f"/staff/cases/{other.id}").get_data(as_text=True))
    assert "Luis Ortega: no email, postal address or text-message number: call them" in text


def _call(**overrides: str) -> dict[str, str]:
    data = {
        "call-direction": "made",
        "call-party": "complainant",
        "call-number": "555 010 0199",
        "call-day": NOW.date().isoformat(),
        "call-time": NOW.strftime("%H:%M"),
        "call-outcome": "reached",
        "call-note": "Explained the next steps; she will send the photos.",
    }
    return data | overrides


def test_recording_a_phone_call_keeps_every_answer_on_an_error(
    db: Session, staff_client: StaffClient
) -> None:
    complaint = make_complaint(db, state=CaseState.INVESTIGATION, now=NOW - dt.timedelta(days=2))
    complaint.complainants[0].phone = "555 010 0199"
    complaint.complainants[0].contact_method = ContactMethod.PHONE
    db.commit()
    client, investigator = staff_client(StaffRole.INVESTIGATOR)
    url = f"/staff/cases/{complaint.id}/calls"
    page = client.get(f"/staff/cases/{complaint.id}").get_data(as_text=True)
    assert "Record a phone call" in page and 'value="555 010 0199"' in page  # prefilled

    bad = client.post(url, data=_call(**{"call-number": "call me", "call-outcome": "left_message"}))
    page = bad.get_data(as_text=True)
    assert bad.status_code == 400
    assert "Enter the phone number with digits, like 555 010 0100." in _text(page)
    assert "Explained the next steps; she will send the photos." in page  # the note is kept
    assert 'value="call me"' in page
    assert re.search(
        r'<option selected value="left_message">|<option value="left_message" selected', page
    )
    missing = client.post(url, data=_call(**{"call-outcome": ""}))
    assert missing.status_code == 400 and "Choose how the call went." in _text(
        missing.get_data(as_text=True)
    )
    later = (NOW + dt.timedelta(days=1)).date().isoformat()
    future = client.post(url, data=_call(**{"call-day": later}))
    assert future.status_code == 400
    assert "The call cannot be in the future." in _text(future.get_data(as_text=True))
    db.rollback()
    assert db.scalars(select(Activity)).all() == []

    done = client.post(url, data=_call(), follow_redirects=True)
    text = _text(done.get_data(as_text=True))
    assert "Phone call recorded: Reached." in text
    assert "We called · Complainant · 555 010 0199 · Reached" in text
    assert "Explained the next steps" in text
    [entry] = audit_entries(db, "call.record")
    assert entry.actor_id == investigator.id and entry.object_id == complaint.id
    assert entry.after is not None
    assert entry.after["phone_number"] == entry.after["note"] == "[personal data changed]"
    assert (entry.after["outcome"], entry.after["party"]) == ("reached", "complainant")


def test_a_call_that_reaches_the_complainant_counts_as_contact(db: Session) -> None:
    start = dt.datetime(2025, 3, 3, 14, 0, tzinfo=dt.UTC)
    complaint = make_complaint(db, now=start)
    complaint.complainants[0].phone = "555 010 0199"
    db.commit()
    supervisor = create_staff(db, StaffRole.SUPERVISOR)
    casework.screen(db, complaint.id, ScreeningOutcome.INVESTIGATE, actor=supervisor, now=start)
    db.commit()
    levels = clocks.ServiceLevels()
    later = start + dt.timedelta(days=1)

    def first_contact() -> clocks.ClockState:
        found = clocks.case_clocks(db, complaint, levels, later + dt.timedelta(hours=1))
        return next(c.state for c in found if c.name is clocks.ClockName.FIRST_CONTACT)

    def call(outcome: CallOutcome, party: CallParty = CallParty.COMPLAINANT) -> None:
        calls.record_call(
            db,
            complaint.id,
            direction=CallDirection.MADE,
            party=party,
            number="555 010 0199",
            occurred_at=later,
            outcome=outcome,
            note="",
            actor=supervisor,
            now=later,
        )
        db.commit()

    call(CallOutcome.NO_ANSWER)
    call(CallOutcome.REACHED, CallParty.WITNESS)
    assert first_contact() is not clocks.ClockState.MET
    overdue = clocks.overdue_condition(levels, later + dt.timedelta(days=30))
    assert db.scalar(select(Complaint.id).where(overdue)) == complaint.id
    call(CallOutcome.REACHED)
    assert first_contact() is clocks.ClockState.MET
    assert complaint.last_complainant_update_at == later
    assert db.scalar(select(Complaint.id).where(overdue)) is None


def test_calls_are_limited_by_role_and_kept_out_of_the_activity_form(db: Session) -> None:
    complaint = make_complaint(db)
    db.commit()
    for role in (StaffRole.ADMIN, StaffRole.COMMISSIONER):
        with pytest.raises(casework.CaseworkError, match="not allowed"):
            calls.record_call(
                db,
                complaint.id,
                direction=CallDirection.RECEIVED,
                party=CallParty.COMPLAINANT,
                number="555 010 0199",
                occurred_at=NOW,
                outcome=CallOutcome.REACHED,
                note="",
                actor=create_staff(db, role),
                now=NOW,
            )
    with pytest.raises(casework.CaseworkError, match="call form"):
        casework.log_activity(
            db,
            complaint.id,
            kind=ActivityKind.PHONE_CALL,
            occurred_on=NOW.date(),
            summary="",
            actor=create_staff(db, StaffRole.INVESTIGATOR),
            now=NOW,
        )
    assert calls.masked_number("+1 (555) 010-0199") == "•••• 99"
    assert calls.masked_number(None) == ""


def test_commissioners_see_call_attempts_with_the_number_masked(
    db: Session, staff_client: StaffClient
) -> None:
    supervisor = create_staff(db, StaffRole.SUPERVISOR)
    complaint = _closed_with_letter(db, supervisor)
    for outcome in (CallOutcome.NO_ANSWER, CallOutcome.WRONG_NUMBER):
        calls.record_call(
            db,
            complaint.id,
            direction=CallDirection.MADE,
            party=CallParty.COMPLAINANT,
            number="+1 (555) 010-0199",
            occurred_at=NOW - dt.timedelta(minutes=5),
            outcome=outcome,
            note="Her neighbour says she moved to Ohio.",
            actor=supervisor,
            now=NOW,
        )
    db.commit()
    client, _ = staff_client(StaffRole.COMMISSIONER)
    text = _text(client.get(f"/staff/closed/{complaint.id}").get_data(as_text=True))
    assert "2 phone calls" in text
    assert "We called Complainant •••• 99 No answer" in text
    assert "Wrong number" in text
    assert "555" not in text and "Ohio" not in text and supervisor.name not in text


def test_a_letter_not_yet_mailed_follows_a_corrected_address(
    db: Session, staff_client: StaffClient
) -> None:
    supervisor = create_staff(db, StaffRole.SUPERVISOR)
    complaint = _closed_with_letter(db, supervisor)
    [letter] = _letters(db)
    assert letter.complainant_id == complaint.complainants[0].id
    person = db.get(Complaint, complaint.id).complainants[0]  # type: ignore[union-attr]
    person.postal_address = "88 New Road\nShelbyville, IL 62565"
    db.commit()
    client, _ = staff_client(StaffRole.INTAKE)
    pdf = client.get(f"/staff/letters/{letter.id}.pdf").data
    text = " ".join(pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())
    assert "88 New Road" in text and "Calle Mayor" not in text
    assert _letters(db)[0].to_address == "Alex Resident\n88 New Road\nShelbyville, IL 62565"
    [entry] = audit_entries(db, "letter.readdressed")
    assert entry.object_id == complaint.id and entry.after == {
        "to_address": "[personal data changed]"
    }
    # Once mailed, the letter keeps the address it went to.
    client.post("/staff/letters", data={"letter": [letter.id], "action": "mailed"})
    db.rollback()  # a fresh snapshot before writing (SQLite)
    person = db.get(Complaint, complaint.id).complainants[0]  # type: ignore[union-attr]
    person.postal_address = "1 Third Street\nCapital City"
    db.commit()
    client.get(f"/staff/letters/{letter.id}.pdf")
    assert "88 New Road" in _letters(db)[0].to_address


def test_the_page_selects_at_most_one_pdf_of_letters(
    db: Session, staff_client: StaffClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from portal.backoffice import letters as letters_page

    monkeypatch.setattr(letters_page, "MAX_BATCH", 2)  # the limit, not a component: 2 for speed
    supervisor = create_staff(db, StaffRole.SUPERVISOR)
    for _ in range(3):
        _closed_with_letter(db, supervisor)
    one, two, three = _letters(db)
    client, _ = staff_client(StaffRole.INTAKE)
    page = client.get("/staff/letters").get_data(as_text=True)
    assert re.search(rf'id="letter-{one.id}" checked', page)
    assert re.search(rf'id="letter-{two.id}" checked', page)
    assert re.search(rf'id="letter-{three.id}">', page)
    too_many = client.post(
        "/staff/letters", data={"letter": [one.id, two.id, three.id], "action": "download"}
    )
    assert too_many.status_code == 400
    assert "Choose at most 2 letters for one PDF." in _text(too_many.get_data(as_text=True))
