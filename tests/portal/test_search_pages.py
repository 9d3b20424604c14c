"""The "Find a case" page: results, messages, paging, roles, audit, valid HTML."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from portal.models import SearchDocument, Staff
from portal.vocabulary import StaffRole
from tests.browser import assert_valid_html
from tests.portal.backoffice_support import audit_entries, references_in_table, table_body
from tests.portal.search_support import file_case

StaffClient = Callable[..., tuple[FlaskClient, Staff]]


def test_a_lost_reference_is_found_by_phone_and_the_row_hides_the_story(
    db: Session, staff_client: StaffClient
) -> None:
    wanted = file_case(
        db, name="Aurora Peña", phone="+1 (555) 010-4477", narrative="Kicked my door in at night."
    )
    file_case(db, name="Someone Else", phone="555 010 9999")
    client, _staff = staff_client(StaffRole.INTAKE)
    page = client.get("/staff/search", query_string={"q": "555-010-4477"}).get_data(as_text=True)
    assert references_in_table(page) == [wanted.reference]
    body = table_body(page)
    assert "phone number" in body and "received" in body.lower()
    for private in ("Aurora", "Peña", "Kicked", "4477"):
        assert private not in body
    assert f'href="/staff/cases/{wanted.id}"' in body


def test_an_empty_search_says_what_to_type_and_keeps_nothing(
    db: Session, staff_client: StaffClient
) -> None:
    client, _staff = staff_client(StaffRole.INVESTIGATOR)
    response = client.get("/staff/search", query_string={"q": "  "})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Type a name, email address, phone number, badge or some words" in page
    assert 'aria-invalid="true"' in page
    assert audit_entries(db, "complaint.search") == []
    # Opening the page without a query is not an error and not a search.
    assert client.get("/staff/search").status_code == 200
    assert audit_entries(db, "complaint.search") == []


def test_no_match_and_paging(db: Session, staff_client: StaffClient) -> None:
    for n in range(27):
        file_case(db, narrative=f"Searched at the underpass, time {n}.")
    client, _staff = staff_client(StaffRole.SUPERVISOR)
    first = client.get("/staff/search", query_string={"q": "underpass"}).get_data(as_text=True)
    assert "27 cases found" in first and "page 1 of 2" in first
    assert len(references_in_table(first)) == 25
    assert 'href="/staff/search?page=2&amp;q=underpass"' in first
    second = client.get("/staff/search", query_string={"q": "underpass", "page": 2})
    assert len(references_in_table(second.get_data(as_text=True))) == 2
    past = client.get("/staff/search", query_string={"q": "underpass", "page": 9})
    assert "This page is past the last result." in past.get_data(as_text=True)
    none = client.get("/staff/search", query_string={"q": "zeppelin"}).get_data(as_text=True)
    assert "No case matches" in none
    shown = [e.detail or "" for e in audit_entries(db, "complaint.search")]
    assert [d.split()[1:3] for d in shown] == [
        ["results=27", "page=1"],
        ["results=27", "page=2"],
        ["results=27", "page=9"],
        ["results=0", "page=1"],
    ]


def test_commissioners_and_admins_cannot_search_or_see_the_link(
    db: Session, staff_client: StaffClient
) -> None:
    file_case(db, name="Hidden Person")
    for role in (StaffRole.COMMISSIONER, StaffRole.ADMIN):
        client, _staff = staff_client(role)
        assert client.get("/staff/search", query_string={"q": "hidden"}).status_code == 403
        assert "/staff/search" not in client.get("/staff/").get_data(as_text=True)
    client, _staff = staff_client(StaffRole.INTAKE)
    assert 'href="/staff/search"' in client.get("/staff/").get_data(as_text=True)
    assert audit_entries(db, "complaint.search") == []


def test_cases_missing_from_the_index_are_announced(db: Session, staff_client: StaffClient) -> None:
    file_case(db)
    db.query(SearchDocument).delete()
    db.commit()
    client, _staff = staff_client(StaffRole.INTAKE)
    page = client.get("/staff/search").get_data(as_text=True)
    assert "1 case is not in the search index yet" in page
    assert "lantern search reindex" in page


def test_search_pages_are_valid_html(
    db: Session, staff_client: StaffClient, tmp_path: Path
) -> None:
    file_case(db, name="Valid Markup", email="valid@example.org")
    client, _staff = staff_client(StaffRole.INTAKE)
    pages = {
        "empty": client.get("/staff/search").get_data(as_text=True),
        "results": client.get("/staff/search?q=valid@example.org").get_data(as_text=True),
        "problem": client.get("/staff/search?q=-x").get_data(as_text=True),
    }
    assert "1 case found" in pages["results"]
    assert_valid_html(pages, tmp_path)
