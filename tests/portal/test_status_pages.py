"""The status pages through the Flask test client: lookup, errors, limits, the status page,
adding information and evidence, withdrawing, signing out."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal import clock
from portal.models import (
    Attachment,
    CaseEvent,
    Complaint,
    InternalNote,
    LookupLock,
    Staff,
    StatusEvent,
    SurveyResponse,
)
from portal.services import status as status_service
from portal.services.identifiers import ALPHABET
from portal.vocabulary import CaseState, PublicStatus, StaffRole, StatusEventKind
from tests.portal.status_support import Filed, make_complaint, move_to

NOW = dt.datetime(2026, 3, 3, 9, 0, tzinfo=dt.UTC)
NOT_FOUND = "We could not find a complaint with this reference number and access code."


@pytest.fixture
def app_config() -> dict[str, Any]:
    # The per-address limit is tested on its own below; here it must not get in the way.
    return {"LOOKUP_RATE_LIMIT": "10000 per minute"}


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "utcnow", lambda: NOW)


def post_lookup(client: FlaskClient, reference: str, code: str) -> Any:
    return client.post("/status", data={"reference": reference, "access_code": code})


def main_text(html: str) -> str:
    """The visible text of <main>, whitespace collapsed."""
    main = html[html.index("<main") : html.index("</main>")]
    return " ".join(re.sub(r"<[^>]+>", " ", main).split())


def wrong(code: str) -> str:
    return ("0" if code[0] != "0" else "1") + code[1:]


def test_the_lookup_form_posts_and_keeps_nothing_in_the_url(client: FlaskClient) -> None:
    page = client.get("/status")
    assert page.status_code == 200
    assert '<form method="post" action="/status"' in page.text
    assert 'autocomplete="off"' in page.text
    assert page.headers["Cache-Control"] == "no-store"
    # A GET with credentials in the query string is not a lookup.
    filed_like = client.get("/status?reference=LNT-0000-0000&access_code=x")
    assert "Your complaint" not in filed_like.text


def test_lookup_shows_received_with_dates_and_what_happens_next(
    client: FlaskClient, db: Session
) -> None:
    filed = make_complaint(db)
    response = post_lookup(client, filed.reference, filed.code)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    text = main_text(response.text)
    assert filed.reference in text
    assert "Status Received" in text
    assert "Received on March 2, 2026" in text
    assert "What happens next" in text
    # 10 business days after Monday 2 March 2026.
    assert "Expected by: March 16, 2026" in text
    assert '<ol class="timeline">' in response.text
    assert filed.code not in response.text


def test_wrong_reference_and_wrong_code_get_the_same_page(client: FlaskClient, db: Session) -> None:
    filed = make_complaint(db)
    other = make_complaint(db)
    db.delete(db.get(Complaint, other.id))
    db.commit()  # other.reference is now well-formed but unknown
    wrong_code = post_lookup(client, filed.reference, wrong(filed.code))
    unknown_reference = post_lookup(client, other.reference, filed.code)
    assert wrong_code.status_code == unknown_reference.status_code == 200
    assert NOT_FOUND in wrong_code.text
    # Byte-identical once the reference the resident typed (echoed back to fix it) is masked.
    assert wrong_code.data.replace(
        filed.reference.encode(), b"X"
    ) == unknown_reference.data.replace(other.reference.encode(), b"X")
    assert filed.code not in wrong_code.text and filed.code not in unknown_reference.text


def test_every_single_character_mistake_is_caught_before_any_lookup(
    client: FlaskClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    filed = make_complaint(db)

    def no_lookup(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("a mistyped reference reached the lookup")

    monkeypatch.setattr(status_service, "lookup", no_lookup)
    prefix, body = filed.reference[:4], filed.reference[4:].replace("-", "")
    tried = 0
    for position in range(len(body)):
        for symbol in ALPHABET:
            if symbol == body[position]:
                continue
            typo = body[:position] + symbol + body[position + 1 :]
            response = post_lookup(client, f"{prefix}{typo[:4]}-{typo[4:]}", filed.code)
            assert response.status_code == 200
            assert "especially the last one" in response.text, typo
            tried += 1
    assert tried == 8 * 31
    assert db.scalar(select(func.count()).select_from(LookupLock)) == 0


def test_format_problems_say_what_to_check(client: FlaskClient) -> None:
    short = post_lookup(client, "LNT-7K3M", "AAAA-AAAA-AAAA")
    assert "Check that you copied all of it" in short.text
    symbol = post_lookup(client, "LNT-7K3M-Q9XU", "AAAA-AAAA-AAAA")
    assert "a character we never use" in symbol.text
    empty = post_lookup(client, "", "")
    assert "Enter your reference number" in empty.text
    assert "Enter your access code" in empty.text
    assert 'href="#reference"' in empty.text and 'href="#access_code"' in empty.text


def test_brute_force_locks_the_reference_and_the_page_says_so(
    client: FlaskClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    filed = make_complaint(db)
    for _ in range(9):
        response = post_lookup(client, filed.reference, wrong(filed.code))
        assert response.status_code == 200 and NOT_FOUND in response.text
    tenth = post_lookup(client, filed.reference, wrong(filed.code))
    assert tenth.status_code == 429
    assert "This reference number is locked for now" in tenth.text
    assert "try again in 15 minutes" in tenth.text
    # The right code is refused too while the lock lasts.
    monkeypatch.setattr(clock, "utcnow", lambda: NOW + dt.timedelta(minutes=10))
    right = post_lookup(client, filed.reference, filed.code)
    assert right.status_code == 429 and "try again in 5 minutes" in right.text
    assert "Your complaint" not in right.text
    monkeypatch.setattr(clock, "utcnow", lambda: NOW + dt.timedelta(minutes=15))
    after = post_lookup(client, filed.reference, filed.code)
    assert after.status_code == 200 and "Status Received" in main_text(after.text)


@pytest.mark.parametrize("app_config", [{"LOOKUP_RATE_LIMIT": "3 per minute"}])
def test_the_per_address_limit_answers_429_in_plain_words(client: FlaskClient, db: Session) -> None:
    filed = make_complaint(db)
    for _ in range(3):
        assert post_lookup(client, filed.reference, filed.code).status_code == 200
    refused = post_lookup(client, filed.reference, filed.code)
    assert refused.status_code == 429
    text = main_text(refused.text)
    assert "Too many attempts" in text
    assert "please wait 1 minute and then try again" in text
    assert "Retry-After" in refused.headers
    # Another address is not affected.
    other = client.post(
        "/status",
        data={"reference": filed.reference, "access_code": filed.code},
        environ_base={"REMOTE_ADDR": "192.0.2.77"},
    )
    assert other.status_code == 200


def test_no_internal_notes_reasons_or_staff_names_on_the_page(
    client: FlaskClient, db: Session
) -> None:
    filed = make_complaint(db)
    other = make_complaint(db, narrative="Someone else's story about Officer Brandt")
    staff = Staff(
        email="dana.investigator@example.org",
        name="Dana Whitlock",
        role=StaffRole.INVESTIGATOR,
        created_at=NOW,
    )
    db.add(staff)
    db.flush()
    complaint = db.get(Complaint, filed.id)
    assert complaint is not None
    complaint.assigned_to_id = staff.id
    complaint.screening_reason = "Screening reason nobody outside may read"
    complaint.state = CaseState.INVESTIGATION
    db.add(
        InternalNote(
            complaint_id=filed.id, author_id=staff.id, body="Internal note text", created_at=NOW
        )
    )
    db.add(
        CaseEvent(
            complaint_id=filed.id,
            from_state=CaseState.RECEIVED,
            to_state=CaseState.INVESTIGATION,
            at=NOW,
            actor_id=staff.id,
            reason="Transition reason for staff",
        )
    )
    db.add(
        StatusEvent(
            complaint_id=filed.id,
            kind=StatusEventKind.STATUS_CHANGE,
            public_status=PublicStatus.UNDER_INVESTIGATION,
            created_at=NOW,
            actor_id=staff.id,
        )
    )
    db.commit()
    page = post_lookup(client, filed.reference, filed.code).text
    assert "Being investigated" in page
    for secret in (
        "Dana",
        "Whitlock",
        "dana.investigator",
        "Screening reason",
        "Internal note text",
        "Transition reason",
        "shouted",  # the complainant's own narrative is not repeated either
        "Brandt",
        other.reference,
    ):
        assert secret not in page, secret


def signed_in(client: FlaskClient, filed: Filed) -> None:
    assert post_lookup(client, filed.reference, filed.code).status_code == 200


def test_adding_information_and_evidence(client: FlaskClient, db: Session) -> None:
    filed = make_complaint(db)
    signed_in(client, filed)
    response = client.post(
        "/status/add",
        data={
            "text": "The car number was 4471.",
            "files": [
                (io.BytesIO(b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"), "a.pdf"),
                (io.BytesIO(b"Witness: the shop owner next door\n"), "witness.txt"),
            ],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303 and response.headers["Location"].endswith("/status/view")
    page = client.get("/status/view")
    text = main_text(page.text)
    assert "Thank you. We have added your 2 files to your complaint." in text
    assert "You added information" in text and "The car number was 4471." in text
    assert "You added evidence" in text and "a.pdf, witness.txt" in text
    stored = db.scalars(select(Attachment).where(Attachment.complaint_id == filed.id)).all()
    assert sorted(a.original_name for a in stored) == ["a.pdf", "witness.txt"]


def test_a_refused_file_is_named_and_the_text_is_kept(client: FlaskClient, db: Session) -> None:
    filed = make_complaint(db)
    signed_in(client, filed)
    response = client.post(
        "/status/add",
        data={
            "text": "Keep this sentence <b>please</b>",
            "files": [(io.BytesIO(b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200), "tool.exe")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "The file tool.exe is not a type we accept." in response.text
    assert "Keep this sentence &lt;b&gt;please&lt;/b&gt;" in response.text
    assert 'href="#files"' in response.text
    assert db.scalar(select(func.count()).select_from(Attachment)) == 0


def test_the_add_page_has_its_own_form(client: FlaskClient, db: Session) -> None:
    filed = make_complaint(db)
    signed_in(client, filed)
    page = client.get("/status/add")
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.text and 'name="files"' in page.text
    assert filed.reference in page.text


def test_adding_nothing_asks_for_something(client: FlaskClient, db: Session) -> None:
    filed = make_complaint(db)
    signed_in(client, filed)
    response = client.post("/status/add", data={"text": "   "})
    assert response.status_code == 400
    assert "Write what you want to add, or choose a file." in response.text


def test_withdrawing_asks_for_confirmation_first(client: FlaskClient, db: Session) -> None:
    filed = make_complaint(db)
    signed_in(client, filed)
    confirm = client.get("/status/withdraw")
    assert confirm.status_code == 200
    assert "Are you sure you want to withdraw your complaint?" in confirm.text
    assert "Yes, withdraw my complaint" in confirm.text
    complaint = db.get(Complaint, filed.id)
    assert complaint is not None and complaint.state is CaseState.RECEIVED  # nothing yet
    done = client.post("/status/withdraw", data={"reason": "Resolved with the officer"})
    assert done.status_code == 303
    page = main_text(client.get("/status/view").text)
    assert "You have withdrawn your complaint." in page
    assert "Status Withdrawn" in page and "You withdrew your complaint" in page
    assert "Add information or evidence" not in page and "Withdraw my complaint" not in page
    db.rollback()  # end the test session's snapshot (SQLite WAL) before reading again
    db.refresh(complaint)
    assert complaint.state is CaseState.WITHDRAWN


def test_a_closed_complaint_cannot_be_withdrawn(client: FlaskClient, db: Session) -> None:
    filed = make_complaint(db)
    move_to(db, filed, CaseState.CLOSED, NOW)
    signed_in(client, filed)
    page = post_lookup(client, filed.reference, filed.code).text
    assert "Withdraw my complaint" not in page
    assert "You can ask for a review until: April 2, 2026" in main_text(page)
    refused = client.post("/status/withdraw", data={})
    assert refused.status_code == 303
    assert "already closed, so it cannot be withdrawn" in client.get("/status/view").text
    added = client.post("/status/add", data={"text": "late"})
    assert added.status_code == 303
    complaint = db.get(Complaint, filed.id)
    db.refresh(complaint)
    assert complaint is not None and complaint.state is CaseState.CLOSED
    assert not db.scalars(
        select(StatusEvent).where(StatusEvent.kind == StatusEventKind.INFORMATION_ADDED)
    ).all()


def test_the_status_pages_need_a_lookup_and_sign_out_ends_it(
    client: FlaskClient, db: Session
) -> None:
    filed = make_complaint(db)
    for path in ("/status/view", "/status/withdraw"):
        response = client.get(path)
        assert response.status_code == 303 and response.headers["Location"].endswith("/status")
    assert client.post("/status/add", data={"text": "x"}).status_code == 303
    signed_in(client, filed)
    assert client.get("/status/view").status_code == 200
    out = client.post("/status/sign-out")
    assert out.status_code == 303
    assert client.get("/status/view").status_code == 303
    with client.session_transaction() as session:
        assert "status" not in session
        assert filed.code not in str(dict(session))


def test_the_status_session_expires_after_idle_time(
    client: FlaskClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    filed = make_complaint(db)
    signed_in(client, filed)
    import portal.status.views as views

    start = views.time.time()
    monkeypatch.setattr(views.time, "time", lambda: start + 31 * 60)
    assert client.get("/status/view").status_code == 303


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_every_status_form_needs_its_csrf_token(client: FlaskClient, db: Session) -> None:
    filed = make_complaint(db)
    refused = post_lookup(client, filed.reference, filed.code)
    assert refused.status_code == 400
    assert filed.reference not in refused.text


def test_escaped_and_unicode_text_round_trips(client: FlaskClient, db: Session) -> None:
    filed = make_complaint(db)
    signed_in(client, filed)
    text = "<script>alert(1)</script> شرطي 警察 👮"
    client.post("/status/add", data={"text": text})
    page = client.get("/status/view").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; شرطي 警察 👮" in page


def test_spanish_page_in_spanish_with_spanish_dates(app: Flask, db: Session) -> None:
    filed = make_complaint(db)
    client = app.test_client()
    response = client.post(
        "/status",
        data={"reference": filed.reference, "access_code": filed.code},
        headers={"Accept-Language": "es"},
    )
    text = main_text(response.text)
    assert '<html lang="es">' in response.text
    assert "Su queja" in text
    assert "2 de marzo de 2026" in text and "16 de marzo de 2026" in text
    assert "Recibida" in text
    for english in ("Received", "What happens next", "Expected by", "Sign out"):
        assert english not in text, english


def test_a_closed_complaint_offers_a_review_once(client: FlaskClient, db: Session) -> None:
    filed = make_complaint(db)
    move_to(db, filed, CaseState.CLOSED, NOW)
    signed_in(client, filed)
    page = client.get("/status/view").text
    assert 'href="/status/review"' in page
    form = client.get("/status/review")
    assert form.status_code == 200 and "Why do you disagree with the decision?" in form.text
    empty = client.post("/status/review", data={"reason": " "})
    assert empty.status_code == 400 and "Tell us why you disagree" in empty.text
    sent = client.post("/status/review", data={"reason": "The officer's camera was not checked."})
    assert sent.status_code == 303
    text = main_text(client.get("/status/view").text)
    assert "We have received your request for a review." in text
    assert "Status Review of the decision requested" in text
    assert 'href="/status/review"' not in client.get("/status/view").text
    again = client.post("/status/review", data={"reason": "again"})
    assert again.status_code == 303
    assert "A review cannot be requested for this complaint now." in client.get("/status/view").text
    db.rollback()
    db.expire_all()
    complaint = db.get(Complaint, filed.id)
    assert complaint is not None and complaint.state is CaseState.APPEAL_REQUESTED


def test_an_open_complaint_offers_no_review_or_survey(client: FlaskClient, db: Session) -> None:
    filed = make_complaint(db)
    signed_in(client, filed)
    page = client.get("/status/view").text
    assert "/status/review" not in page and "/status/survey" not in page
    assert client.post("/status/review", data={"reason": "x"}).status_code == 303
    assert client.post("/status/survey", data={"ease": "5"}).status_code == 303
    db.rollback()
    assert db.scalar(select(func.count()).select_from(SurveyResponse)) == 0


def test_the_survey_after_closure_is_answered_once(client: FlaskClient, db: Session) -> None:
    filed = make_complaint(db)
    move_to(db, filed, CaseState.CLOSED, NOW)
    signed_in(client, filed)
    assert 'href="/status/survey"' in client.get("/status/view").text
    form = client.get("/status/survey")
    assert form.status_code == 200 and "How easy was it to make your complaint?" in form.text
    bad = client.post("/status/survey", data={"ease": "9"})
    assert bad.status_code == 400
    sent = client.post(
        "/status/survey",
        data={"ease": "4", "treated_fairly": "2", "would_recommend": "no", "comment": "Slow."},
    )
    assert sent.status_code == 303
    page = client.get("/status/view").text
    assert "Thank you for answering our survey." in page
    assert 'href="/status/survey"' not in page
    db.rollback()
    answer = db.scalars(select(SurveyResponse)).one()
    assert (answer.ease, answer.kept_informed, answer.treated_fairly) == (4, None, 2)
    assert answer.would_recommend is False and answer.comment == "Slow."
