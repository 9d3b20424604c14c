"""The status service: lookup, the per-reference lock, the public view, adding, withdrawing."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from portal.db import session_factory
from portal.models import AuditEntry, CaseEvent, Complaint, InternalNote, Staff, StatusEvent
from portal.services import status as status_service
from portal.services.clocks import ServiceLevels, add_business_days
from portal.services.evidence import store_upload
from portal.services.identifiers import ReferenceFormatError
from portal.services.status import (
    ComplaintClosed,
    NothingToAdd,
    ReferenceLocked,
    _Head,
    add_information,
    lookup,
    next_step,
    view_complaint,
    withdraw,
)
from portal.vocabulary import CaseState, PublicStatus, StaffRole, StatusEventKind
from tests.portal.status_support import KEY, RECEIVED, make_complaint, move_to

NOW = RECEIVED + dt.timedelta(days=1)
MINUTE = dt.timedelta(minutes=1)


def other_reference(reference: str) -> str:
    """A well-formed reference that is not ``reference`` (its check symbol is right)."""
    from portal.services.identifiers import check_symbol, format_reference

    body = reference.replace("LNT-", "").replace("-", "")
    first = "1" if body[0] != "1" else "2"
    new = first + body[1:7]
    return format_reference(new + check_symbol(new))


def test_a_new_complaint_reads_received_with_what_happens_next(db: Session) -> None:
    filed = make_complaint(db)
    view = lookup(db, filed.reference, filed.code, key=KEY, now=NOW)
    assert view is not None
    assert view.reference == filed.reference
    assert view.status is PublicStatus.RECEIVED
    assert view.is_open and not view.is_withdrawn
    assert [(s.kind, s.status) for s in view.timeline] == [("status", PublicStatus.RECEIVED)]
    assert view.timeline[0].at == RECEIVED
    # Received Monday 2 March 2026; 10 business days later is Monday 16 March.
    assert view.next_step.key == "received"
    assert view.next_step.expected_on == dt.date(2026, 3, 16)
    assert not view.next_step.is_overdue


def test_typing_is_forgiving_case_dashes_and_spaces(db: Session) -> None:
    filed = make_complaint(db)
    typed_reference = filed.reference.lower().replace("-", " ")
    typed_code = filed.code.replace("-", "").lower()
    assert lookup(db, typed_reference, typed_code, key=KEY, now=NOW) is not None


def test_wrong_code_and_unknown_reference_both_give_none(db: Session) -> None:
    filed = make_complaint(db)
    wrong_code = ("0" if filed.code[0] != "0" else "1") + filed.code[1:]
    assert lookup(db, filed.reference, wrong_code, key=KEY, now=NOW) is None
    assert lookup(db, other_reference(filed.reference), filed.code, key=KEY, now=NOW) is None


def test_the_code_is_hashed_and_compared_also_for_an_unknown_reference(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    filed = make_complaint(db)
    calls: list[str | None] = []
    real = status_service.hashes_match

    def spy(candidate: str, stored: str | None) -> bool:
        calls.append(stored)
        return real(candidate, stored)

    monkeypatch.setattr(status_service, "hashes_match", spy)
    lookup(db, other_reference(filed.reference), filed.code, key=KEY, now=NOW)
    lookup(db, filed.reference, "AAAA-AAAA-AAAA", key=KEY, now=NOW)
    assert calls == [None, calls[1]] and calls[1] is not None


def test_a_malformed_reference_is_refused_before_any_lookup(db: Session) -> None:
    filed = make_complaint(db)
    last = filed.reference[-1]
    mistyped = filed.reference[:-1] + ("0" if last != "0" else "1")
    with pytest.raises(ReferenceFormatError) as caught:
        lookup(db, mistyped, filed.code, key=KEY, now=NOW)
    assert caught.value.reason == "check"


def test_ten_failures_lock_the_reference_even_for_the_right_code(db: Session) -> None:
    filed = make_complaint(db)
    for attempt in range(9):
        assert lookup(db, filed.reference, "AAAA-AAAA-AAAA", key=KEY, now=NOW) is None, attempt
    with pytest.raises(ReferenceLocked) as caught:
        lookup(db, filed.reference, "AAAA-AAAA-AAAA", key=KEY, now=NOW)
    assert caught.value.until == NOW + 15 * MINUTE
    with pytest.raises(ReferenceLocked):
        lookup(db, filed.reference, filed.code, key=KEY, now=NOW + 14 * MINUTE)
    # When the lock ends, the right code works again, and the count starts afresh.
    assert lookup(db, filed.reference, filed.code, key=KEY, now=NOW + 15 * MINUTE) is not None
    for _ in range(9):
        assert lookup(db, filed.reference, "AAAA-AAAA-AAAA", key=KEY, now=NOW + 16 * MINUTE) is None
    locks = db.scalars(select(AuditEntry).where(AuditEntry.action == "status.lookup_locked")).all()
    assert len(locks) == 1 and filed.reference not in (locks[0].detail or "")


def test_an_unknown_reference_locks_the_same_way(db: Session) -> None:
    filed = make_complaint(db)
    unknown = other_reference(filed.reference)
    for _ in range(9):
        assert lookup(db, unknown, filed.code, key=KEY, now=NOW) is None
    with pytest.raises(ReferenceLocked):
        lookup(db, unknown, filed.code, key=KEY, now=NOW)
    # Other references are not affected.
    assert lookup(db, filed.reference, filed.code, key=KEY, now=NOW) is not None


def test_failures_count_within_the_lock_window_only(db: Session) -> None:
    filed = make_complaint(db)
    for _ in range(9):
        lookup(db, filed.reference, "AAAA-AAAA-AAAA", key=KEY, now=NOW)
    later = NOW + 16 * MINUTE
    assert lookup(db, filed.reference, "AAAA-AAAA-AAAA", key=KEY, now=later) is None
    assert lookup(db, filed.reference, filed.code, key=KEY, now=later) is not None


def test_a_success_clears_earlier_failures(db: Session) -> None:
    filed = make_complaint(db)
    for _ in range(5):
        lookup(db, filed.reference, "AAAA-AAAA-AAAA", key=KEY, now=NOW)
    assert lookup(db, filed.reference, filed.code, key=KEY, now=NOW) is not None
    for _ in range(9):
        assert lookup(db, filed.reference, "AAAA-AAAA-AAAA", key=KEY, now=NOW) is None
    assert lookup(db, filed.reference, filed.code, key=KEY, now=NOW) is not None


def test_the_view_never_carries_internal_notes_reasons_or_staff(db: Session) -> None:
    filed = make_complaint(db)
    staff = Staff(
        email="ines.investigator@example.org",
        name="Inés Investigadora",
        role=StaffRole.INVESTIGATOR,
        created_at=NOW,
    )
    db.add(staff)
    db.flush()
    complaint = db.get(Complaint, filed.id)
    assert complaint is not None
    complaint.assigned_to_id = staff.id
    complaint.screening_reason = "Secret screening reason"
    db.add(
        InternalNote(complaint_id=filed.id, author_id=staff.id, body="Secret note", created_at=NOW)
    )
    db.add(
        CaseEvent(
            complaint_id=filed.id,
            from_state=CaseState.RECEIVED,
            to_state=CaseState.SCREENING,
            at=NOW,
            actor_id=staff.id,
            reason="Secret transition reason",
        )
    )
    db.add(
        StatusEvent(
            complaint_id=filed.id,
            kind=StatusEventKind.STATUS_CHANGE,
            public_status=PublicStatus.UNDER_REVIEW,
            created_at=NOW,
            actor_id=staff.id,
        )
    )
    complaint.state = CaseState.SCREENING
    db.commit()
    view = lookup(db, filed.reference, filed.code, key=KEY, now=NOW)
    assert view is not None
    assert view.status is PublicStatus.UNDER_REVIEW
    text = repr(view)
    for secret in ("Secret", "Inés", "ines.investigator", "shouted"):
        assert secret not in text
    assert {f.name for f in dataclasses.fields(view)} == {
        "handle",
        "reference",
        "received_at",
        "status",
        "is_open",
        "is_withdrawn",
        "timeline",
        "next_step",
        "can_request_review",
        "can_answer_survey",
    }


def test_business_days_skip_weekends_and_holidays() -> None:
    friday = dt.date(2026, 3, 6)
    assert add_business_days(friday, 1, frozenset()) == dt.date(2026, 3, 9)
    assert add_business_days(friday, 1, frozenset({dt.date(2026, 3, 9)})) == dt.date(2026, 3, 10)
    assert add_business_days(friday, 0, frozenset()) == friday
    levels = ServiceLevels.from_config({"HOLIDAYS": "2026-03-09, 2026-03-10", "SLA_SCREEN_DAYS": 1})
    assert levels.screen_days == 1
    assert levels.holidays == frozenset({dt.date(2026, 3, 9), dt.date(2026, 3, 10)})


def head(state: CaseState, *, at: dt.datetime = RECEIVED) -> _Head:
    """A complaint received, screened, last updated and (if closed) closed at ``at``."""
    return _Head(1, "LNT-0000-0000", state, at, at, at, at)


@pytest.mark.parametrize(
    ("state", "key", "expected"),
    [
        # everything happened on Monday 2 March 2026
        (CaseState.RECEIVED, "received", dt.date(2026, 3, 16)),  # 10 business days
        (CaseState.SCREENING, "under_review", dt.date(2026, 3, 16)),
        (CaseState.EARLY_RESOLUTION, "early_resolution", dt.date(2026, 3, 9)),  # 5
        (CaseState.INVESTIGATION, "under_investigation", dt.date(2026, 7, 6)),  # 90
        (CaseState.REFERRED, "referred", dt.date(2026, 4, 13)),  # 30
        (CaseState.FINDINGS_REVIEW, "findings_review", dt.date(2026, 4, 13)),
        (CaseState.APPEAL_REQUESTED, "appeal_requested", dt.date(2026, 4, 13)),
        (CaseState.CLOSED, "closed", dt.date(2026, 4, 1)),  # 30 calendar days to appeal
        (CaseState.DECLINED, "closed", dt.date(2026, 4, 1)),
        (CaseState.WITHDRAWN, "withdrawn", None),
        (CaseState.APPEAL_DECIDED, "appeal_decided", None),
    ],
)
def test_what_happens_next_for_every_public_status(
    state: CaseState, key: str, expected: dt.date | None
) -> None:
    step = next_step(head(state), now=RECEIVED, levels=ServiceLevels())
    assert (step.key, step.expected_on, step.is_overdue) == (key, expected, False)


def test_late_steps_are_flagged_and_an_old_closure_is_final() -> None:
    late = RECEIVED + dt.timedelta(days=60)
    received = next_step(head(CaseState.RECEIVED), now=late, levels=ServiceLevels())
    assert received.is_overdue and received.expected_on == dt.date(2026, 3, 16)
    closed = next_step(head(CaseState.CLOSED), now=late, levels=ServiceLevels())
    assert (closed.key, closed.expected_on) == ("closed_final", None)


def test_adding_information_appears_on_the_timeline_and_in_the_audit(db: Session) -> None:
    filed = make_complaint(db)
    add_information(db, filed.id, text="  The officer's car was number 42.  ", now=NOW)
    view = view_complaint(db, filed.id, now=NOW)
    assert view is not None
    assert view.timeline[-1].kind == "information_added"
    assert view.timeline[-1].message == "The officer's car was number 42."
    entry = db.scalars(
        select(AuditEntry).where(AuditEntry.action == "complaint.information_added")
    ).one()
    assert entry.object_id == filed.id and entry.actor_id is None
    assert "42" not in (entry.detail or "")
    with pytest.raises(NothingToAdd):
        add_information(db, filed.id, text="   ", now=NOW)


def test_withdrawing_closes_it_for_good(db: Session) -> None:
    filed = make_complaint(db)
    withdraw(db, filed.id, reason="We sorted it out", now=NOW)
    view = view_complaint(db, filed.id, now=NOW)
    assert view is not None
    assert view.status is PublicStatus.CLOSED and view.is_withdrawn and not view.is_open
    assert view.timeline[-1].kind == "withdrawn"
    assert view.next_step.key == "withdrawn"
    complaint = db.get(Complaint, filed.id)
    assert complaint is not None and complaint.state is CaseState.WITHDRAWN
    assert complaint.closed_at == NOW
    event = db.scalars(
        select(CaseEvent).where(
            CaseEvent.complaint_id == filed.id, CaseEvent.to_state == CaseState.WITHDRAWN
        )
    ).one()
    assert event.to_state is CaseState.WITHDRAWN and event.reason == "We sorted it out"
    audit = db.scalars(select(AuditEntry).where(AuditEntry.action == "complaint.withdraw")).one()
    assert audit.actor_id is None
    assert audit.before == {"state": "received"} and audit.after == {"state": "withdrawn"}
    with pytest.raises(ComplaintClosed):
        withdraw(db, filed.id, now=NOW)
    with pytest.raises(ComplaintClosed):
        add_information(db, filed.id, text="more", now=NOW)


def test_a_closed_complaint_cannot_be_withdrawn_or_added_to(db: Session) -> None:
    filed = make_complaint(db)
    move_to(db, filed, CaseState.CLOSED, NOW)
    with pytest.raises(ComplaintClosed):
        withdraw(db, filed.id, now=NOW)
    with pytest.raises(ComplaintClosed):
        add_information(db, filed.id, text="more", now=NOW)
    complaint = db.get(Complaint, filed.id)
    db.refresh(complaint)
    assert complaint is not None and complaint.state is CaseState.CLOSED
    assert db.scalars(select(AuditEntry).where(AuditEntry.action.like("complaint.w%"))).all() == []
    assert db.scalars(select(AuditEntry).where(AuditEntry.action.like("%added"))).all() == []


def test_adding_evidence_attaches_the_files_as_the_complainants(
    db: Session, tmp_path: Path
) -> None:
    filed = make_complaint(db)
    stored = store_upload(
        io.BytesIO(b"Plate number seen: 4XYZ123\n"), "notes.txt", tmp_path, max_file_bytes=1000
    )
    add_information(db, filed.id, text="", files=[stored], now=NOW)
    complaint = db.get(Complaint, filed.id)
    assert complaint is not None
    db.refresh(complaint)
    [attachment] = complaint.attachments
    assert attachment.original_name == "notes.txt" and attachment.uploaded_by_id is None
    assert attachment.sha256 == stored.sha256
    view = view_complaint(db, filed.id, now=NOW)
    assert view is not None
    assert (view.timeline[-1].kind, view.timeline[-1].message) == ("evidence_added", "notes.txt")
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "complaint.evidence_added"))
    assert entry.one().detail == "files=1"


def test_concurrent_failures_are_all_counted(db: Session, engine: Engine) -> None:
    filed = make_complaint(db)
    factory = session_factory(engine)
    outcomes: list[str] = []

    def attempt() -> None:
        session = factory()
        try:
            result = lookup(session, filed.reference, "AAAA-AAAA-AAAA", key=KEY, now=NOW)
            outcomes.append("none" if result is None else "found")
        except ReferenceLocked:
            outcomes.append("locked")
        finally:
            session.close()

    threads = [threading.Thread(target=attempt) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # No lost update, no duplicate-key error: 9 plain failures, then the lock.
    assert sorted(outcomes) == ["locked"] * 7 + ["none"] * 9
    with pytest.raises(ReferenceLocked):
        lookup(db, filed.reference, filed.code, key=KEY, now=NOW)
