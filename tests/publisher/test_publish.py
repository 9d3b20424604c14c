"""``lantern publish``: reproducible, immutable, atomic, validated releases."""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner
from sqlalchemy import Engine
from sqlalchemy.orm import Session

import publisher.publish
from portal.cli import main
from portal.vocabulary import CaseState, ScreeningOutcome
from publisher.policy import load_policy
from publisher.publish import PublishError, publish, sweep_abandoned
from publisher.seed import seed_cases
from tests.publisher.publish_support import KEY, add_case, utc

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
RECORDS = ("complaints", "allegations", "officers", "complainants")


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    """300 synthetic cases (most closed)."""
    seed_cases(engine, 300, 7, now=NOW, progress=False)
    return engine


def _publish(engine: Engine, out: Path, version: str = "1.0.0", **kw: Any) -> Path:
    kw.setdefault("workers", 1)
    return publish(engine, version, out, policy=load_policy(), key=KEY.encode(), **kw).folder


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file's bytes and mtime (ns), by relative path."""
    return {
        p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_release_layout_checksums_and_package_metadata(seeded: Engine, tmp_path: Path) -> None:
    folder = _publish(seeded, tmp_path, workers=2)
    assert folder == tmp_path / "1.0.0"
    names = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert {
        "datapackage.json",
        "disclosure-report.json",
        "disclosure-report.md",
        "policy.toml",
        "CHANGELOG.md",
        "SHA256SUMS",
    } | {f"data/{t}.csv" for t in RECORDS} <= names
    assert len([n for n in names if n.startswith("data/agg_")]) == 9
    # SHA256SUMS checks out with the standard tool.
    check = subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"], cwd=folder, capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count(": OK") == len(names) - 1

    package = json.loads((folder / "datapackage.json").read_text())
    assert package["$schema"] == "https://datapackage.org/profiles/2.0/datapackage.json"
    assert package["version"] == "1.0.0"
    # created comes from the data (cut-off after its last month, 2025-12), not the clock.
    assert package["created"] == "2026-01-01T00:00:00Z"
    for key in ("name", "title", "description", "licenses", "sources", "contributors", "keywords"):
        assert package[key], key
    for res in package["resources"]:
        blob = (folder / res["path"]).read_bytes()
        assert res["bytes"] == len(blob)
        assert res["hash"] == "sha256:" + hashlib.sha256(blob).hexdigest()
        if res["format"] != "csv":  # the SQLite and Parquet copies (test_release_formats.py)
            assert res["type"] == "file" and res["mediatype"], res["name"]
            continue
        for fld in res["schema"]["fields"]:
            assert fld["type"] and fld["description"], (res["name"], fld["name"])
        # CSV: UTF-8, LF only, header = schema fields.
        assert b"\r\n" not in blob
        header = blob.decode("utf-8").split("\n", 1)[0].split(",")
        assert header == [f["name"] for f in res["schema"]["fields"]]
    assert (folder / "policy.toml").read_text() == load_policy().to_toml()
    report = json.loads((folder / "disclosure-report.json").read_text())
    assert report["k_achieved"] >= 5
    assert report["extraction"]["complaints_published"] == len(
        pl.read_csv(folder / "data" / "complaints.csv")
    )


def test_two_publishes_of_the_same_state_are_byte_identical(seeded: Engine, tmp_path: Path) -> None:
    first = _publish(seeded, tmp_path / "a", workers=2)
    second = _publish(seeded, tmp_path / "b")
    a = {k: v[0] for k, v in _snapshot(first).items()}
    b = {k: v[0] for k, v in _snapshot(second).items()}
    assert a.keys() == b.keys()
    # The SQLite database and the Parquet files are reproducible too.
    assert {"data/lantern-1.0.0.sqlite", "data/parquet/complaints.parquet"} <= a.keys()
    assert [k for k in a if a[k] != b[k]] == []
    # A different key changes every id (and so the bytes): the key really is used.
    third = publish(seeded, "1.0.0", tmp_path / "c", policy=load_policy(), key=b"z" * 40)
    assert (third.folder / "data" / "complaints.csv").read_bytes() != a["data/complaints.csv"]


def test_an_existing_version_is_refused_and_left_untouched(
    seeded: Engine, tmp_path: Path, database_url: str
) -> None:
    out = tmp_path / "releases"
    folder = _publish(seeded, out)
    before = _snapshot(folder)
    with pytest.raises(PublishError, match="already exists") as error:
        _publish(seeded, out)
    assert error.value.exit_code == 2
    result = CliRunner().invoke(
        main,
        ["publish", "--version", "1.0.0", "--out", str(out), "--no-progress"],
        env={"LANTERN_DATABASE_URL": database_url, "LANTERN_PSEUDONYM_KEY": KEY},
    )
    assert result.exit_code == 2
    assert "already exists" in result.output
    assert _snapshot(folder) == before
    assert sorted(p.name for p in out.iterdir()) == ["1.0.0"]  # no temporary folder left


@pytest.mark.parametrize("version", ["1.0", "v1.0.0", "1.0.0-rc1", "01.0.0", "../x"])
def test_a_version_that_is_not_semantic_is_refused(tmp_path: Path, version: str) -> None:
    engine_unused: Any = None
    with pytest.raises(PublishError, match="semantic version") as error:
        publish(engine_unused, version, tmp_path, policy=load_policy(), key=KEY.encode())
    assert error.value.exit_code == 2
    assert list(tmp_path.iterdir()) == []


def test_a_failure_in_the_middle_leaves_no_folder(
    seeded: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(publisher.publish, "validate_release", explode)
    out = tmp_path / "releases"
    with pytest.raises(RuntimeError, match="disk on fire"):
        _publish(seeded, out)
    assert list(out.iterdir()) == []


def test_an_invalid_release_is_reported_and_nothing_is_published(
    seeded: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_csv = publisher.publish.write_csv

    def corrupt(frame: pl.DataFrame, path: Path) -> None:
        # A complaint arrives by a channel the vocabulary does not have, and a negative delay.
        if path.name == "complaints.csv":
            frame = frame.with_columns(
                pl.when(pl.int_range(pl.len()) == 2)
                .then(pl.lit("carrier_pigeon"))
                .otherwise(pl.col("channel"))
                .alias("channel"),
                pl.when(pl.int_range(pl.len()) == 4)
                .then(pl.lit(-3))
                .otherwise(pl.col("days_to_close"))
                .alias("days_to_close"),
            )
        write_csv(frame, path)

    monkeypatch.setattr(publisher.publish, "write_csv", corrupt)
    out = tmp_path / "releases"
    with pytest.raises(PublishError) as error:
        _publish(seeded, out)
    message = str(error.value)
    assert error.value.exit_code == 1
    assert "nothing was published" in message
    assert "complaints: 2 problem(s)" in message
    assert "row 4, field channel: constraint-error" in message  # row 1 is the header
    assert "row 6, field days_to_close: constraint-error" in message
    assert list(out.iterdir()) == []


def test_a_dangling_foreign_key_is_reported_and_nothing_is_published(
    seeded: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_csv = publisher.publish.write_csv

    def orphan(frame: pl.DataFrame, path: Path) -> None:
        # The third allegation points at a complaint that is not in complaints.csv.
        if path.name == "allegations.csv":
            frame = frame.with_columns(
                pl.when(pl.int_range(pl.len()) == 2)
                .then(pl.lit("C-000000000000"))
                .otherwise(pl.col("complaint_id"))
                .alias("complaint_id")
            )
        write_csv(frame, path)

    monkeypatch.setattr(publisher.publish, "write_csv", orphan)
    out = tmp_path / "releases"
    with pytest.raises(PublishError) as error:
        _publish(seeded, out, workers=2)
    message = str(error.value)
    assert "allegations: 1 problem(s)" in message
    assert (
        "row 4: foreign-key-error: complaint_id='C-000000000000' not found in "
        "complaints.complaint_id" in message
    )
    assert list(out.iterdir()) == []


def test_changelog_counts_added_changed_and_removed_complaints(
    db: Session, engine: Engine, tmp_path: Path
) -> None:
    cases = [add_case(db, received_at=utc(2025, 1, 10 + i)) for i in range(8)]
    db.commit()
    _publish(engine, tmp_path, "1.0.0")
    # One case reopened (no longer published), one changed, two new ones. The change is to a
    # column outside the quasi-identifiers: a changed channel or period would change the
    # generalization of every row (a small release publishes them coarser).
    cases[0].state = CaseState.INVESTIGATION
    cases[1].screening_outcome = ScreeningOutcome.EARLY_RESOLUTION
    for i in range(2):  # received and closed in the same months as the others
        add_case(db, received_at=utc(2025, 1, 12 + i))
    db.commit()
    folder = _publish(engine, tmp_path, "1.1.0")
    text = (folder / "CHANGELOG.md").read_text()
    assert "Compared with release 1.0.0" in text
    assert "- Added: 2\n" in text
    assert "- Changed: 1\n" in text
    assert "- Removed (no longer published): 1\n" in text
    assert "- Unchanged: 6\n" in text
    assert "## Schema changes\n\nNone." in text
    first = (tmp_path / "1.0.0" / "CHANGELOG.md").read_text()
    assert "First release in this folder" in first


def test_lantern_publish_command(seeded: Engine, database_url: str, tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    out = tmp_path / "releases"
    env = {"LANTERN_DATABASE_URL": database_url, "LANTERN_INSTANCE_PATH": str(instance)}
    args = ["publish", "--version", "2.0.0", "--out", str(out), "--no-progress", "--workers", "1"]
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 0, result.output
    assert "published release 2.0.0" in result.output
    assert "validated with Frictionless" in result.output
    # The key was created once, loudly, outside the release.
    assert "NEW pseudonym key" in result.output
    key = (instance / "pseudonym_key").read_text().strip()
    assert not any(key.encode() in p.read_bytes() for p in out.rglob("*") if p.is_file())
    bad = tmp_path / "bad.toml"
    bad.write_text("[k_anonymity]\nk = 0\n")
    refused = CliRunner().invoke(
        main, [*args[:2], "2.1.0", *args[3:], "--policy", str(bad)], env=env
    )
    assert refused.exit_code == 2 and "lantern publish:" in refused.output


def test_sqlite_and_postgresql_publish_the_same_bytes(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """The dialect-specific SQL (months, day counts, service years) agrees byte for byte."""
    import shutil

    from portal.db import make_engine
    from tests.conftest import _truncate_postgres

    sqlite_path = tmp_path / "same.sqlite3"
    shutil.copyfile(request.getfixturevalue("sqlite_template"), sqlite_path)
    postgres_url: str = request.getfixturevalue("postgres_database")
    folders = []
    try:
        for name, url in (("sqlite", f"sqlite:///{sqlite_path}"), ("postgresql", postgres_url)):
            engine = make_engine(url)
            try:
                seed_cases(engine, 400, 5, now=NOW, progress=False)
                folders.append(_publish(engine, tmp_path / name))
            finally:
                engine.dispose()
    finally:
        _truncate_postgres(postgres_url)
    first, second = ({k: v[0] for k, v in _snapshot(folder).items()} for folder in folders)
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []


def test_the_report_says_when_frictionless_stopped_at_its_error_limit(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_cases(engine, 1_200, 3, now=NOW, progress=False)  # over 1,000 closed complaints
    write_csv = publisher.publish.write_csv

    def every_row_wrong(frame: pl.DataFrame, path: Path) -> None:
        if path.name == "complaints.csv":
            frame = frame.with_columns(pl.lit("carrier_pigeon").alias("channel"))
        write_csv(frame, path)

    monkeypatch.setattr(publisher.publish, "write_csv", every_row_wrong)
    out = tmp_path / "releases"
    with pytest.raises(PublishError) as error:
        _publish(engine, out)
    message = str(error.value)
    # 1,000 errors and the limit warning; the first 20 are quoted, the rest counted.
    assert "complaints: 1,001 problem(s)" in message
    assert "Frictionless stops after 1,000 errors per table" in message
    assert "... and 981 more" in message
    assert list(out.iterdir()) == []


def test_a_publish_killed_outright_is_cleaned_up_by_the_next_one(
    seeded: Engine, database_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "releases"
    env = {
        **os.environ,
        "LANTERN_DATABASE_URL": database_url,
        "LANTERN_INSTANCE_PATH": str(tmp_path / "instance"),
    }
    args = ["publish", "--version", "1.0.0", "--out", str(out), "--no-progress", "--workers", "1"]
    killed = subprocess.Popen([sys.executable, "-m", "portal", *args], env=env)
    deadline = time.monotonic() + 60
    while not list(out.glob(".1.0.0.partial-*/")) and time.monotonic() < deadline:
        assert killed.poll() is None, "the publish ended before it could be killed"
        time.sleep(0.005)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    left = sorted(p.name for p in out.iterdir())
    assert any(name.startswith(".1.0.0.partial-") for name in left)  # what kill -9 leaves
    _publish(seeded, out, "1.0.0")
    assert sorted(p.name for p in out.iterdir()) == ["1.0.0"]


def test_a_running_publish_is_never_swept(tmp_path: Path) -> None:
    out = tmp_path / "releases"
    running = out / ".2.0.0.partial-abcd"
    running.mkdir(parents=True)
    with (out / ".2.0.0.partial-abcd.lock").open("wb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # as a live publish (another process) holds it
        assert sweep_abandoned(out) == []
        assert running.is_dir()
    assert sweep_abandoned(out) == [running]  # its holder is gone
    assert list(out.iterdir()) == []


def test_a_folder_without_its_lock_is_swept_only_once_it_is_old(tmp_path: Path) -> None:
    out = tmp_path / "releases"
    young = out / ".3.0.0.partial-wxyz"
    young.mkdir(parents=True)
    made = young.stat().st_mtime
    assert sweep_abandoned(out, now=made + 5) == []
    assert sweep_abandoned(out, now=made + 120) == [young]
    assert not young.exists()
