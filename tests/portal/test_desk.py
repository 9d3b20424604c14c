"""The staff desk: what arrived on my cases since I last looked — exactly, never lost — my
cases, the team's workload, reviews waiting; review requests stay in the open queue (SQLite and
PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

from flask import Flask, before_render_template
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from portal.models import CaseNotice, CaseSeen, Complaint, OutboxMessage, Staff
from portal.services import appeals, desk, status
from portal.services.clocks import ServiceLevels
from portal.services.mail import queue_email
from portal.vocabulary import CaseState, OutboxStatus, StaffRole
from tests.portal.backoffice_support import audit_entries, references_in_table
from tests.portal.casework_support import T0, make_complaint

LEVELS = ServiceLevels()
DAY = dt.timedelta(days=1)


def _assigned(db: Session, staff: Staff, **kw: object) -> Complaint:
    complaint = make_complaint(db, state=CaseState.INVESTIGATION, **kw)  # type: ignore[arg-type]
    complaint.assigned_to_id = staff.id
    complaint.last_complainant_update_at = T0
    db.commit()
    return complaint


def _kinds(news: desk.CaseNews | None) -> list[str]:
    return [n.kind.value for n in news.notices] if news else []


def test_every_source_becomes_a_notice_and_opening_marks_it_seen(
    db: Session, make_staff: Callable[..., Staff]
) -> None:
    ivy = make_staff(StaffRole.INVESTIGATOR)
    complaint = _assigned(db, ivy, email="r@example.org")
    cid = complaint.id
    now = T0 + DAY  # nothing overdue yet
    status.add_information(db, cid, text="I found a witness.", now=now)
    message = queue_email(
        db, to="r@example.org", subject="s", body="b", language="en", complaint_id=cid, now=now
    )
    message.status = OutboxStatus.FAILED  # failed its attempts (any channel: state only)
    db.commit()
    desk.collect(db, now=now, levels=LEVELS)
    desk.collect(db, now=now, levels=LEVELS)  # idempotent
    news = desk.case_news(db, ivy, cid)
    assert _kinds(news) == ["delivery_failed", "information_added"]
    # Months later (30 and 90 business days) two clocks have run out: one notice per run.
    later = T0 + 200 * DAY
    desk.collect(db, now=later, levels=LEVELS)
    desk.collect(db, now=later, levels=LEVELS)
    news = desk.case_news(db, ivy, cid)
    assert news is not None
    assert sorted(n.clock or "" for n in news.notices if n.kind.value == "overdue") == [
        "investigate",
        "update",
    ]
    assert desk.mark_seen(db, ivy, cid, news.up_to, now=later)
    db.commit()
    assert desk.case_news(db, ivy, cid) is None
    # Someone else has not seen it: marks are per staff member.
    other = make_staff(StaffRole.INVESTIGATOR)
    assert desk.case_news(db, other, cid) is not None


def test_a_notice_arriving_after_the_page_was_read_is_not_marked_seen(
    db: Session, make_staff: Callable[..., Staff]
) -> None:
    ivy = make_staff(StaffRole.INVESTIGATOR)
    cid = _assigned(db, ivy).id
    status.add_information(db, cid, text="first", now=T0 + DAY)
    shown = desk.case_news(db, ivy, cid)
    assert shown is not None
    db.rollback()
    status.add_information(db, cid, text="second, while the page renders", now=T0 + DAY)
    desk.mark_seen(db, ivy, cid, shown.up_to, now=T0 + DAY)
    db.commit()
    still = desk.case_news(db, ivy, cid)
    assert _kinds(still) == ["information_added"] and still is not None
    assert still.notices[0].id > shown.up_to
    # A mark never moves back.
    desk.mark_seen(db, ivy, cid, shown.up_to - 1, now=T0 + DAY)
    db.commit()
    mark = db.get(CaseSeen, (ivy.id, cid))
    assert mark is not None and mark.last_notice_id == shown.up_to


def test_case_page_marks_only_what_it_showed(
    app: Flask,
    engine: Engine,
    db: Session,
    staff_client: Callable[..., tuple[FlaskClient, Staff]],
) -> None:
    """A resident adds information while the case page is being rendered: it stays new."""
    client, ivy = staff_client(StaffRole.INVESTIGATOR)
    cid = _assigned(db, ivy).id
    status.add_information(db, cid, text="before", now=T0 + DAY)
    db.rollback()

    def arrive(*_args: object, **_kw: object) -> None:
        # Another request (its own connection, its own thread) adds to the case mid-render.
        def add() -> None:
            with Session(engine) as other:
                status.add_information(other, cid, text="during", now=T0 + DAY)

        worker = threading.Thread(target=add)
        worker.start()
        worker.join()

    with before_render_template.connected_to(arrive, app):
        page = client.get(f"/staff/cases/{cid}").get_data(as_text=True)
    assert "New since you last looked" in page
    assert page.count("The resident added information") == 1
    db.rollback()
    news = desk.case_news(db, ivy, cid)
    assert _kinds(news) == ["information_added"]  # "during": still new
    db.rollback()
    page = client.get(f"/staff/cases/{cid}").get_data(as_text=True)
    assert "New since you last looked" in page
    db.rollback()
    assert desk.case_news(db, ivy, cid) is None
    page = client.get(f"/staff/cases/{cid}").get_data(as_text=True)
    assert "New since you last looked" not in page


def test_desk_page_lists_news_cases_workload_and_acknowledges(
    db: Session, staff_client: Callable[..., tuple[FlaskClient, Staff]]
) -> None:
    client, _sup = staff_client(StaffRole.SUPERVISOR)
    ivy_client, ivy = staff_client(StaffRole.INVESTIGATOR)
    mine = _assigned(db, ivy)
    unassigned = make_complaint(db, state=CaseState.SCREENING)
    db.commit()
    ids, refs = (mine.id, unassigned.id), (mine.reference, unassigned.reference)
    status.add_information(db, ids[0], text="new info", now=T0 + DAY)
    status.withdraw(db, ids[1], reason="", now=T0 + DAY)
    db.rollback()

    page = ivy_client.get("/staff/").get_data(as_text=True)
    assert refs[0] in page and refs[1] not in page  # an investigator: own cases only
    assert "The resident added information" in page and "Team workload" not in page
    page = client.get("/staff/").get_data(as_text=True)
    assert "Complaint withdrawn" in page  # a supervisor also sees unassigned cases
    assert "Team workload" in page and "Reviews waiting for a decision" in page
    workload = {w.name: w for w in desk.workload(db, levels=LEVELS, now=T0 + DAY)}
    assert workload[ivy.name].open_cases == 1
    db.rollback()

    response = ivy_client.post(f"/staff/desk/seen/{ids[0]}", data={"up_to": "999999999"})
    assert response.status_code == 303
    assert "Nothing new on your cases." in ivy_client.get("/staff/").get_data(as_text=True)
    assert [e.object_id for e in audit_entries(db, desk.ACKNOWLEDGE)] == [ids[0]]
    # Intake staff get no workload; the commissioner and the admin have no desk at all.
    intake, _ = staff_client(StaffRole.INTAKE)
    assert "Team workload" not in intake.get("/staff/").get_data(as_text=True)
    for role in (StaffRole.COMMISSIONER, StaffRole.ADMIN):
        other, _ = staff_client(role)
        page = other.get("/staff/").get_data(as_text=True)
        assert "New since you last looked" not in page
        assert other.post(f"/staff/desk/seen/{ids[0]}", data={"up_to": "1"}).status_code == 403


def test_review_requests_stay_in_the_open_queue_until_decided(
    db: Session, staff_client: Callable[..., tuple[FlaskClient, Staff]]
) -> None:
    client, sup = staff_client(StaffRole.SUPERVISOR)
    complaint = make_complaint(db, state=CaseState.CLOSED)
    complaint.closed_at = T0
    db.commit()
    reference = complaint.reference
    appeal = appeals.request_appeal(db, complaint.id, reason="", now=T0 + DAY)
    db.commit()
    appeal_id = appeal.id
    assert reference in references_in_table(client.get("/staff/cases").get_data(as_text=True))
    closed = client.get("/staff/cases?status=closed").get_data(as_text=True)
    assert reference not in closed
    kinds = db.scalars(select(CaseNotice.kind).where(CaseNotice.complaint_id == complaint.id))
    assert list(kinds) == ["appeal_requested"]
    db.rollback()
    assert reference in client.get("/staff/").get_data(as_text=True)  # reviews waiting
    appeals.decide_appeal(
        db,
        appeal_id,
        outcome=appeals.AppealState.UPHELD,
        decision="Upheld.",
        actor=sup,
        now=T0 + 2 * DAY,
    )
    db.commit()
    assert reference not in references_in_table(client.get("/staff/cases").get_data(as_text=True))


def test_failed_messages_are_found_by_state_whatever_the_channel(
    db: Session, make_staff: Callable[..., Staff]
) -> None:
    ivy = make_staff(StaffRole.INVESTIGATOR)
    cid = _assigned(db, ivy).id
    for state in (OutboxStatus.PENDING, OutboxStatus.SENT, OutboxStatus.FAILED):
        db.add(
            OutboxMessage(
                message_id=f"<{state.value}@test>", complaint_id=cid, to_address="x",
                subject="s", body_text="b", status=state, next_attempt_at=T0, created_at=T0,
            )
        )  # fmt: skip
    db.commit()
    desk.collect(db, now=T0 + DAY, levels=LEVELS)
    assert _kinds(desk.case_news(db, ivy, cid)) == ["delivery_failed"]


def test_desk_queries_do_not_grow_with_the_cases(
    db: Session, engine: Engine, make_staff: Callable[..., Staff]
) -> None:
    """No query per case: the desk runs the same statements for 2 cases as for 30."""
    from sqlalchemy import event

    sup = make_staff(StaffRole.SUPERVISOR)

    def statements() -> int:
        seen: list[str] = []

        def count(*args: object) -> None:
            seen.append(str(args[2]))

        event.listen(engine, "before_cursor_execute", count)
        try:
            desk.desk(db, sup, levels=LEVELS, now=T0 + DAY)
            db.rollback()
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(seen)

    def add_cases(n: int) -> None:
        for _ in range(n):
            cid = _assigned(db, sup).id
            status.add_information(db, cid, text="more", now=T0 + DAY)
        db.rollback()

    add_cases(2)
    few = statements()
    assert few >= 8  # collect, news, own cases, workload, reviews: the listener sees them
    add_cases(28)
    assert statements() == few
