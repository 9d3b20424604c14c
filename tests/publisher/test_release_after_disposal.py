"""Disposal under the records schedule, and erasure on request, leave releases unchanged: the
real publisher writes the same data files before and after (only the version differs)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from portal.db import session_factory
from portal.models import Complainant, Disposal
from portal.services import retention, subject_requests
from portal.vocabulary import Finding, StaffRole
from publisher.policy import load_policy
from publisher.publish import publish
from publisher.seed import seed_cases
from tests.portal.records_support import personal_case
from tests.portal.staff_support import create_staff
from tests.publisher.publish_support import KEY, utc

SEEDED_AT = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _data_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((folder / "data").glob("*.csv"))}


def test_a_release_after_disposal_and_erasure_has_the_same_data_files(
    engine: Engine, db: Session, tmp_path: Path
) -> None:
    seed_cases(engine, 300, 11, now=SEEDED_AT, progress=False)
    uploads = tmp_path / "uploads"
    # Cases whose complainants gave an exact age (no band), so disposal must keep the band.
    aged = [personal_case(db, uploads, f"Aged{i}", closed_at=utc(2021, 3 + i, 5)) for i in range(6)]
    sustained = personal_case(db, uploads, "Sust", finding=Finding.SUSTAINED, complainants=2)
    supervisor = create_staff(db, StaffRole.SUPERVISOR)
    db.commit()
    out = tmp_path / "releases"
    policy = load_policy()
    before = publish(engine, "1.0.0", out, policy=policy, key=KEY.encode(), workers=1).folder

    # One complainant of a two-person case asks for erasure; years later the schedule
    # disposes of nearly everything.
    first = db.scalars(
        select(Complainant.id)
        .where(Complainant.complaint_id == sustained.id)
        .order_by(Complainant.id)
    ).first()
    assert first is not None
    subject_requests.erase_complainant(
        db, sustained.id, first, reason="Erasure request", actor=supervisor,
        now=dt.datetime(2026, 2, 1, tzinfo=dt.UTC), folder=uploads,
    )  # fmt: skip
    db.commit()
    report = retention.run_retention(
        session_factory(engine),
        retention.load_schedule(),
        now=dt.datetime(2032, 6, 1, tzinfo=dt.UTC),
        folder=uploads,
    )
    db.commit()  # end this session's snapshot: the run wrote through its own sessions
    db.expire_all()
    disposed = db.scalars(
        select(Disposal.complaint_id).where(Disposal.kind == "personal_data")
    ).all()
    assert len(report.cases) > 200 and len(disposed) == report.count("personal_data")
    for case in aged:
        db.refresh(case)
        assert case.narrative == retention.REMOVED
    assert db.scalar(select(Complainant.age).where(Complainant.age.is_not(None))) is None

    after = publish(engine, "1.1.0", out, policy=policy, key=KEY.encode(), workers=1).folder
    old, new = _data_files(before), _data_files(after)
    assert len(old) == 13 and old.keys() == new.keys()
    for name in old:
        assert new[name] == old[name], name
    changelog = (after / "CHANGELOG.md").read_text()
    assert "- Changed: 0" in changelog and "- Removed (no longer published): 0" in changelog
