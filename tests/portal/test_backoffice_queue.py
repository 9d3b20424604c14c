"""The case queue: filters, reference search, sorting, pagination; and the commissioner's
anonymized closed-case list, which never shows who complained."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from portal.models import Allegation, Complaint, Staff
from portal.vocabulary import AllegationCategory, CaseState, Channel, Finding, StaffRole
from tests.portal.backoffice_support import references_in_table, table_body
from tests.portal.casework_support import T0, make_complaint

StaffClient = Callable[..., tuple[Any, Staff]]


def _case(db: Session, **kwargs: Any) -> Complaint:
    complaint = make_complaint(db, **kwargs)
    db.commit()
    return complaint


def test_queue_shows_open_cases_and_filters_by_status(db: Session, staff_client: StaffClient):
    open_case = _case(db, state=CaseState.SCREENING)
    closed_case = _case(db, state=CaseState.CLOSED)
    client, _ = staff_client(StaffRole.INTAKE)

    page = client.get("/staff/cases").get_data(as_text=True)
    assert references_in_table(page) == [open_case.reference]  # open cases by default

    closed = client.get("/staff/cases?status=closed").get_data(as_text=True)
    assert references_in_table(closed) == [closed_case.reference]

    one_state = client.get("/staff/cases?status=screening").get_data(as_text=True)
    assert references_in_table(one_state) == [open_case.reference]

    everything = client.get("/staff/cases?status=all").get_data(as_text=True)
    assert set(references_in_table(everything)) == {open_case.reference, closed_case.reference}


def test_queue_filters_channel_district_category_and_mine(
    db: Session, staff_client: StaffClient
) -> None:
    client, me = staff_client(StaffRole.INVESTIGATOR)
    phone = _case(db, channel=Channel.PHONE, district="D02")
    online = _case(db, channel=Channel.ONLINE, district="D03")
    reported_force = _case(db, categories=(AllegationCategory.FORCE,))
    # An allegation recorded by staff counts too, even if the complainant chose nothing.
    alleged_bias = _case(db)
    alleged_bias.allegations.append(Allegation(category=AllegationCategory.BIAS))
    alleged_bias.assigned_to_id = me.id
    db.commit()

    def shown(query: str) -> set[str]:
        response = client.get("/staff/cases?" + query)
        assert response.status_code == 200
        return set(references_in_table(response.get_data(as_text=True)))

    assert shown("channel=phone") == {phone.reference}
    assert shown("district=D03") == {online.reference}
    assert shown("category=force") == {reported_force.reference}
    assert shown("category=bias") == {alleged_bias.reference}
    assert shown("mine=y") == {alleged_bias.reference}
    assert shown("channel=phone&district=D03") == set()


def test_queue_searches_by_reference_without_dashes_any_case(
    db: Session, staff_client: StaffClient
) -> None:
    wanted = _case(db)
    _case(db)
    client, _ = staff_client(StaffRole.SUPERVISOR)
    body = wanted.reference.replace("-", "")  # e.g. LNT7K3MQ9XD
    typed = body[3:9].lower()  # a lower-case piece of it, no dashes
    page = client.get(f"/staff/cases?q={typed}").get_data(as_text=True)
    assert references_in_table(page) == [wanted.reference]
    whole = client.get(f"/staff/cases?q={wanted.reference}").get_data(as_text=True)
    assert references_in_table(whole) == [wanted.reference]


def test_queue_sorts_and_marks_the_sorted_column(db: Session, staff_client: StaffClient):
    cases = [_case(db, now=T0 + dt.timedelta(days=i)) for i in range(3)]
    client, _ = staff_client(StaffRole.INTAKE)

    oldest_first = client.get("/staff/cases").get_data(as_text=True)
    assert references_in_table(oldest_first) == [c.reference for c in cases]
    assert re.search(r'<th scope="col" aria-sort="ascending"><a [^>]*>Received', oldest_first)

    newest_first = client.get("/staff/cases?sort=received&dir=desc").get_data(as_text=True)
    assert references_in_table(newest_first) == [c.reference for c in reversed(cases)]
    assert re.search(r'<th scope="col" aria-sort="descending"><a [^>]*>Received', newest_first)

    by_reference = client.get("/staff/cases?sort=reference&dir=asc").get_data(as_text=True)
    assert references_in_table(by_reference) == sorted(c.reference for c in cases)
    # Only the sorted column carries aria-sort.
    assert by_reference.count("aria-sort=") == 1


def test_queue_pages_through_many_cases(db: Session, staff_client: StaffClient):
    cases = [make_complaint(db, now=T0 + dt.timedelta(hours=i)) for i in range(30)]
    db.commit()
    client, _ = staff_client(StaffRole.INTAKE)

    first = client.get("/staff/cases").get_data(as_text=True)
    assert references_in_table(first) == [c.reference for c in cases[:25]]
    assert "30 cases" in first
    assert "Page 1 of 2" in first
    second = client.get("/staff/cases?page=2").get_data(as_text=True)
    assert references_in_table(second) == [c.reference for c in cases[25:]]
    # Filters survive in the page links.
    filtered = client.get("/staff/cases?channel=online&page=1").get_data(as_text=True)
    assert "page=2" in filtered and "channel=online" in filtered
    # A page past the end shows the last page.
    assert references_in_table(client.get("/staff/cases?page=99").get_data(as_text=True)) == [
        c.reference for c in cases[25:]
    ]


def test_queue_is_a_table_with_caption_and_scoped_headers(
    db: Session, staff_client: StaffClient
) -> None:
    _case(db)
    client, _ = staff_client(StaffRole.INTAKE)
    page = client.get("/staff/cases").get_data(as_text=True)
    assert "<caption" in page and "1 case" in page
    assert page.count('scope="col"') == 7
    assert 'scope="row"' in table_body(page)
    assert '<form method="get"' in page  # filters work without JavaScript


def test_queue_refuses_roles_without_it(staff_client: StaffClient) -> None:
    for role in (StaffRole.COMMISSIONER, StaffRole.ADMIN):
        client, _ = staff_client(role)
        assert client.get("/staff/cases").status_code == 403


def test_queue_shows_no_complainant_identity(db: Session, staff_client: StaffClient):
    _case(db, name="Zelda Quintanilla", email="zelda@example.org")
    client, _ = staff_client(StaffRole.INTAKE)
    page = client.get("/staff/cases").get_data(as_text=True)
    assert "Zelda" not in page and "zelda@example.org" not in page


# --- commissioners ------------------------------------------------------------------------------


def _closed_with_findings(db: Session) -> Complaint:
    complaint = make_complaint(
        db,
        state=CaseState.CLOSED,
        name="Zelda Quintanilla",
        email="zelda@example.org",
        categories=(AllegationCategory.FORCE, AllegationCategory.DISCOURTESY),
    )
    complaint.narrative = "The officer grabbed my arm outside the bakery on Elm Street."
    complaint.incident_location = "Elm Street bakery"
    complaint.closed_at = T0 + dt.timedelta(days=40)
    for allegation, finding in zip(
        complaint.allegations, (Finding.SUSTAINED, Finding.UNFOUNDED), strict=True
    ):
        allegation.finding = finding
    db.commit()
    return complaint


def test_commissioner_sees_closed_cases_without_identity(
    db: Session, staff_client: StaffClient
) -> None:
    closed = _closed_with_findings(db)
    still_open = _case(db, name="Open Person", state=CaseState.INVESTIGATION)
    client, _ = staff_client(StaffRole.COMMISSIONER)

    listing = client.get("/staff/closed")
    assert listing.status_code == 200
    text = listing.get_data(as_text=True)
    assert f"Case {closed.id}" in text
    assert "Force: Sustained" in text and "Discourtesy: Unfounded" in text
    detail = client.get(f"/staff/closed/{closed.id}").get_data(as_text=True)
    assert "Sustained" in detail and "Unfounded" in detail
    for page in (text, detail):
        for secret in (
            "Zelda",
            "zelda@example.org",
            "bakery",
            closed.reference,
            still_open.reference,
            "Open Person",
        ):
            assert secret not in page
    # An open case is not there at all, and the personal case page is refused.
    assert client.get(f"/staff/closed/{still_open.id}").status_code == 404
    assert client.get(f"/staff/cases/{closed.id}").status_code == 403


def test_closed_case_list_is_refused_to_other_roles(staff_client: StaffClient) -> None:
    client, _ = staff_client(StaffRole.INVESTIGATOR)
    assert client.get("/staff/closed").status_code == 403


def test_queue_filters_overdue_and_due_soon(db: Session, staff_client: StaffClient) -> None:
    now = dt.datetime.now(dt.UTC)
    overdue = _case(db, now=T0)  # not acknowledged for months
    fresh = _case(db, now=now)  # acknowledgement due within two business days
    _case(db, now=now, state=CaseState.CLOSED)  # no clock runs
    client, _ = staff_client(StaffRole.SUPERVISOR)
    late = client.get("/staff/cases?deadline=overdue&status=all").get_data(as_text=True)
    assert references_in_table(late) == [overdue.reference]
    soon = client.get("/staff/cases?deadline=due_soon&status=all").get_data(as_text=True)
    assert references_in_table(soon) == [fresh.reference]


def test_case_page_shows_its_clocks(db: Session, staff_client: StaffClient) -> None:
    overdue = _case(db, now=T0)
    client, _ = staff_client(StaffRole.INTAKE)
    page = client.get(f"/staff/cases/{overdue.id}").get_data(as_text=True)
    assert "Deadlines (business days)" in page
    # Received Monday 2025-03-03: acknowledgement due two business days later, now overdue.
    assert re.search(r"Acknowledge</th><td>2025-03-05</td><td><span[^>]*>overdue", page)


def test_queue_lists_referrals_due_for_follow_up(db: Session, staff_client: StaffClient):
    from portal.models import Agency, Referral

    today = dt.datetime.now(dt.UTC).date()
    agency = Agency(name="Tenant Legal Aid", is_active=True)
    db.add(agency)
    due, later, answered = (_case(db, state=CaseState.REFERRED) for _ in range(3))
    db.flush()
    for complaint, follow_up, outcome in (
        (due, today, None),
        (later, today + dt.timedelta(days=7), None),
        (answered, today - dt.timedelta(days=7), "Resolved by the landlord"),
    ):
        db.add(
            Referral(
                complaint_id=complaint.id,
                agency_id=agency.id,
                referred_at=T0,
                follow_up_on=follow_up,
                outcome=outcome,
                outcome_at=T0 + dt.timedelta(days=10) if outcome else None,
            )
        )
    db.commit()
    client, _ = staff_client(StaffRole.INTAKE)
    page = client.get("/staff/cases?followup=y").get_data(as_text=True)
    assert references_in_table(page) == [due.reference]
