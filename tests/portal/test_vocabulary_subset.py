"""An office offers a subset of allegation categories and discipline outcomes (configuration)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session

from portal import create_app
from portal.choices import parse_subset
from portal.config import ConfigError
from portal.models import Allegation, InvolvedOfficer, Staff
from portal.vocabulary import AllegationCategory, CaseState, Discipline, Finding, StaffRole
from tests.portal.casework_support import make_complaint
from tests.portal.intake_support import checked_values

OFFERED = "force,discourtesy,bias"


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"ALLEGATION_CATEGORIES": OFFERED, "DISCIPLINE_OUTCOMES": "none,training,suspension"}


def test_empty_means_the_whole_vocabulary_in_its_order() -> None:
    assert parse_subset("", Discipline, "DISCIPLINE_OUTCOMES") == [d.value for d in Discipline]
    assert parse_subset(" bias , force ", AllegationCategory, "X") == ["force", "bias"]


def test_an_unknown_value_stops_the_app_naming_it(tmp_path: Any) -> None:
    environ = {
        "LANTERN_INSTANCE_PATH": str(tmp_path),
        "LANTERN_ALLEGATION_CATEGORIES": "force,rudeness",
    }
    with pytest.raises(ConfigError) as error:
        create_app(environ=environ)
    assert "LANTERN_ALLEGATION_CATEGORIES" in str(error.value)
    assert "rudeness" in str(error.value)


def test_the_resident_form_offers_only_the_configured_categories(client: Any) -> None:
    page = client.get("/complaint").get_data(as_text=True)
    inputs = re.findall(r"<input\b[^>]*>", page)
    offered = {
        re.search(r'value="([^"]*)"', tag).group(1)  # type: ignore[union-attr]
        for tag in inputs
        if 'name="categories"' in tag
    }
    assert offered == set(OFFERED.split(","))
    assert 'value="untruthfulness"' not in page
    assert checked_values(page, "categories") == set()


def test_staff_choose_only_the_configured_category_and_discipline(
    db: Session, staff_client: Callable[..., tuple[Any, Staff]]
) -> None:
    investigator, _ = staff_client(StaffRole.INVESTIGATOR)
    complaint = make_complaint(db, state=CaseState.INVESTIGATION)
    complaint.officers.append(InvolvedOfficer(description="Driver", is_unknown=True))
    db.commit()
    page = investigator.get(f"/staff/cases/{complaint.id}").get_data(as_text=True)
    assert 'value="force"' in page and 'value="untruthfulness"' not in page
    # A category the office does not use is refused, even when posted by hand.
    data = {"allegation-involved": str(complaint.officers[0].id), "allegation-category": "other"}
    response = investigator.post(
        f"/staff/cases/{complaint.id}/allegations", data=data, follow_redirects=True
    )
    assert "flash-error" in response.get_data(as_text=True)
    db.rollback()
    db.expire_all()
    assert db.get(type(complaint), complaint.id).allegations == []  # type: ignore[union-attr]


def test_supervisors_decide_with_the_configured_discipline_only(
    db: Session, staff_client: Callable[..., tuple[Any, Staff]]
) -> None:
    supervisor, _ = staff_client(StaffRole.SUPERVISOR)
    complaint = make_complaint(db, state=CaseState.FINDINGS_REVIEW)
    complaint.allegations.append(
        Allegation(category=AllegationCategory.FORCE, recommended_finding=Finding.SUSTAINED)
    )
    db.commit()
    page = supervisor.get(f"/staff/cases/{complaint.id}").get_data(as_text=True)
    select_html = re.search(r'<select[^>]*name="decide-discipline".*?</select>', page, re.S)
    assert select_html is not None
    values = set(re.findall(r'value="([^"]*)"', select_html.group(0)))
    assert values == {"", "none", "training", "suspension"}
