"""The records schedule: the file, which cases are due and when, disposal (what goes, what
stays), dry runs, repeats, failures, legal holds, the audit trail and ``lantern retention``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from portal import create_app
from portal.cli import main
from portal.db import session_factory
from portal.models import Appeal, Attachment, AuditEntry, Base, Complaint, Disposal
from portal.services import legal_holds, retention
from portal.services.caserules import CaseworkError
from portal.vocabulary import AgeBand, CaseState, Finding, StaffRole
from publisher.extract import extract
from tests.portal.records_support import complainants_of, personal_case
from tests.portal.staff_support import create_staff
from tests.publisher.publish_support import KEY, utc

SCHEDULE = retention.load_schedule()  # the shipped default: sustained 10, declined 3, other 6


def dump(db: Session) -> str:
    """Every row of every table as text (to look for personal data anywhere)."""
    db.commit()  # end this session's snapshot: the run wrote through its own sessions
    db.expire_all()
    parts = []
    for table in Base.metadata.sorted_tables:
        for row in db.execute(select(table)).all():
            parts.append(f"{table.name}: {tuple(row)}")
    return "\n".join(parts)


def run(engine: Engine, folder: Path, now: dt.datetime, **kw: object) -> retention.RunReport:
    return retention.run_retention(
        session_factory(engine),
        SCHEDULE,
        now=now,
        folder=folder,
        **kw,  # type: ignore[arg-type]
    )


# --- the schedule file ------------------------------------------------------------------------

GOOD_RULE = 'id = "all"\nname = "All"\npersonal_data_years = 6\nevidence_years = 3\n'


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (GOOD_RULE.replace("6", "-1"), "`personal_data_years` must be a whole number of years"),
        (GOOD_RULE.replace("evidence_years = 3\n", ""), "`evidence_years` is missing"),
        (GOOD_RULE.replace("= 3", "= 0"), "`evidence_years` must be a whole number"),
        (GOOD_RULE.replace("= 3", '= "3"'), "`evidence_years` must be a whole number"),
        (GOOD_RULE + "audit_years = 1\n", "rule 'all': unknown key `audit_years`"),
        (GOOD_RULE + 'findings = ["guilty"]\n', "`findings` has 'guilty'"),
        (GOOD_RULE + 'states = ["investigation"]\n', "`states` has 'investigation'"),
        (GOOD_RULE + 'findings = ["sustained"]\n', "the last rule must match every closed case"),
    ],
)
def test_a_wrong_schedule_is_refused_naming_the_key(toml: str, message: str) -> None:
    with pytest.raises(
        retention.ScheduleError, match=message.replace("(", r"\(").replace("[", r"\[")
    ):
        retention.parse_schedule("[[rule]]\n" + toml, "office.toml")


def test_schedule_structure_errors() -> None:
    with pytest.raises(retention.ScheduleError, match="unknown key `keep_forever`"):
        retention.parse_schedule("keep_forever = true\n[[rule]]\n" + GOOD_RULE)
    with pytest.raises(retention.ScheduleError, match="no \\[\\[rule\\]\\]"):
        retention.parse_schedule("notice_days = 30\n")
    with pytest.raises(retention.ScheduleError, match="would never apply"):
        retention.parse_schedule(
            "[[rule]]\n" + GOOD_RULE + "[[rule]]\n" + GOOD_RULE.replace('"all"', '"b"', 1)
        )
    with pytest.raises(retention.ScheduleError, match="used twice"):
        retention.parse_schedule(
            "[[rule]]\n" + GOOD_RULE + 'findings = ["sustained"]\n[[rule]]\n' + GOOD_RULE
        )
    with pytest.raises(retention.ScheduleError, match="not valid TOML"):
        retention.parse_schedule("[[rule]\n")


def test_the_app_refuses_to_start_with_a_wrong_schedule(tmp_path: Path) -> None:
    bad = tmp_path / "schedule.toml"
    bad.write_text("[[rule]]\n" + GOOD_RULE.replace("6", "-6"))
    with pytest.raises(retention.ScheduleError, match="personal_data_years"):
        create_app(
            {"SECRET_KEY": "k", "ACCESS_CODE_KEY": "k"},
            environ={
                "LANTERN_INSTANCE_PATH": str(tmp_path / "i"),
                "LANTERN_RETENTION_SCHEDULE": str(bad),
            },
        )


# --- when a case is due -----------------------------------------------------------------------


def test_due_dates_follow_the_rule_closure_and_a_later_appeal(db: Session, tmp_path: Path) -> None:
    folder = tmp_path / "uploads"
    plain = personal_case(db, folder, "Plain")  # closed 2019-05-06, other → 6 years
    sustained = personal_case(db, folder, "Sus", finding=Finding.SUSTAINED)  # 10 years
    declined = personal_case(db, folder, "Dec", state=CaseState.DECLINED)  # 3 years
    appealed = personal_case(db, folder, "App")
    appealed_row = db.scalar(select(Appeal).where(Appeal.complaint_id == appealed.id))
    assert appealed_row is not None
    appealed_row.decided_at = utc(2020, 1, 10)  # decided after closure: counted from here
    under_appeal = personal_case(db, folder, "Req", state=CaseState.APPEAL_REQUESTED)
    still_open = personal_case(db, folder, "Open", state=CaseState.INVESTIGATION)
    undated = personal_case(db, folder, "Und")
    undated.closed_at = None
    db.commit()
    found = {
        a.complaint_id: a
        for a in retention.assess(
            db,
            SCHEDULE,
            [
                plain.id,
                sustained.id,
                declined.id,
                appealed.id,
                under_appeal.id,
                still_open.id,
                undated.id,
            ],
        )
    }
    assert found[plain.id].personal_due_at == utc(2025, 5, 6)
    assert found[plain.id].rule is not None and found[plain.id].rule.id == "closed"
    assert found[sustained.id].personal_due_at == utc(2029, 5, 6)
    assert found[declined.id].evidence_due_at == utc(2022, 5, 6)
    assert found[appealed.id].personal_due_at == utc(2026, 1, 10)
    for never in (under_appeal, still_open, undated):
        assert found[never.id].personal_due_at is None and found[never.id].rule is None
    # The SQL condition agrees with the assessment, a second either side of a due date.
    for moment, expected in (
        (utc(2025, 5, 6) - dt.timedelta(seconds=1), {declined.id}),
        (utc(2025, 5, 6), {declined.id, plain.id}),
        (utc(2026, 1, 10), {declined.id, plain.id, appealed.id}),
        (utc(2029, 5, 6), {declined.id, plain.id, appealed.id, sustained.id}),
    ):
        listed = retention.due_list(db, SCHEDULE, now=moment)
        assert {a.complaint_id for a in listed.due} == expected, moment
        assert listed.undated == 1
    soon = retention.due_list(db, SCHEDULE, now=utc(2025, 3, 1))  # notice window: 90 days
    assert {a.complaint_id for a in soon.soon} == {plain.id}


# --- disposal ---------------------------------------------------------------------------------


def test_disposal_removes_every_personal_field_and_file_and_keeps_the_statistics(
    db: Session, engine: Engine, tmp_path: Path
) -> None:
    folder = tmp_path / "uploads"
    staff = create_staff(db, StaffRole.INVESTIGATOR)
    complaint = personal_case(db, folder, "Qzv", staff=staff)
    personal_case(db, folder, "Kept", finding=Finding.SUSTAINED)  # not due until 2029
    db.commit()
    before = extract(engine, KEY.encode())
    assert "Qzv" in dump(db) and len(list(folder.iterdir())) == 3

    report = run(engine, folder, utc(2026, 1, 1))

    assert [(c.complaint_id, c.kinds, c.files_removed) for c in report.cases] == [
        (complaint.id, ("personal_data", "evidence"), 2)
    ]
    everything = dump(db)
    assert "Qzv" not in everything and "qzv" not in everything  # nowhere, audit trail included
    assert "Kept" in everything  # the case not yet due is untouched
    assert len(list(folder.iterdir())) == 1
    tombstones = db.scalars(select(Attachment).where(Attachment.complaint_id == complaint.id)).all()
    assert [t.disposed_at for t in tombstones] == [utc(2026, 1, 1)] * 2
    assert {t.sha256 for t in tombstones} == {"a" * 64, "b" * 64}
    [person] = complainants_of(db, complaint.id)
    assert (person.age, person.age_band, person.name, person.email) == (
        None,
        AgeBand.AGE_25_34,
        None,
        None,
    )
    reloaded = db.get(Complaint, complaint.id)
    assert reloaded is not None and reloaded.access_code_hash is None
    assert reloaded.narrative == retention.REMOVED and reloaded.reference == complaint.reference
    # What the publisher reads is exactly as it was.
    after = extract(engine, KEY.encode())
    for name in ("complaints", "allegations", "officers", "complainants"):
        assert getattr(after, name).equals(getattr(before, name)), name
    disposals = db.scalars(select(Disposal).order_by(Disposal.id)).all()
    assert [(d.kind, d.rule, d.files_removed) for d in disposals] == [
        ("personal_data", "closed", 0),
        ("evidence", "closed", 2),
    ]


def test_a_dry_run_changes_nothing_and_a_second_run_does_nothing(
    db: Session, engine: Engine, tmp_path: Path
) -> None:
    folder = tmp_path / "uploads"
    complaint = personal_case(db, folder, "Dry")
    db.commit()
    snapshot, files = dump(db), sorted(folder.iterdir())
    report = run(engine, folder, utc(2026, 1, 1), dry_run=True)
    assert [c.complaint_id for c in report.cases] == [complaint.id]
    assert dump(db) == snapshot and sorted(folder.iterdir()) == files
    run(engine, folder, utc(2026, 1, 1))
    after_first = dump(db)
    again = run(engine, folder, utc(2026, 1, 2))
    assert again.cases == [] and again.failed == []
    # Only the second run's own summary entry was added.
    assert dump(db).count("retention.run") == after_first.count("retention.run") + 1
    actions = db.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["complaint.disposed", "complaint.disposed", "retention.run", "retention.run"]
    first = db.scalars(select(AuditEntry).where(AuditEntry.action == "complaint.disposed")).first()
    assert first is not None and first.actor_id is None and first.object_id == complaint.id
    assert first.after == {"kind": "personal_data", "files_removed": 0, "rule": "closed"}


def test_a_failing_case_is_rolled_back_the_others_go_and_a_repeat_finishes(
    db: Session, engine: Engine, tmp_path: Path
) -> None:
    folder = tmp_path / "uploads"
    first = personal_case(db, folder, "First")
    second = personal_case(db, folder, "Second")
    db.commit()
    # Make the second case's file impossible to delete: a folder where the file should be.
    stored = db.scalars(
        select(Attachment.stored_name).where(Attachment.complaint_id == second.id)
    ).one()
    (folder / stored).unlink()
    (folder / stored).mkdir()
    report = run(engine, folder, utc(2026, 1, 1))
    assert [c.complaint_id for c in report.cases] == [first.id] and report.failed == [second.id]
    assert "Second narrative" in dump(db)  # its personal data was not half removed
    (folder / stored).rmdir()
    repeat = run(engine, folder, utc(2026, 1, 1))
    assert [c.complaint_id for c in repeat.cases] == [second.id] and repeat.failed == []
    assert "Second" not in dump(db)


# --- legal holds ------------------------------------------------------------------------------


def test_a_legal_hold_stops_disposal_until_it_is_released(
    db: Session, engine: Engine, tmp_path: Path
) -> None:
    folder = tmp_path / "uploads"
    complaint = personal_case(db, folder, "Held")
    supervisor = create_staff(db, StaffRole.SUPERVISOR)
    investigator = create_staff(db, StaffRole.INVESTIGATOR)
    with pytest.raises(CaseworkError, match="not allowed"):
        legal_holds.set_hold(
            db, complaint.id, reason="Smith v City", actor=investigator, now=utc(2025, 1, 1)
        )
    db.rollback()
    with pytest.raises(CaseworkError, match="reason"):
        legal_holds.set_hold(db, complaint.id, reason="  ", actor=supervisor, now=utc(2025, 1, 1))
    db.rollback()
    legal_holds.set_hold(
        db, complaint.id, reason="Litigation Smith v City", actor=supervisor, now=utc(2025, 1, 1)
    )
    db.commit()
    with pytest.raises(CaseworkError, match="already on legal hold"):
        legal_holds.set_hold(
            db, complaint.id, reason="again", actor=supervisor, now=utc(2025, 1, 2)
        )
    db.rollback()

    report = run(engine, folder, utc(2026, 1, 1))
    assert report.cases == [] and report.held == 1
    assert "Held narrative" in dump(db)
    listed = retention.due_list(db, SCHEDULE, now=utc(2026, 1, 1))
    assert [a.complaint_id for a in listed.held] == [complaint.id] and listed.due == []

    legal_holds.release_hold(
        db, complaint.id, reason="Case settled", actor=supervisor, now=utc(2026, 2, 1)
    )
    db.commit()
    assert [c.complaint_id for c in run(engine, folder, utc(2026, 2, 2)).cases] == [complaint.id]
    entries = db.scalars(
        select(AuditEntry)
        .where(AuditEntry.action.like("complaint.legal_hold%"))
        .order_by(AuditEntry.id)
    ).all()
    assert [(e.action, e.actor_id, e.after) for e in entries] == [
        ("complaint.legal_hold_set", supervisor.id, {"legal_hold": True}),
        ("complaint.legal_hold_released", supervisor.id, {"legal_hold": False}),
    ]
    trail = json.dumps([[e.detail, e.before, e.after] for e in db.scalars(select(AuditEntry))])
    assert "Smith" not in trail and "settled" not in trail


# --- the command line -------------------------------------------------------------------------


def test_lantern_retention_run_due_and_check(
    db: Session, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    instance = tmp_path / "instance"
    complaint = personal_case(db, instance / "uploads", "Cli")
    db.commit()
    monkeypatch.setenv("LANTERN_DATABASE_URL", database_url)
    monkeypatch.setenv("LANTERN_INSTANCE_PATH", str(instance))
    runner = CliRunner()
    bad = tmp_path / "bad.toml"
    bad.write_text("[[rule]]\n" + GOOD_RULE.replace("= 3", "= -3"))
    snapshot = dump(db)
    for args in (
        ["run", "--schedule", str(bad)],
        ["check", str(bad)],
        ["due", "--schedule", str(bad)],
    ):
        result = runner.invoke(main, ["retention", *args])
        assert result.exit_code == 2, result.output
        assert "`evidence_years` must be a whole number of years" in result.output
    assert dump(db) == snapshot

    due = runner.invoke(main, ["retention", "due"])
    assert due.exit_code == 0 and f"case {complaint.id}: due 2025-05-06 (rule closed)" in due.output
    dry = runner.invoke(main, ["retention", "run", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"case {complaint.id}: would dispose of personal data, evidence files" in dry.output
    assert dump(db) == snapshot
    done = runner.invoke(main, ["retention", "run"])
    assert done.exit_code == 0, done.output
    assert (
        "disposed of: personal data of 1 case(s), evidence files of 1 case(s) (1 file(s) deleted)"
        in done.output
    )
    for output in (due.output, dry.output, done.output):
        assert complaint.reference not in output and "Cli" not in output
    checked = runner.invoke(main, ["retention", "check"])
    assert (
        checked.exit_code == 0
        and "closed: personal data 6 years, evidence 6 years" in checked.output
    )


def test_the_default_schedule_is_valid_and_documented() -> None:
    assert [r.id for r in SCHEDULE.rules] == ["sustained", "declined", "closed"]
    assert SCHEDULE.notice_days == 90
    text_ = retention.DEFAULT_SCHEDULE.read_text()
    assert "audit trail is kept forever" in " ".join(text_.split())
