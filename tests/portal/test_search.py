"""Finding any case: the search service on PostgreSQL (tsvector) and SQLite (FTS5)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.cli import main
from portal.models import AuditEntry, Complaint, SearchDocument, Staff
from portal.services import search
from portal.services.investigation import add_involved_officer
from portal.services.search import SearchError, parse_query, search_cases
from portal.vocabulary import StaffRole
from tests.portal.search_support import AUDIT_KEY, file_case

NOW = dt.datetime(2026, 3, 9, 10, 0, tzinfo=dt.UTC)


def find(db: Session, staff: Staff, query: str, **kwargs: int) -> list[int]:
    return [hit.complaint_id for hit in find_hits(db, staff, query, **kwargs)]


def find_hits(db: Session, staff: Staff, query: str, **kwargs: int) -> list[search.SearchHit]:
    return list(search_cases(db, query, actor=staff, now=NOW, audit_key=AUDIT_KEY, **kwargs).hits)


@pytest.fixture
def intake(make_staff: Callable[..., Staff]) -> Staff:
    return make_staff(StaffRole.INTAKE)


def test_a_caller_without_reference_or_code_is_found_by_name_email_or_phone(
    db: Session, intake: Staff
) -> None:
    wanted = file_case(
        db, name="María José Núñez", email="MJ.Nunez@Example.org", phone="(555) 201-7788"
    )
    file_case(db, name="Robert Núñez-Smith", email="rob@example.org", phone="555 999 0000")
    # Accents and case do not matter; both words must match.
    assert find(db, intake, "maria nunez") == [wanted.id]
    assert find(db, intake, "MARÍA JOSÉ") == [wanted.id]
    # The email exactly as typed, any case; part of it is not an email match.
    assert find(db, intake, "mj.nunez@example.ORG") == [wanted.id]
    assert find(db, intake, "nunez@example.org") == []
    # The phone however it is typed: with country code, dashes, dots, or only the local part.
    for typed in ("+1 555 201 7788", "555-201-7788", "555.201.7788", "2017788", "201-7788"):
        assert find(db, intake, typed) == [wanted.id], typed


def test_officer_name_badge_narrative_and_location(db: Session, intake: Staff) -> None:
    first = file_case(
        db,
        officer_name="Sgt. Dana Whitlock",
        badge="B-4471",
        narrative="He pushed me against the vending machine and took my phone.",
        location="Corner of Elm Street and 5th Avenue",
    )
    second = file_case(db, narrative="The officer was rude at the bus station.")
    assert find(db, intake, "whitlock") == [first.id]
    assert find(db, intake, "B-4471") == [first.id]
    assert find(db, intake, "b4471") == [first.id]
    assert find(db, intake, "vending machine") == [first.id]
    assert find(db, intake, '"machine vending"') == []  # a phrase keeps its order
    assert find(db, intake, "elm street") == [first.id]
    assert sorted(find(db, intake, "rude or pushed")) == sorted([first.id, second.id])
    assert find(db, intake, "rude -bus") == []  # "-word" excludes
    assert find(db, intake, "rude -vending") == [second.id]


def test_results_show_the_matched_field_never_the_narrative(db: Session, intake: Staff) -> None:
    filed = file_case(db, name="Lucía Ortega", narrative="Ortega street, the officer swore at me.")
    (hit,) = find_hits(db, intake, "ortega")
    assert hit.reference == filed.reference
    assert hit.matched == ("complainant", "narrative")
    assert hit.state.value == "received" and hit.assigned_to_name is None
    assert not hasattr(hit, "narrative")


def test_ranking_puts_a_name_match_before_a_narrative_mention(db: Session, intake: Staff) -> None:
    mention = file_case(db, name="Sam Lee", narrative="Ms Castillo, my neighbour, saw it happen.")
    person = file_case(db, name="Rosa Castillo", narrative="I was stopped for no reason.")
    assert find(db, intake, "castillo") == [person.id, mention.id]


def test_results_are_paged(db: Session, intake: Staff) -> None:
    ids = {file_case(db, narrative=f"Stopped at the checkpoint, visit {n}.").id for n in range(7)}
    pages = [find(db, intake, "checkpoint", page=p, per_page=3) for p in (1, 2, 3)]
    assert [len(p) for p in pages] == [3, 3, 1]
    assert set(pages[0]) | set(pages[1]) | set(pages[2]) == ids
    result = search_cases(db, "checkpoint", actor=intake, now=NOW, audit_key=AUDIT_KEY, per_page=3)
    assert (result.total, result.pages) == (7, 3)


def test_every_search_is_audited_without_the_query(db: Session, intake: Staff) -> None:
    filed = file_case(db, name="Ana Beltrán", email="ana@example.org")
    find(db, intake, "ana@example.org")
    find(db, intake, "ANA@example.org")
    entries = list(db.scalars(select(AuditEntry).where(AuditEntry.action == "complaint.search")))
    assert len(entries) == 2 and entries[0].actor_id == intake.id
    detail = entries[0].detail or ""
    assert "ana" not in detail.lower() and "example" not in detail
    assert f"results=1 page=1 shown={filed.id}" in detail
    # The same search typed differently has the same fingerprint (an auditor can match it).
    assert detail.split()[0] == (entries[1].detail or "").split()[0]
    assert detail.split()[0] == "query=" + search.query_fingerprint(
        parse_query("ana@example.org"), AUDIT_KEY
    )


@pytest.mark.parametrize(
    ("typed", "reason"),
    [("", "empty"), ("  -- !! ", "empty"), ("-rude", "only_excluded"), ("x" * 201, "long")],
)
def test_a_query_with_nothing_to_search_is_refused_and_not_audited(
    db: Session, intake: Staff, typed: str, reason: str
) -> None:
    with pytest.raises(SearchError) as error:
        search_cases(db, typed, actor=intake, now=NOW, audit_key=AUDIT_KEY)
    assert error.value.reason == reason
    assert db.scalar(select(AuditEntry).where(AuditEntry.action == "complaint.search")) is None


def test_typed_query_syntax_cannot_break_either_backend(db: Session, intake: Staff) -> None:
    file_case(db, narrative="Nothing special.")
    for typed in ("NEAR(a b)", "a:* | b", "'); drop table complaints; --", "col:val", '"unclosed'):
        search_cases(db, typed, actor=intake, now=NOW, audit_key=AUDIT_KEY)
    assert db.scalar(select(Complaint.id)) is not None


@pytest.mark.parametrize("role", [StaffRole.COMMISSIONER, StaffRole.ADMIN])
def test_roles_without_the_right_cannot_search(
    db: Session, make_staff: Callable[..., Staff], role: StaffRole
) -> None:
    with pytest.raises(PermissionError):
        search_cases(db, "anything", actor=make_staff(role), now=NOW, audit_key=AUDIT_KEY)


def test_the_index_follows_officer_changes_and_rebuilds(
    db: Session, intake: Staff, make_staff: Callable[..., Staff]
) -> None:
    filed = file_case(db, narrative="Stopped and searched.")
    investigator = make_staff(StaffRole.INVESTIGATOR)
    assert find(db, intake, "kowalski") == []
    add_involved_officer(db, filed.id, actor=investigator, now=NOW, name_given="Jan Kowalski")
    db.commit()
    assert find(db, intake, "kowalski") == [filed.id]
    # A lost index (e.g. cases seeded or imported in bulk) is rebuilt in full.
    db.query(SearchDocument).delete()
    db.commit()
    assert search.unindexed_count(db) == 1
    assert find(db, intake, "kowalski") == []
    assert search.rebuild_index(db, now=NOW) == 1
    assert search.unindexed_count(db) == 0
    assert find(db, intake, "kowalski") == [filed.id]


def test_a_deleted_case_leaves_the_index(db: Session, intake: Staff) -> None:
    filed = file_case(db, name="Temporary Person")
    complaint = db.get(Complaint, filed.id)
    db.delete(complaint)
    db.commit()
    assert find(db, intake, "temporary") == []
    search.reindex_complaint(db, filed.id, now=NOW)
    db.commit()
    assert db.get(SearchDocument, filed.id) is None


def test_lantern_search_reindex_indexes_cases_that_arrived_in_bulk(
    db: Session, intake: Staff, database_url: str, tmp_path: Path
) -> None:
    first = file_case(db, name="Bulk Arrival")
    second = file_case(db, name="Second Arrival")
    db.query(SearchDocument).delete()  # as after `lantern seed` or `lantern import`
    db.commit()
    env = {"LANTERN_DATABASE_URL": database_url, "LANTERN_INSTANCE_PATH": str(tmp_path)}
    result = CliRunner().invoke(main, ["search", "reindex", "--no-progress"], env=env)
    assert result.exit_code == 0, result.output
    assert "search index rebuilt: 2 cases" in result.output
    assert sorted(find(db, intake, "arrival")) == sorted([first.id, second.id])


def test_a_confirmed_officer_match_makes_the_roster_name_searchable(
    db: Session, intake: Staff, make_staff: Callable[..., Staff]
) -> None:
    from portal.models import InvolvedOfficer, Officer
    from portal.services import early_warning

    roster = Officer(first_name="Patricia", last_name="Okafor", badge_number="123", source="roster")
    imported = Officer(
        first_name="P.", last_name="Okafor", badge_number="0123", source="ppd-history"
    )
    db.add_all([roster, imported])
    db.commit()
    filed = file_case(db, narrative="Stopped without a reason.")
    db.add(InvolvedOfficer(complaint_id=filed.id, officer_id=imported.id))
    db.commit()
    search.reindex_complaint(db, filed.id, now=NOW)
    db.commit()
    assert find(db, intake, "patricia okafor") == []
    early_warning.decide_match(
        db, imported.id, roster.id, confirm=True, actor=make_staff(StaffRole.SUPERVISOR), now=NOW
    )
    db.commit()
    assert find(db, intake, "patricia okafor") == [filed.id]
