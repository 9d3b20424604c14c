"""A real publish releases the discipline IMPOSED, never the recommendation, and picks up an
imposed discipline recorded after closure (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from portal.models import Allegation, Complaint, Staff
from portal.services import discipline
from portal.vocabulary import CLOSED_STATES, Discipline, Finding, StaffRole
from publisher.policy import load_policy
from publisher.publish import publish
from publisher.seed import seed_cases
from tests.publisher.publish_support import KEY

NOW = dt.datetime(2026, 1, 15, 12, tzinfo=dt.UTC)


def _released(engine: Engine, out: Path, version: str) -> Counter[str]:
    folder = publish(engine, version, out, policy=load_policy(), key=KEY.encode(), workers=1)
    with (folder.folder / "data" / "allegations.csv").open(newline="", encoding="utf-8") as f:
        return Counter(row["discipline"] for row in csv.DictReader(f))


def test_release_carries_the_imposed_discipline(engine: Engine, tmp_path: Path) -> None:
    seed_cases(engine, 120, 11, now=NOW, progress=False)
    with Session(engine) as db:
        supervisor = Staff(
            email="sup@example.org", name="Sup", role=StaffRole.SUPERVISOR, password_hash="x",
            is_totp_enrolled=True, is_active=True, created_at=NOW,
        )  # fmt: skip
        db.add(supervisor)
        db.commit()
        sustained = list(
            db.scalars(
                select(Allegation)
                .join(Complaint)
                .where(
                    Allegation.finding == Finding.SUSTAINED,
                    Complaint.state.in_(sorted(CLOSED_STATES)),
                )
                .order_by(Allegation.id)
            )
        )
        assert len(sustained) >= 3
        # The office recommended termination everywhere; the department imposed other things.
        for allegation in sustained:
            allegation.recommended_discipline = Discipline.TERMINATION
        db.commit()
        first, second = sustained[0].id, sustained[1].id
        for allegation_id, imposed in (
            (first, Discipline.COUNSELING),
            (second, Discipline.PENDING),
        ):
            discipline.record_imposed(
                db,
                allegation_id,
                discipline=imposed,
                suspension_days=None,
                decided_on=NOW.date() if imposed is not Discipline.PENDING else None,
                actor=supervisor,
                now=NOW,
            )
            db.commit()
        expected = Counter(
            (a.discipline.value if a.discipline else "")
            for a in db.scalars(
                select(Allegation).join(Complaint).where(Complaint.state.in_(sorted(CLOSED_STATES)))
            )
        )
    released = _released(engine, tmp_path, "1.0.0")
    assert released == expected
    assert released["termination"] == expected["termination"]  # none of the recommendations
    assert released["counseling"] >= 1 and released["pending"] >= 1
    # Months later the department decides the pending one: the next release says so.
    with Session(engine) as db:
        actor = db.scalars(select(Staff).where(Staff.email == "sup@example.org")).one()
        discipline.record_imposed(
            db, second, discipline=Discipline.WRITTEN_REPRIMAND, suspension_days=None,
            decided_on=NOW.date() + dt.timedelta(days=90), actor=actor,
            now=NOW + dt.timedelta(days=91),
        )  # fmt: skip
        db.commit()
    later = _released(engine, tmp_path, "1.1.0")
    assert later["pending"] == released["pending"] - 1
    assert later["written_reprimand"] == released["written_reprimand"] + 1
