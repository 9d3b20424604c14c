"""k-anonymity holds on every join an attacker can make in a written release.

A complainant row joined with its complaint shows age band, gender, race and the complaint's
received and closed periods, days to close, channel and district; an officer joined with an
allegation and its complaint shows rank, gender, race, years of service and the same complaint
columns. Someone who knows roughly when a complaint was closed (the closure letter, a news
story) can line all of them up. These tests publish real releases from real databases (SQLite
and PostgreSQL) and measure k on those joins from the CSVs alone, with pycanon.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from portal.db import make_engine
from publisher.policy import load_policy, parse_policy
from publisher.publish import publish
from publisher.seed import seed_cases
from tests.conftest import _truncate_postgres
from tests.publisher.joined_support import (
    COMPLAINANT_QI,
    COMPLAINT_QI,
    EMPTY,
    complainant_k,
    complainants_joined,
    officer_k,
    officers_joined,
    read,
)
from tests.publisher.publish_support import KEY

NOW = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def _publish(engine: Engine, out: Path, version: str = "1.0.0", policy_text: str = "") -> Path:
    policy = parse_policy(policy_text) if policy_text else load_policy()
    publish(engine, version, out, policy=policy, key=KEY.encode(), workers=1)
    return out / version


@pytest.fixture(scope="module")
def demo_release(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    """The demo's data (2,000 seeded cases, as `lantern demo` seeds them) published on SQLite."""
    folder = tmp_path_factory.mktemp("demo")
    template: Path = request.getfixturevalue("sqlite_template")
    path = folder / "demo.sqlite3"
    shutil.copyfile(template, path)
    engine = make_engine(f"sqlite:///{path}")
    seed_cases(engine, 2_000, 1, now=NOW, progress=False)
    yield _publish(engine, folder / "releases")
    engine.dispose()


def test_the_demo_release_is_k_anonymous_on_every_join(demo_release: Path) -> None:
    assert complainant_k(demo_release) >= 5
    rows, officers = officer_k(demo_release)
    assert rows >= 5 and officers >= 5
    # The measure is not vacuous: thousands of rows, most of them still saying something.
    joined = complainants_joined(demo_release)
    assert len(joined) > 1_900
    assert (joined["district"] != "withheld").mean() > 0.9
    assert (joined["race"] != "withheld").mean() > 0.9
    allegations = read(demo_release, "allegations")
    identified = allegations[allegations["officer_id"] != "unidentified"]
    assert len(officers_joined(demo_release)) > 0.85 * len(identified)


def test_the_disclosure_report_states_the_set_and_the_k_the_csvs_show(demo_release: Path) -> None:
    report = json.loads((demo_release / "disclosure-report.json").read_text())
    assert report["quasi_identifiers"] == [
        "complainants.age_band",
        "complainants.gender",
        "complainants.race",
        "complaints.received_period",
        "complaints.closed_period",
        "complaints.days_to_close",
        "complaints.channel",
        "complaints.district",
    ]
    joined = complainants_joined(demo_release)
    sizes = joined.groupby(COMPLAINANT_QI + COMPLAINT_QI).size()
    assert report["k_achieved"] == int(sizes.min()) == complainant_k(demo_release)
    assert report["equivalence_classes"] == len(sizes)
    assert report["records"] == len(joined)
    # A value withheld by local suppression is a `withheld` cell where the chosen level is not
    # itself `withheld`.
    levels = report["generalization"]
    attribute = {"received_period": "period", "closed_period": "period"}
    for name, figures in report["values_suppressed"].items():
        column = name.split(".", 1)[1]
        if levels[attribute.get(column, column)] in ("withheld", "all"):
            assert figures["count"] == 0, name
        else:
            assert figures["count"] == int((joined[column] == "withheld").sum()), name
    links = report["officers"]["links"]
    allegations = read(demo_release, "allegations")
    assert links["links_withheld"] == int((allegations["officer_id"] == "withheld").sum()) > 0
    assert links["k_achieved"] == officer_k(demo_release)[1]
    assert links["quasi_identifiers"] == [
        "officers.rank_group",
        "officers.gender",
        "officers.race",
        "officers.years_of_service_band",
        *(f"complaints.{c}" for c in COMPLAINT_QI),
    ]
    text = (demo_release / "disclosure-report.md").read_text()
    assert "closed period" in text and "days to close" in text and "channel" in text
    assert f"{links['links_withheld']:,} of {links['links']:,} allegations" in text


def test_exact_days_to_close_never_leave(demo_release: Path) -> None:
    complaints = read(demo_release, "complaints")
    bands = {"0-30", "31-60", "61-90", "91-180", "181-365", "366+", "0-90", "91-365"}
    assert set(complaints["days_to_close"]) <= bands | {"withheld", EMPTY}
    # The exact durations are still told, as an aggregate with small-cell suppression.
    buckets = pd.read_csv(demo_release / "data" / "agg_days_to_close.csv", dtype=str)
    assert list(buckets["bucket"]) == ["0-30", "31-60", "61-90", "91-180", "181-365", "366+"]


def _fresh(kind: str, request: pytest.FixtureRequest, where: Path) -> str:
    """An empty migrated database of ``kind`` for one hypothesis example."""
    if kind == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = where / f"{uuid.uuid4().hex}.sqlite3"
        shutil.copyfile(template, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_database")
    _truncate_postgres(url)
    return url


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    cases=st.integers(min_value=12, max_value=400),
    seed=st.integers(min_value=0, max_value=10_000),
    k=st.integers(min_value=2, max_value=7),
    limit=st.sampled_from([0.0, 0.05, 0.2, 1.0]),
    period_max=st.sampled_from(["month", "quarter", "year"]),
)
def test_random_releases_are_k_anonymous_on_every_join(
    kind: str,
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    cases: int,
    seed: int,
    k: int,
    limit: float,
    period_max: str,
) -> None:
    where = tmp_path_factory.mktemp("random-release")
    url = _fresh(kind, request, where)
    engine = make_engine(url)
    try:
        seed_cases(engine, cases, seed, now=NOW, progress=False)
        policy = (
            f"[k_anonymity]\nk = {k}\nsuppression_limit = {limit}\n"
            f'[generalization.period]\nweight = 2.0\nmin = "month"\nmax = "{period_max}"\n'
        )
        folder = _publish(engine, where / "releases", policy_text=policy)
    finally:
        engine.dispose()
        if kind == "postgresql":  # the run's database is shared with the next test
            _truncate_postgres(url)
    joined = complainants_joined(folder)
    report = json.loads((folder / "disclosure-report.json").read_text())
    if len(joined) >= k:
        assert complainant_k(folder) >= k
    assert report["k_achieved"] == int(joined.groupby(COMPLAINANT_QI + COMPLAINT_QI).size().min())
    rows, officers = officer_k(folder)
    if rows:
        assert rows >= k and officers >= k
        assert report["officers"]["links"]["k_achieved"] == officers
    # The report counts what the CSV holds.
    assert report["records"] == len(joined)
